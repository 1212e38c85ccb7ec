import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../server/api/app.js';
import { ProjectAuth, tokenDigest } from '../../../server/api/auth.js';
import { serverConfigSchema } from '../../../server/config/server-config.js';
import { hashPassword, verifyPassword } from '../../../server/identity/password-hash.js';
import { DatastoreRegistry, datastoreConfigSchema } from '../../../server/registry/registry.js';
import { berthProcess } from '../../support/cli.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';

const manager = { path: '/opt/berth/m.wasm', sha256: 'b'.repeat(64) };
const LIFETIME_MS = 60_000;
let now = Date.parse('2026-06-01T00:00:00Z');
let app: FastifyInstance;
let address: string;

beforeAll(async () => {
  const registry = new DatastoreRegistry([datastoreConfigSchema.parse({ name: 'postgresql', versions: [{ name: '16', manager }] })]);
  const auth = new ProjectAuth([{ name: 'globex', tokens_sha256: [tokenDigest('globex-token-0123456789')] }], () => now);
  const users = [
    { name: 'alice', password_scrypt: await hashPassword('alice-password'), projects: ['acme'] },
    { name: 'bob', password_scrypt: await hashPassword('bob-password'), projects: ['acme', 'globex'] },
  ];
  app = await buildApi({ registry, auth, identity: { users, tokenLifetimeMs: LIFETIME_MS } });
  address = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
});

const login = (user: Record<string, unknown>, project?: Record<string, unknown>) => ({
  auth: {
    identity: { methods: ['password'], password: { user } },
    ...(project ? { scope: { project } } : {}),
  },
});
const alice = { name: 'alice', password: 'alice-password', domain: { name: 'Default' } };

