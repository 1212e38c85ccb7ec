import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { componentize } from '@bytecodealliance/componentize-js';
import { bundleManager } from '../../datastores/toolchain/bundle.js';
import { grantToolchainRead } from '../../datastores/toolchain/toolchain-fs.js';
import { WIT_DIR, WORLD_NAME } from '../../datastores/toolchain/paths.js';
import { inspectManager } from '../../datastores/toolchain/inspect.js';
import { transpileComponent } from '../../host/component/compile.js';
import { Sandbox } from '../../host/sandbox/sandbox.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { FIXTURE_MANAGERS, buildFixture, call, instantiateBytes } from '../support/components.js';
import { bareSandboxSpec } from '../support/sandbox-spec.js';

let work: string;
let networked: Uint8Array;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'berth-net-'));
  // built the way `berth build` never builds: with StarlingMonkey's fetch (wasi:http) left in
  const sourcePath = join(work, 'manager.js');
  await writeFile(sourcePath, await bundleManager(join(FIXTURE_MANAGERS, 'networked.ts'), 'starlingmonkey'));
  grantToolchainRead([WIT_DIR, work]);
  networked = new Uint8Array((await componentize({ sourcePath, witPath: WIT_DIR, worldName: WORLD_NAME })).component);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('network access from a manager', () => {
  it('is absent from managers berth build makes, on both engines', async () => {
    for (const backend of ['quickjs', 'starlingmonkey'] as const) {
      const exports = await instantiateBytes((await buildFixture('networked', backend)).bytes);
      const outcome = call(exports.root!.getRootPassword) as { ok?: string; err?: { tag: string; val: string } };
      // QuickJS has no fetch; StarlingMonkey's answers denied (it used to trap the instance)
      if (backend === 'quickjs') expect(outcome).toEqual({ ok: 'no fetch' });
      else expect(outcome.err).toEqual({ tag: 'denied', val: expect.stringContaining('network access') });
    }
  });

  it('makes inspect refuse a component that imports wasi:http', async () => {
    const file = join(work, 'networked.wasm');
    await writeFile(file, networked);
    const error = await inspectManager(file).catch((e: unknown) => e);
    expect((error as BerthError).code).toBe('BERTH_ERR_WASM_UNGRANTABLE_IMPORT');
    expect((error as BerthError).message).toContain('wasi:http/outgoing-handler');
  });

  it('makes the host refuse to instantiate it: no import it does not grant', async () => {
    const error = await Sandbox.start({
      component: await transpileComponent(networked),
      spec: bareSandboxSpec(),
      quickTimeoutMs: 5000,
      slowTimeoutMs: 5000,
    }).catch((e: unknown) => e);
    expect((error as BerthError).code).toBe('BERTH_ERR_SANDBOX_FAILED');
    expect((error as BerthError).message).toMatch(/imports .*wasi:http\/outgoing-handler.*which the host does not provide/);
  });
});
