import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../server/api/app.js';
import { ProjectAuth, tokenDigest } from '../../../server/api/auth.js';
import { DatastoreRegistry, datastoreConfigSchema } from '../../../server/registry/registry.js';

const manager = { path: '/opt/berth/m.wasm', sha256: 'b'.repeat(64) };
const TOKENS = { acme: 'acme-token-0123456789', globex: 'globex-token-0123456789', expired: 'acme-expired-0123456789' };
let app: FastifyInstance;
let address: string;

beforeAll(async () => {
  const registry = new DatastoreRegistry([datastoreConfigSchema.parse({ name: 'postgresql', versions: [{ name: '16', manager }] })]);
  const auth = new ProjectAuth([
    { name: 'acme', tokens_sha256: [tokenDigest(TOKENS.acme), { sha256: tokenDigest(TOKENS.expired), expires_at: '2020-01-01T00:00:00Z' }] },
    { name: 'globex', tokens_sha256: [tokenDigest(TOKENS.globex)] },
  ]);
  app = await buildApi({ registry, auth });
  address = await app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await app.close();
});

type Headers = Record<string, string>;
const bearer = (token: string): Headers => ({ authorization: `Bearer ${token}` });
const xAuth = (token: string): Headers => ({ 'x-auth-token': token });

async function get(path: string, headers: Headers): Promise<{ status: number; body: any }> {
  const response = await fetch(`${address}${path}`, { headers });
  return { status: response.status, body: await response.json() };
}

describe('X-Auth-Token, the header every OpenStack client sends', () => {
  it.each([
    ['Authorization: Bearer', bearer],
    ['X-Auth-Token', xAuth],
  ])('authenticates like a bearer token: %s', async (_label, header) => {
    const response = await get('/v1.0/acme/datastores', header(TOKENS.acme));
    expect(response.status).toBe(200);
    expect(response.body.datastores.map((d: { name: string }) => d.name)).toEqual(['postgresql']);
  });

  it.each([
    ['a wrong token', '/v1.0/acme/datastores', 'nope-nope-nope-nope', 401, 'BERTH_ERR_UNAUTHORIZED'],
    ['an expired token', '/v1.0/acme/datastores', TOKENS.expired, 401, 'BERTH_ERR_TOKEN_EXPIRED'],
    ["another project's token", '/v1.0/acme/datastores', TOKENS.globex, 403, 'BERTH_ERR_FORBIDDEN'],
    ['a token on a deeper route of another project', '/v1.0/globex/datastores/postgresql/versions', TOKENS.acme, 403, 'BERTH_ERR_FORBIDDEN'],
  ])('refuses %s with the same code as with Bearer', async (_label, path, token, status, code) => {
    const viaBearer = await get(path, bearer(token));
    const viaXAuth = await get(path, xAuth(token));
    expect(viaBearer.status).toBe(status);
    expect(viaBearer.body).toMatchObject({ error: { code } });
    expect(viaXAuth.status).toBe(status);
    expect(viaXAuth.body).toMatchObject({ error: { code } });
  });

  it('refuses an empty X-Auth-Token as no token', async () => {
    const response = await get('/v1.0/acme/datastores', xAuth(''));
    expect(response.status).toBe(401);
    expect(response.body).toMatchObject({ error: { code: 'BERTH_ERR_UNAUTHORIZED' } });
  });

  it('takes both headers only when they carry the same token', async () => {
    expect((await get('/v1.0/acme/datastores', { ...bearer(TOKENS.acme), ...xAuth(TOKENS.acme) })).status).toBe(200);
    // a request must not be two callers at once: neither header wins
    for (const headers of [
      { ...bearer(TOKENS.acme), ...xAuth(TOKENS.globex) },
      { ...bearer(TOKENS.globex), ...xAuth(TOKENS.acme) },
      { authorization: 'Basic YWNtZTpwYXNz', ...xAuth(TOKENS.acme) },
    ]) {
      const response = await get('/v1.0/acme/datastores', headers);
      expect(response.status).toBe(401);
      expect(response.body).toMatchObject({ error: { code: 'BERTH_ERR_UNAUTHORIZED' } });
    }
  });
});
