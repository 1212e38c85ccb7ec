import fc from 'fast-check';
import type { Route } from './routes.js';

/**
 * Generated REST requests: path parameters of every kind (valid ids of this
 * project and another, random UUIDs, unicode, very long, traversal, encoded
 * separators), bodies built from a valid one with one thing wrong or from
 * nothing, every content type, query strings.
 */
export interface RestRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string | Buffer;
}

/** Ids the requests may name: existing resources, which calls may reach. */
export interface KnownIds {
  /** This project's instances (a running guest among them). */
  own: string[];
  /** Instances of another project. */
  foreign: string[];
}

const hostile = fc.oneof(
  fc.constantFrom('..', '../..', '..%2F..%2Fetc%2Fpasswd', '%2e%2e', '%00', '%2F', '.', '~', '*', '%', '%zz', '%E0%A4%A', ' ', '\u202e', '__proto__', 'constructor', 'null', 'undefined', '-1', '0'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 30 }).map((s) => encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, 'x'))),
  fc.integer({ min: 90, max: 3000 }).map((n) => 'a'.repeat(n)),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.uuid().map((u) => `${u}x`),
);

function paramValue(name: string, ids: KnownIds, method: string): fc.Arbitrary<string> {
  const uuid = fc.oneof(fc.uuid(), fc.constant('00000000-0000-0000-0000-000000000000'));
  // existing instances are named except by DELETE, so the fixture survives the run
  const existing = method === 'DELETE' ? uuid : fc.oneof(fc.constantFrom(...ids.own), fc.constantFrom(...ids.foreign), uuid);
  switch (name) {
    case 'project':
      return fc.oneof({ arbitrary: fc.constant('acme'), weight: 8 }, { arbitrary: fc.constant('other'), weight: 1 }, { arbitrary: hostile, weight: 1 });
    case 'id':
    case 'instance':
      return fc.oneof({ arbitrary: existing, weight: 6 }, { arbitrary: hostile, weight: 2 });
    case 'backup':
      return fc.oneof(uuid, fc.stringMatching(/^[A-Za-z0-9_-]{1,40}$/), hostile);
    case 'datastore':
      return fc.oneof(fc.constant('counter'), hostile);
    case 'version':
      return fc.oneof(fc.constant('1'), hostile);
    default:
      return fc.oneof(fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/), hostile);
  }
}

const name = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/), fc.string({ maxLength: 80 }));
const uuidish = fc.oneof(fc.uuid(), fc.string({ maxLength: 40 }));

/** A body each route takes when it is right, so mutations stay near the schema. */
function validBody(route: Route): fc.Arbitrary<unknown> {
  const tail = route.url.replace(/^\/v1\.0\/:project/, '');
  const key = `${route.method} ${tail}`;
  const databases = fc.array(fc.record({ name }), { minLength: 1, maxLength: 3 });
  const users = fc.array(fc.record({ name, password: fc.string({ minLength: 1, maxLength: 20 }), databases: fc.array(fc.record({ name }), { maxLength: 2 }) }), { minLength: 1, maxLength: 2 });
  const values = fc.dictionary(fc.stringMatching(/^[a-z_][a-z0-9_.-]{0,20}$/), fc.oneof(fc.string({ maxLength: 20 }), fc.integer(), fc.boolean()), { maxKeys: 4 });
  const bodies: Record<string, fc.Arbitrary<unknown>> = {
    'POST /instances': fc.record({ instance: fc.record({ name, datastore: fc.record({ type: fc.constantFrom('counter', 'nope') }) }) }),
    'PUT /instances/:id': fc.record({ instance: fc.record({ configuration: fc.oneof(fc.uuid(), fc.constant(null)) }) }),
    'PATCH /instances/:id': fc.record({ instance: fc.record({ name }) }),
    'POST /instances/:id/databases': fc.record({ databases }),
    'POST /instances/:id/users': fc.record({ users }),
    'PUT /instances/:id/users': fc.record({ users: fc.array(fc.record({ name, password: fc.string({ minLength: 1 }) }), { minLength: 1, maxLength: 2 }) }),
    'PUT /instances/:id/users/:name': fc.record({ user: fc.record({ name, password: fc.string({ minLength: 1 }) }, { requiredKeys: [] }) }),
    'PUT /instances/:id/users/:name/databases': fc.record({ databases }),
    'POST /instances/:id/root': fc.oneof(fc.constant(null), fc.record({ password: fc.string({ minLength: 8, maxLength: 30 }) })),
    'POST /instances/:id/action': fc.constantFrom({ restart: {} }, { stop: {} }, { start: {} }),
    'POST /configurations': fc.record({ configuration: fc.record({ name, datastore: fc.record({ type: fc.constant('counter') }), values }) }),
    'PUT /configurations/:id': fc.record({ configuration: fc.record({ values, name }, { requiredKeys: ['values'] }) }),
    'PATCH /configurations/:id': fc.record({ configuration: fc.record({ values }) }),
    'POST /backups': fc.record({ backup: fc.record({ name, instance: uuidish }) }),
  };
  return bodies[key] ?? fc.jsonValue({ maxDepth: 2 });
}

