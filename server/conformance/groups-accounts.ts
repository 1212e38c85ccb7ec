import { randomBytes } from 'node:crypto';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ApiClient } from '../cli/api-client.js';
import { CheckFailure, expectThat } from './checks.js';
import { claimedCheck, type ScenarioContext } from './context.js';

export const PROBE_DATABASE = 'conformance_probe';
const DATABASES = ['conformance_a', 'conformance_b', 'conformance_c'];

const secret = () => randomBytes(15).toString('hex');
const path = (client: ApiClient, id: string, rest: string) => client.projectPath(`/instances/${encodeURIComponent(id)}${rest}`);
const sorted = (names: readonly string[]) => [...names].sort();
const same = (a: readonly string[], b: readonly string[]) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));

/** Every database, following `next` one page of `limit` at a time. */
async function allDatabases(client: ApiClient, id: string, limit: number): Promise<string[]> {
  const names: string[] = [];
  let marker: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const query = `?limit=${limit}${marker === undefined ? '' : `&marker=${encodeURIComponent(marker)}`}`;
    const page = await client.request<{ databases: Array<{ name: string }>; next?: string }>('GET', path(client, id, `/databases${query}`));
    if (page.databases.length > limit) throw new CheckFailure(`a page asked for ${limit} database(s) held ${page.databases.length}`);
    names.push(...page.databases.map((d) => d.name));
    if (!page.next) return names;
    if (page.next === marker) throw new CheckFailure(`list-databases answered the same next marker ${marker} twice`);
    marker = page.next;
  }
  throw new CheckFailure('list-databases never ended (1000 pages)');
}

async function expectCode(what: string, code: string, body: () => Promise<unknown>): Promise<void> {
  try {
    await body();
  } catch (error) {
    if (error instanceof BerthError && error.code === code) return;
    throw new CheckFailure(`${what} answered ${error instanceof BerthError ? error.code : String(error)}, not ${code}`);
  }
  throw new CheckFailure(`${what} succeeded; it should answer ${code}`);
}

export async function databaseChecks(context: ScenarioContext): Promise<void> {
  const { client, instanceId: id } = context;
  const group = 'databases';
  await claimedCheck(context, group, ['list-databases'], 'a new instance lists no database it was not asked for', async () => {
    const found = await allDatabases(client, id, 100);
    expectThat(found.length === 0, `a new instance lists ${found.join(', ')}`);
  });
  const created = await claimedCheck(context, group, ['create-databases', 'list-databases'], 'created databases are listed, exactly', async () => {
    await client.createDatabases(id, DATABASES.map((name) => ({ name })));
    const found = await allDatabases(client, id, 100);
    expectThat(same(found, DATABASES), `after creating ${DATABASES.join(', ')} the list is ${found.join(', ') || 'empty'}`);
  });
  if (created) {
    await claimedCheck(context, group, ['list-databases'], 'paging with limit 1 gives each database once', async () => {
      const found = await allDatabases(client, id, 1);
      expectThat(found.length === DATABASES.length && same(found, DATABASES), `one at a time the pages held ${found.join(', ')}`);
    });
    await claimedCheck(context, group, ['create-databases'], 'creating an existing database answers already-exists', () =>
      expectCode('creating conformance_a again', 'BERTH_ERR_MANAGER_ALREADY_EXISTS', () => client.createDatabases(id, [{ name: DATABASES[0]! }])),
    );
  }
  await claimedCheck(context, group, ['delete-database', 'list-databases'], 'a deleted database is no longer listed', async () => {
    await client.deleteDatabase(id, DATABASES[2]!);
    const found = await allDatabases(client, id, 100);
    expectThat(same(found, DATABASES.slice(0, 2)), `after deleting ${DATABASES[2]} the list is ${found.join(', ') || 'empty'}`);
  });
  if (context.claims.has('create-databases')) {
    await claimedCheck(context, group, ['create-databases'], 'the probe database', async () => {
      await client.createDatabases(id, [{ name: PROBE_DATABASE }]);
      context.probeDatabase = PROBE_DATABASE;
    });
  }
}

