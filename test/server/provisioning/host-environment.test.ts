import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST_MALLOC_TUNABLES } from '../../../host/malloc-tunables.js';
import { LocalProvisioner } from '../../../server/provisioning/local.js';
import type { ProvisionResult } from '../../../server/provisioning/provisioner.js';
import type { InstanceRecord } from '../../../server/store/store.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** The GLIBC_TUNABLES a local guest host process starts with (a real child writes what it was given). */
async function hostTunables(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-host-env-'));
  const out = join(dataDir, 'tunables');
  const script = `require('node:fs').writeFileSync(${JSON.stringify(out)}, process.env.GLIBC_TUNABLES ?? '(unset)'); setInterval(() => {}, 1000)`;
  const local = new LocalProvisioner({ dataDir, hostCommand: () => ['-e', script] });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanups.push(() => local.deprovision({ id: 'env-1' } as InstanceRecord));
  mkdirSync(join(dataDir, 'instances', 'env-1'), { recursive: true });
  await local.provision({ id: 'env-1' } as InstanceRecord, { guestConfigToml: '# not read\n' } as ProvisionResult);
  for (const deadline = Date.now() + 20_000; !existsSync(out); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error('the host never started');
  }
  return readFileSync(out, 'utf8');
}

describe("a local guest host's malloc settings", () => {
  it('starts with the host tunables (two arenas, large blocks returned when freed)', async () => {
    const saved = process.env.GLIBC_TUNABLES;
    delete process.env.GLIBC_TUNABLES;
    cleanups.push(() => void (saved === undefined ? delete process.env.GLIBC_TUNABLES : (process.env.GLIBC_TUNABLES = saved)));
    expect(await hostTunables()).toBe(HOST_MALLOC_TUNABLES);
  });

  it("keeps an operator's own GLIBC_TUNABLES as it is", async () => {
    const saved = process.env.GLIBC_TUNABLES;
    process.env.GLIBC_TUNABLES = 'glibc.malloc.arena_max=4';
    cleanups.push(() => void (saved === undefined ? delete process.env.GLIBC_TUNABLES : (process.env.GLIBC_TUNABLES = saved)));
    expect(await hostTunables()).toBe('glibc.malloc.arena_max=4');
  });
});
