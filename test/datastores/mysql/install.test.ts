import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MARIADB_PROGRAMS } from '../../../server/registry/builtin-datastores.js';
import { startMysqlGuests } from '../../support/mysql-guests.js';
import { ok, prepareRequest, rowsOf } from './replication-steps.js';

// mariadb-install-db granted as a wrapper script that fails the way the
// real one does (its reason on stdout, exit 1): the first `failures` runs
// fail, later ones run the real program.
const cleanups: Array<() => Promise<unknown>> = [];

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

function flakyInstall(failures: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'berth-install-wrapper-'));
  chmodSync(dir, 0o777);
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const script = join(dir, 'mariadb-install-db');
  const count = join(dir, 'runs');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      `n=$(cat ${count} 2>/dev/null || echo 0); echo $((n + 1)) > ${count}`,
      `if [ "$n" -lt ${failures} ]; then echo; echo "Installation of system tables failed (wrapper run $n)"; echo "Examine the logs"; echo; echo "advice nobody needs"; exit 1; fi`,
      `exec ${MARIADB_PROGRAMS.install[0]} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return script;
}

const replacing = (wrapper: string) => (programs: string[]) => programs.map((program) => (basename(program) === 'mariadb-install-db' ? wrapper : program));

describe('prepare installs the system tables', () => {
  it('tries once more when mariadb-install-db fails, and says why the first try failed', async () => {
    const { guests } = await startMysqlGuests(cleanups, 1, [], replacing(flakyInstall(1)));
    const guest = guests[0]!;
    const request = prepareRequest({ databases: [{ name: 'shop', characterSet: undefined, collation: undefined }] });
    ok(await guest.call('prepare', [request], 300_000), 'prepare', guest);
    expect(await rowsOf(guest.port, { name: 'os_admin', password: guest.adminPassword }, "SHOW DATABASES LIKE 'shop'", '')).toHaveLength(1);
    expect(guest.log()).toContain('Installation of system tables failed (wrapper run 0)');
  }, 300_000);

  it('fails prepare with the program\'s own reason when the second try fails too', async () => {
    const { guests } = await startMysqlGuests(cleanups, 1, [], replacing(flakyInstall(2)));
    const outcome = await guests[0]!.call('prepare', [prepareRequest({})], 300_000);
    expect(outcome).toMatchObject({ err: { tag: 'failed' } });
    const detail = (outcome as { err: { val: { detail: string } } }).err.val.detail;
    expect(detail).toContain('wrapper run 1');
    expect(detail).not.toContain('advice nobody needs');
  }, 300_000);
});