export async function userChecks(context: ScenarioContext): Promise<void> {
  const { client, instanceId: id } = context;
  const group = 'users';
  const database = context.probeDatabase ? [{ name: context.probeDatabase }] : [];
  const names = async () => (await client.listUsers(id)).users.map((u) => u.name);
  await claimedCheck(context, group, ['list-users'], 'a new instance lists no user it was not asked for', async () => {
    const found = await names();
    expectThat(found.length === 0, `a new instance lists ${found.join(', ')}`);
  });
  const password = secret();
  const created = await claimedCheck(context, group, ['create-users', 'list-users'], 'a created user is listed', async () => {
    await client.createUsers(id, [{ name: 'conformance_user', password, databases: database }]);
    const found = await names();
    expectThat(same(found, ['conformance_user']), `after creating conformance_user the list is ${found.join(', ') || 'empty'}`);
    if (!context.credentials) context.credentials = { user: 'conformance_user', password };
  });
  if (!created) return;
  await claimedCheck(context, group, ['get-user'], 'get-user shows the user and its databases', async () => {
    const { user } = await client.request<{ user: { name: string; databases: Array<{ name: string }> } }>('GET', path(client, id, '/users/conformance_user'));
    expectThat(user.name === 'conformance_user', `get-user answered ${user.name}`);
    const shown = user.databases.map((d) => d.name);
    expectThat(same(shown, database.map((d) => d.name)), `get-user shows databases ${shown.join(', ') || 'none'}, not ${database.map((d) => d.name).join(', ') || 'none'}`);
  });
  await claimedCheck(context, group, ['get-user'], 'get-user of an unknown user answers not-found', () =>
    expectCode('get-user conformance_nobody', 'BERTH_ERR_MANAGER_NOT_FOUND', () => client.request('GET', path(client, id, '/users/conformance_nobody'))),
  );
  await claimedCheck(context, group, ['change-passwords'], 'change-passwords is accepted', async () => {
    const changed = secret();
    await client.request('PUT', path(client, id, '/users'), { users: [{ name: 'conformance_user', password: changed }] });
    if (context.credentials?.user === 'conformance_user') context.credentials = { user: 'conformance_user', password: changed };
  });
  await claimedCheck(context, group, ['update-attributes', 'list-users'], 'a renamed user is listed by its new name only', async () => {
    await client.request('PUT', path(client, id, '/users/conformance_user'), { user: { name: 'conformance_renamed' } });
    const found = await names();
    expectThat(same(found, ['conformance_renamed']), `after the rename the list is ${found.join(', ') || 'empty'}`);
    await client.request('PUT', path(client, id, '/users/conformance_renamed'), { user: { name: 'conformance_user' } });
  });
  await claimedCheck(context, group, ['delete-user', 'list-users'], 'a deleted user is no longer listed', async () => {
    await client.createUsers(id, [{ name: 'conformance_gone', password: secret() }]);
    await client.request('DELETE', path(client, id, '/users/conformance_gone'));
    const found = await names();
    expectThat(!found.includes('conformance_gone'), `conformance_gone is still listed after delete-user`);
  });
}

export async function accessChecks(context: ScenarioContext): Promise<void> {
  const { client, instanceId: id } = context;
  const group = 'access';
  if (!context.claims.has('create-users') || !context.claims.has('create-databases')) {
    context.log.unsupported(group, 'grant-access', 'grant, list and revoke access (needs users and databases)');
    return;
  }
  const user = { name: 'conformance_access' };
  const granted = async () => (await client.listAccess(id, user)).databases.map((d) => d.name);
  const made = await claimedCheck(context, group, ['grant-access', 'list-access'], 'granted access is listed', async () => {
    await client.createUsers(id, [{ name: user.name, password: secret() }]);
    await client.grantAccess(id, user, ['conformance_b']);
    const found = await granted();
    expectThat(same(found, ['conformance_b']), `after granting conformance_b, access is ${found.join(', ') || 'none'}`);
  });
  if (!made) return;
  await claimedCheck(context, group, ['revoke-access', 'list-access'], 'revoked access is no longer listed', async () => {
    await client.revokeAccess(id, user, 'conformance_b');
    const found = await granted();
    expectThat(found.length === 0, `after revoking conformance_b, access is ${found.join(', ')}`);
  });
}

export async function rootChecks(context: ScenarioContext, phase: 'enable' | 'disable'): Promise<void> {
  const { client, instanceId: id } = context;
  const group = 'root';
  if (phase === 'disable') {
    await claimedCheck(context, group, ['disable-root', 'is-root-enabled'], 'disable-root turns root off', async () => {
      await client.request('DELETE', path(client, id, '/root'));
      expectThat((await client.rootEnabled(id)).rootEnabled === false, 'is-root-enabled answers true after disable-root');
    });
    return;
  }
  await claimedCheck(context, group, ['is-root-enabled'], 'a new instance has root off', async () => {
    expectThat((await client.rootEnabled(id)).rootEnabled === false, 'is-root-enabled answers true before enable-root');
  });
  await claimedCheck(context, group, ['enable-root', 'is-root-enabled'], 'enable-root answers credentials and turns root on', async () => {
    const { user } = await client.enableRoot(id);
    expectThat(user.name.length > 0 && user.password.length > 0, 'enable-root answered no name or password');
    expectThat((await client.rootEnabled(id)).rootEnabled === true, 'is-root-enabled answers false after enable-root');
    context.credentials = { user: user.name, password: user.password };
  });
}
