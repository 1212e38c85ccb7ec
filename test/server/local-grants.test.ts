import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { berthProcess } from '../support/cli.js';
import { apiRequest, prepareTestServer, type TestServerSetup } from '../support/server.js';

const TOKEN = 'acme-token-0123456789';
let setup: TestServerSetup | undefined;
afterEach(async () => {
  await setup?.cleanup();
  setup = undefined;
});

async function failure(promise: Promise<unknown>): Promise<BerthError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(BerthError);
  return error as BerthError;
}

/** three-ops asks for program tinydb-ctl, its {mount_point} read-write, and a postgresql connection "admin". */
const tinydb = (local: Record<string, unknown>) => ({ name: 'tinydb', guest: { greeting: 'hi' }, local, versions: [{ name: '1', manager: 'three-ops' as const }] });
const ADMIN = { kind: 'postgresql' as const, url: 'postgres://os_admin:{admin_password}@127.0.0.1:{port}/postgres' };

describe("the local provisioner's grants, checked at server start against each manager's manifest", () => {
  it('refuses to start when a datastore lacks a program its manager asks for, naming the datastore, the grant and the server config key; starts once it is given', async () => {
    setup = await prepareTestServer({
      name: 'local-grants',
      projects: { acme: TOKEN },
      managers: { 'three-ops': 'three-ops' },
      datastores: [tinydb({ ports: ['port'], secrets: ['admin_password'], connections: { admin: ADMIN } })],
    });
    const error = await failure(setup.start());
    expect(error.code).toBe('BERTH_ERR_LOCAL_GRANTS_MISSING');
    expect(error.details).toEqual({ datastore: 'tinydb', version: '1', grant: 'program', name: 'tinydb-ctl', key: 'datastores.local.programs' });
    expect(error.fix).toContain('[datastores.local]');

    setup.config.datastores[0]!.local!.programs = ['/usr/local/bin/tinydb-ctl'];
    const server = await setup.start();
    const listed = await apiRequest(server.url, TOKEN, 'GET', '/v1.0/acme/datastores');
    expect(listed.body.datastores.map((d: { name: string }) => d.name)).toEqual(['tinydb']);
  });

  it('names a missing connection, and one of another kind, by its key', async () => {
    setup = await prepareTestServer({
      name: 'local-grants-conn',
      projects: { acme: TOKEN },
      managers: { 'three-ops': 'three-ops' },
      datastores: [tinydb({ programs: ['/usr/local/bin/tinydb-ctl'] })],
    });
    const missing = await failure(setup.start());
    expect(missing.code).toBe('BERTH_ERR_LOCAL_GRANTS_MISSING');
    expect(missing.details).toMatchObject({ datastore: 'tinydb', grant: 'connection', name: 'admin', key: 'datastores.local.connections.admin' });

    setup.config.datastores[0]!.local!.connections = { admin: { kind: 'redis', url: 'redis://127.0.0.1:6379' } };
    const wrongKind = await failure(setup.start());
    expect(wrongKind.details).toMatchObject({ grant: 'connection', name: 'admin' });

    setup.config.datastores[0]!.local!.connections = { admin: { kind: 'postgresql', url: 'postgres://tiny@127.0.0.1:5432/tiny' } };
    await setup.start();
  });

  it('`berth server` exits with code 3 and the catalogue code on stderr, before it listens', async () => {
    setup = await prepareTestServer({
      name: 'local-grants-cli',
      projects: { acme: TOKEN },
      managers: { 'three-ops': 'three-ops' },
      datastores: [tinydb({ connections: { admin: ADMIN }, ports: ['port'], secrets: ['admin_password'] })],
    });
    const file = join(setup.dir, 'server.json');
    await writeFile(file, JSON.stringify(setup.config));
    const result = await berthProcess(['server', '--config', file], { home: setup.dir });
    expect(result.code).toBe(3);
    // the code is the contract; the datastore and the key are what the operator needs on that line and the fix's
    expect(result.stderr).toMatch(/^error BERTH_ERR_LOCAL_GRANTS_MISSING: datastore tinydb\b/m);
    expect(result.stderr).toMatch(/^ {2}fix: .*\[datastores\.local\]/m);
  });
});
