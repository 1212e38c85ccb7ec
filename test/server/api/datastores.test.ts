import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../../server/api/app.js';
import { ProjectAuth, tokenDigest } from '../../../server/api/auth.js';
import { DatastoreRegistry, datastoreConfigSchema } from '../../../server/registry/registry.js';
import { datastoreId, datastoreVersionId } from '../../../server/registry/stable-ids.js';

const manager = { path: '/opt/berth/m.wasm', sha256: 'b'.repeat(64) };
const TOKENS = { acme: 'acme-token-0123456789', globex: 'globex-token-0123456789', expired: 'acme-expired-0123456789', expiring: 'acme-expiring-0123456789' };
let app: FastifyInstance;

beforeAll(async () => {
  const registry = new DatastoreRegistry(
    [
      { name: 'postgresql', versions: [{ name: '15', manager }, { name: '16', manager, active: false }], default_version: '15' },
      { name: 'couchbase', versions: [{ name: '7', manager }] },
    ].map((c) => datastoreConfigSchema.parse(c)),
  );
  const auth = new ProjectAuth([
    {
      name: 'acme',
      tokens_sha256: [
        tokenDigest(TOKENS.acme),
        { sha256: tokenDigest(TOKENS.expired), expires_at: '2020-01-01T00:00:00Z' },
        { sha256: tokenDigest(TOKENS.expiring), expires_at: '2999-01-01T00:00:00+01:00' },
      ],
    },
    { name: 'globex', tokens_sha256: [tokenDigest(TOKENS.globex)] },
  ]);
  app = await buildApi({ registry, auth });
});
afterAll(async () => {
  await app.close();
});

// app.inject's host is localhost:80 over http
const linksTo = (path: string) => [
  { href: `http://localhost:80/v1.0/acme/${path}`, rel: 'self' },
  { href: `http://localhost:80/${path}`, rel: 'bookmark' },
];
const get = (url: string, token: string | null = TOKENS.acme) =>
  app.inject({ method: 'GET', url, headers: token === null ? {} : { authorization: `Bearer ${token}` } });