const anyJson = fc.jsonValue({ maxDepth: 4 });

/** One thing changed somewhere in a JSON value: a member dropped, added, or given a value of another type. */
function mutate(value: unknown): fc.Arbitrary<unknown> {
  if (typeof value !== 'object' || value === null) return fc.oneof(fc.constant(value), anyJson);
  const entries = Object.entries(value);
  const options: Array<fc.Arbitrary<unknown>> = [anyJson, fc.tuple(fc.string({ maxLength: 12 }), anyJson).map(([k, v]) => ({ ...value, [k]: v }))];
  if (entries.length > 0) {
    options.push(fc.constantFrom(...entries.map(([k]) => k)).map((k) => Object.fromEntries(entries.filter(([key]) => key !== k))));
    options.push(fc.constantFrom(...entries).chain(([k, v]) => mutate(v).map((changed) => (Array.isArray(value) ? Object.assign([...value], { [k]: changed }) : { ...value, [k]: changed }))));
  }
  return fc.oneof(...options);
}

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/jsonx',
  '*/*',
  '',
);

/** A payload, and the content type it is sent with (undefined: none). */
function payload(route: Route): fc.Arbitrary<{ body?: string | Buffer; type?: string }> {
  const json = (arb: fc.Arbitrary<unknown>) => arb.map((v) => ({ body: JSON.stringify(v) ?? 'null', type: 'application/json' }));
  return fc.oneof(
    { arbitrary: fc.constant({}), weight: 2 },
    { arbitrary: json(validBody(route)), weight: 3 },
    { arbitrary: json(validBody(route).chain(mutate)), weight: 6 },
    { arbitrary: json(anyJson), weight: 2 },
    { arbitrary: fc.constantFrom(10, 2000, 5000).map((depth) => ({ body: `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`, type: 'application/json' })), weight: 1 },
    { arbitrary: fc.constantFrom(1024 * 1024 - 64, 1024 * 1024 + 1, 3 * 1024 * 1024).map((size) => ({ body: JSON.stringify({ instance: { name: 'x'.repeat(size) } }), type: 'application/json' })), weight: 1 },
    { arbitrary: fc.tuple(fc.string({ unit: 'binary', maxLength: 200 }), contentType).map(([body, type]) => ({ body, type })), weight: 2 },
    { arbitrary: fc.tuple(validBody(route), contentType).map(([v, type]) => ({ body: JSON.stringify(v) ?? '', type })), weight: 2 },
    { arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ body: Buffer.from(bytes), type: 'application/json' })), weight: 1 },
  );
}

const query = fc.oneof(
  { arbitrary: fc.constant(''), weight: 4 },
  {
    arbitrary: fc
      .dictionary(fc.constantFrom('limit', 'marker', 'host', 'instance_id', 'x', '__proto__'), fc.oneof(fc.string({ maxLength: 20 }), fc.integer().map(String), fc.constant('%zz')), { minKeys: 1, maxKeys: 3 })
      .map((q) => `?${Object.entries(q).map(([k, v]) => `${k}=${v === '%zz' ? v : encodeURIComponent(v)}`).join('&')}`),
    weight: 1,
  },
);

/** One request to `route`, with the token of whichever project its path names (to get past authorization). */
export function restRequest(route: Route, ids: KnownIds, tokens: Record<string, string>, guestToken: string): fc.Arbitrary<RestRequest> {
  const params = fc.record(Object.fromEntries(route.params.map((p) => [p, paramValue(p, ids, route.method)])));
  const wildcard = route.url.endsWith('*') ? fc.oneof(fc.webPath(), hostile) : fc.constant('');
  const sha = fc.option(fc.oneof(fc.stringMatching(/^[0-9a-f]{64}$/), fc.string({ maxLength: 70 })), { nil: undefined });
  return fc.tuple(params, wildcard, query, payload(route), sha).map(([values, rest, q, { body, type }, sha256]) => {
    const url = route.url.replace(/:([A-Za-z_]+)/g, (_, p: string) => values[p] as string).replace(/\*$/, rest.replace(/^\//, '')) + q;
    const project = values.project;
    const token = route.url.startsWith('/v1/guests') ? guestToken : (tokens[project ?? 'acme'] ?? tokens.acme!);
    return {
      method: route.method,
      url,
      headers: {
        authorization: `Bearer ${token}`,
        ...(type !== undefined && type !== '' ? { 'content-type': type } : {}),
        ...(sha256 !== undefined && route.url.startsWith('/v1/guests') ? { 'x-berth-sha256': sha256 } : {}),
      },
      ...(body !== undefined && route.method !== 'GET' && route.method !== 'HEAD' ? { payload: body } : {}),
    };
  });
}