async function post(body: unknown): Promise<{ status: number; token: string | null; body: any }> {
  const response = await fetch(`${address}/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.status, token: response.headers.get('x-subject-token'), body: await response.json() };
}

const datastores = (project: string, token: string) => fetch(`${address}/v1.0/${project}/datastores`, { headers: { 'x-auth-token': token } });

describe('issued tokens', () => {
  it('are bounded: past the cap the oldest is forgotten, the newest still works', () => {
    const auth = new ProjectAuth([], Date.now, 3);
    const tokens = [0, 1, 2, 3].map(() => auth.issue('acme', 60_000).token);
    const project = (token: string) => {
      try {
        return auth.authorize({ headers: { 'x-auth-token': token } } as never, 'acme');
      } catch (error) {
        return (error as { code: string }).code;
      }
    };
    expect(project(tokens[0]!)).toBe('BERTH_ERR_UNAUTHORIZED');
    expect(tokens.slice(1).map(project)).toEqual(['acme', 'acme', 'acme']);
  });
});

describe('version discovery', () => {
  it('answers /v3 with the v3 version and /identity with the list of versions', async () => {
    const version = (await (await fetch(`${address}/v3`)).json()) as { version: { id: string } };
    expect(version).toMatchObject({ version: { id: expect.stringMatching(/^v3\./), status: 'stable', links: [{ rel: 'self', href: `${address}/v3/` }] } });
    const versions = await (await fetch(`${address}/identity`)).json();
    expect(versions).toMatchObject({ versions: { values: [{ id: version.version.id, links: [{ rel: 'self', href: `${address}/v3/` }] }] } });
  });
});

describe('POST /v3/auth/tokens', () => {
  it('issues a project-scoped token that authenticates the REST API for that project until it expires', async () => {
    const issued = await post(login(alice, { name: 'acme', domain: { name: 'Default' } }));
    expect(issued.status).toBe(201);
    expect(issued.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(issued.body.token).toMatchObject({
      expires_at: new Date(now + LIFETIME_MS).toISOString().replace('Z', '000Z'),
      project: { id: 'acme', name: 'acme', domain: { id: 'default', name: 'Default' } },
      user: { id: 'alice', name: 'alice', domain: { id: 'default' } },
      catalog: [{ type: 'database', endpoints: [{ interface: 'public', region: 'RegionOne', url: `${address}/v1.0/acme` }] }],
    });
    const token = issued.token!;
    expect((await datastores('acme', token)).status).toBe(200);
    const other = await datastores('globex', token);
    expect(other.status).toBe(403);
    expect(await other.json()).toMatchObject({ error: { code: 'BERTH_ERR_FORBIDDEN' } });

    now += LIFETIME_MS;
    const expired = await datastores('acme', token);
    expect(expired.status).toBe(401);
    expect(await expired.json()).toMatchObject({ error: { code: 'BERTH_ERR_TOKEN_EXPIRED' } });

    // an hour after it expired, the next login forgets it: the server does not keep every token it ever issued
    now += 60 * 60 * 1000;
    expect((await post(login(alice, { id: 'acme' }))).status).toBe(201);
    const forgotten = await datastores('acme', token);
    expect(forgotten.status).toBe(401);
    expect(await forgotten.json()).toMatchObject({ error: { code: 'BERTH_ERR_UNAUTHORIZED' } });
  });

  it('scopes by project id, which is the project name, and takes the domain by id', async () => {
    const issued = await post(login({ name: 'bob', password: 'bob-password', domain: { id: 'default' } }, { id: 'globex' }));
    expect(issued.status).toBe(201);
    expect((await datastores('globex', issued.token!)).status).toBe(200);
  });

  it.each([
    ['a wrong password', login({ ...alice, password: 'nope' }, { name: 'acme', domain: { name: 'Default' } })],
    ['an unknown user', login({ ...alice, name: 'mallory' }, { name: 'acme', domain: { name: 'Default' } })],
    ['a project the user has no access to', login(alice, { name: 'globex', domain: { name: 'Default' } })],
    ['another domain', login({ ...alice, domain: { name: 'Other' } }, { name: 'acme', domain: { name: 'Default' } })],
    ['another method', { auth: { identity: { methods: ['totp'], totp: { user: { id: 'alice' } } }, scope: { project: { id: 'acme' } } } }],
    ['an unknown token', { auth: { identity: { methods: ['token'], token: { id: 'not-a-token-of-anyone' } }, scope: { project: { id: 'globex' } } } }],
    ["a project token scoped to another project", { auth: { identity: { methods: ['token'], token: { id: 'globex-token-0123456789' } }, scope: { project: { id: 'acme' } } } }],
  ])('refuses %s with 401 in the shape keystoneauth reads', async (_label, body) => {
    const refused = await post(body);
    expect(refused.status).toBe(401);
    expect(refused.token).toBeNull();
    expect(refused.body).toEqual({ error: { code: 401, title: 'Unauthorized', message: expect.any(String) } });
  });

  it('exchanges a valid token for a new one of the same project (the token method), expiring no later than the one presented', async () => {
    const tokenLogin = (token: string, project: string) => ({ auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { name: project, domain: { id: 'default' } } } } });
    const fromProjectToken = await post(tokenLogin('globex-token-0123456789', 'globex'));
    expect(fromProjectToken.status).toBe(201);
    expect(fromProjectToken.body.token).toMatchObject({ methods: ['token'], project: { name: 'globex' } });
    expect((await datastores('globex', fromProjectToken.token!)).status).toBe(200);

    const password = await post(login(alice, { id: 'acme' }));
    now += LIFETIME_MS / 2;
    const exchanged = await post(tokenLogin(password.token!, 'acme'));
    expect(exchanged.status).toBe(201);
    // the exchange cannot outlive what was presented: it ends when the password login's token ends
    expect(exchanged.body.token.expires_at).toBe(password.body.token.expires_at);
    now += LIFETIME_MS / 2;
    expect((await datastores('acme', exchanged.token!)).status).toBe(401);
    expect((await post(tokenLogin(password.token!, 'acme'))).status).toBe(401);
  });

  it('gives no hint which of user, password and project was wrong', async () => {
    const messages = await Promise.all(
      [login({ ...alice, password: 'nope' }, { id: 'acme' }), login({ ...alice, name: 'mallory' }, { id: 'acme' }), login(alice, { id: 'globex' })].map(async (body) => (await post(body)).body.error.message),
    );
    expect(new Set(messages).size).toBe(1);
  });

  it.each([
    ['no scope (Berth issues project tokens only)', login(alice)],
    ['a body that is not a login', { hello: 'world' }],
  ])('refuses %s with 400', async (_label, body) => {
    const refused = await post(body);
    expect(refused.status).toBe(400);
    expect(refused.body).toEqual({ error: { code: 400, title: 'Bad Request', message: expect.any(String) } });
  });

  it('refuses a body that is not JSON with 400 in the same shape', async () => {
    const response = await fetch(`${address}/v3/auth/tokens`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { code: 400, title: 'Bad Request' } });
  });
});

describe('users in the server config', () => {
  it('takes a scrypt hash and refuses a password in clear or a malformed hash', async () => {
    const hash = await hashPassword('s3cret');
    expect(hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(serverConfigSchema.parse({ users: [{ name: 'alice', password_scrypt: hash, projects: ['acme'] }] }).users).toHaveLength(1);
    for (const password_scrypt of ['s3cret', hash.replace('$32768$', '$1000$'), hash.replace(/\$[^$]+$/, '$short')]) {
      const result = serverConfigSchema.safeParse({ users: [{ name: 'alice', password_scrypt, projects: ['acme'] }] });
      expect(result.success, password_scrypt).toBe(false);
    }
    const twice = serverConfigSchema.safeParse({ users: [{ name: 'a', password_scrypt: hash, projects: ['x'] }, { name: 'a', password_scrypt: hash, projects: ['y'] }] });
    expect(twice.success).toBe(false);
  });

  it('salts every hash', async () => {
    const [first, second] = [await hashPassword('same'), await hashPassword('same')];
    expect(first).not.toBe(second);
    expect(await verifyPassword('same', first)).toBe(true);
    expect(await verifyPassword('same', second)).toBe(true);
    expect(await verifyPassword('Same', first)).toBe(false);
  });

  it('berth hash-password prints the hash of the password on stdin', async () => {
    const run = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
      const child = spawn(process.execPath, [join(PACKAGE_ROOT, 'dist', 'server', 'cli', 'berth.js'), 'hash-password'], { stdio: ['pipe', 'pipe', 'inherit'] });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, stdout }));
      child.stdin.end('typed password\n');
    });
    expect(run.code).toBe(0);
    const hash = run.stdout.trim();
    expect(await verifyPassword('typed password', hash)).toBe(true);
    expect(serverConfigSchema.safeParse({ users: [{ name: 'alice', password_scrypt: hash, projects: ['acme'] }] }).success).toBe(true);

    const home = await mkdtemp(join(tmpdir(), 'berth-hash-password-'));
    try {
      const empty = await berthProcess(['hash-password'], { home });
      expect(empty.code).toBe(2);
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});