describe('GET /v1.0/{project}/datastores', () => {
  it('lists datastores with their versions in the shape Trove users know', async () => {
    const response = await get('/v1.0/acme/datastores');
    expect(response.statusCode).toBe(200);
    const version = (name: string, v: string, active = true) => ({ id: datastoreVersionId(name, v), name: v, version: v, active, links: linksTo(`datastores/versions/${datastoreVersionId(name, v)}`) });
    expect(response.json()).toEqual({
      datastores: [
        { id: datastoreId('postgresql'), name: 'postgresql', links: linksTo(`datastores/${datastoreId('postgresql')}`), default_version: datastoreVersionId('postgresql', '15'), versions: [version('postgresql', '15'), version('postgresql', '16', false)] },
        { id: datastoreId('couchbase'), name: 'couchbase', links: linksTo(`datastores/${datastoreId('couchbase')}`), default_version: datastoreVersionId('couchbase', '7'), versions: [version('couchbase', '7')] },
      ],
    });
  });

  it('gives every datastore and version a UUID that is the same on every server, and finds each by name or by id', async () => {
    expect(datastoreVersionId('postgresql', '15')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(datastoreVersionId('mysql', '10.11')).not.toBe(datastoreVersionId('mariadb', '10.11'));
    const byName = (await get('/v1.0/acme/datastores/postgresql')).json();
    expect((await get(`/v1.0/acme/datastores/${datastoreId('postgresql')}`)).json()).toEqual(byName);
    expect(byName.datastore.name).toBe('postgresql');
    const id = datastoreVersionId('postgresql', '16');
    const byId = (await get(`/v1.0/acme/datastores/versions/${id}`)).json();
    expect(byId.version).toMatchObject({ id, name: '16', datastore: 'postgresql', active: false });
    expect((await get(`/v1.0/acme/datastores/postgresql/versions/${id}`)).json()).toEqual(byId);
    expect((await get(`/v1.0/acme/datastores/${datastoreId('postgresql')}/versions/16`)).json()).toEqual(byId);
    expect((await get('/v1.0/acme/datastores/versions/16')).json().error.code).toBe('BERTH_ERR_DATASTORE_NOT_FOUND');
  });

  it('takes a token until the moment it expires', async () => {
    expect((await get('/v1.0/acme/datastores', TOKENS.expiring)).statusCode).toBe(200);
    let now = Date.parse('2026-06-01T00:00:00Z');
    const auth = new ProjectAuth([{ name: 'acme', tokens_sha256: [{ sha256: tokenDigest(TOKENS.acme), expires_at: '2026-06-01T00:00:01Z' }] }], () => now);
    const request = { headers: { authorization: `Bearer ${TOKENS.acme}` } } as Parameters<ProjectAuth['authorize']>[0];
    expect(auth.authorize(request, 'acme')).toBe('acme');
    now += 1000;
    expect(() => auth.authorize(request, 'acme')).toThrow(expect.objectContaining({ code: 'BERTH_ERR_TOKEN_EXPIRED' }));
  });

  it('shows a version with its ports and pinned manager', async () => {
    const response = await get('/v1.0/acme/datastores/couchbase/versions/7');
    expect(response.json()).toEqual({
      version: { id: datastoreVersionId('couchbase', '7'), name: '7', version: '7', links: linksTo(`datastores/versions/${datastoreVersionId('couchbase', '7')}`), datastore: 'couchbase', active: true, manager_sha256: manager.sha256, tcp_ports: ['8091', '8092', '4369', '11209-11211', '21100-21199'], udp_ports: [] },
    });
    expect((await get('/v1.0/acme/datastores/postgresql/versions')).json().versions).toHaveLength(2);
  });

  it.each([
    ['no token', '/v1.0/acme/datastores', null, 401, 'BERTH_ERR_UNAUTHORIZED'],
    ['a wrong token', '/v1.0/acme/datastores', 'nope-nope-nope-nope', 401, 'BERTH_ERR_UNAUTHORIZED'],
    ["another project's token", '/v1.0/acme/datastores', TOKENS.globex, 403, 'BERTH_ERR_FORBIDDEN'],
    ['an expired token', '/v1.0/acme/datastores', TOKENS.expired, 401, 'BERTH_ERR_TOKEN_EXPIRED'],
    ["an expired token, on another project's path", '/v1.0/globex/datastores', TOKENS.expired, 401, 'BERTH_ERR_TOKEN_EXPIRED'],
    ["a token that has not expired, on another project's path", '/v1.0/globex/datastores', TOKENS.expiring, 403, 'BERTH_ERR_FORBIDDEN'],
    ['an unknown datastore', '/v1.0/acme/datastores/oracle/versions', TOKENS.acme, 404, 'BERTH_ERR_DATASTORE_NOT_FOUND'],
    ['an unknown version', '/v1.0/acme/datastores/postgresql/versions/9', TOKENS.acme, 404, 'BERTH_ERR_DATASTORE_NOT_FOUND'],
    // the token is checked before anything else is read: no token names a malformed project
    ['a malformed project', '/v1.0/a%20b/datastores', TOKENS.acme, 403, 'BERTH_ERR_FORBIDDEN'],
    ['an unknown path', '/v1.0/acme/flavors', TOKENS.acme, 404, 'BERTH_ERR_ROUTE_NOT_FOUND'],
  ])('refuses %s with its catalogue code', async (_label, url, token, status, code) => {
    const response = await get(url, token);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toMatchObject({ error: { code, message: expect.any(String) } });
  });

  it('redirects the UI\'s static index to the UI, with or without a query (regression: a query made it redirect to itself)', async () => {
    for (const url of ['/docs/static/index.html', '/docs/static/index.html?limit=0']) {
      const response = await app.inject({ method: 'GET', url });
      expect(response.statusCode, url).toBe(302);
      expect(response.headers.location, url).toBe('/docs/');
    }
    expect((await app.inject({ method: 'GET', url: '/docs/' })).statusCode).toBe(200);
  });

  it('serves an OpenAPI document describing the routes', async () => {
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { openapi: string; paths: Record<string, unknown> };
    expect(document.openapi).toMatch(/^3\./);
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(['/v1.0/{project}/datastores', '/v1.0/{project}/datastores/{datastore}/versions/{version}']),
    );
  });

  it('answers over a real listening socket the same way', async () => {
    const address = await app.listen({ host: '127.0.0.1', port: 0 });
    const ok = await fetch(`${address}/v1.0/globex/datastores`, { headers: { authorization: `Bearer ${TOKENS.globex}` } });
    expect(ok.status).toBe(200);
    const refused = await fetch(`${address}/v1.0/globex/datastores`);
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ error: { code: 'BERTH_ERR_UNAUTHORIZED' } });
  });
});
