import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalProvisioner } from '../../../server/provisioning/local.js';
import type { ProvisionResult } from '../../../server/provisioning/provisioner.js';
import type { InstanceRecord } from '../../../server/store/store.js';

const cleanups: Array<() => Promise<unknown> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A real child process as the guest host: `script` run by node, its output in the instance's host.log. */
function provisioner(script: string, failures: Array<{ id: string; reason: string }>, exits: Array<number | null>): LocalProvisioner {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-crash-loop-'));
  const local = new LocalProvisioner({
    dataDir,
    firstRestartDelayMs: 20,
    maxRestartDelayMs: 100,
    hostCommand: () => ['-e', script],
    onFailed: (id, reason) => failures.push({ id, reason }),
    onExit: (_id, code) => exits.push(code),
  });
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  cleanups.push(() => local.deprovision({ id: 'crash-1' } as InstanceRecord));
  mkdirSync(join(dataDir, 'instances', 'crash-1'), { recursive: true });
  return local;
}

const result = { guestConfigToml: '# not read by this host\n' } as ProvisionResult;

async function until(condition: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 20_000; !condition(); await new Promise((resolve) => setTimeout(resolve, 20))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
  }
}

describe('the local provisioner facing a guest host that dies at start', () => {
  it('reports a crash loop once, with the log tail, and keeps restarting it', async () => {
    const failures: Array<{ id: string; reason: string }> = [];
    const exits: Array<number | null> = [];
    const local = provisioner(`console.error('cannot map the manager: out of address space'); process.exit(1)`, failures, exits);
    await local.provision({ id: 'crash-1' } as InstanceRecord, result);
    await until(() => exits.length >= 5, 'five exits');
    expect(failures).toHaveLength(1);
    expect(failures[0]!.id).toBe('crash-1');
    expect(failures[0]!.reason).toContain('exit 1');
    expect(failures[0]!.reason).toContain('cannot map the manager: out of address space');
  });

  it('says nothing of a host that exits once and then stays up', async () => {
    const failures: Array<{ id: string; reason: string }> = [];
    const exits: Array<number | null> = [];
    // the first run exits at once; the next ones (the marker file exists) stay up
    const marker = join(mkdtempSync(join(tmpdir(), 'berth-crash-once-')), 'ran');
    cleanups.push(() => rmSync(join(marker, '..'), { recursive: true, force: true }));
    const script = `const fs = require('node:fs'); if (!fs.existsSync(${JSON.stringify(marker)})) { fs.writeFileSync(${JSON.stringify(marker)}, ''); process.exit(1); } setInterval(() => undefined, 1000)`;
    const local = provisioner(script, failures, exits);
    await local.provision({ id: 'crash-1' } as InstanceRecord, result);
    await until(() => exits.length >= 1 && local.pidOf('crash-1') !== undefined, 'the restart');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(exits).toEqual([1]);
    expect(failures).toEqual([]);
  });
});
