import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiAnswerProblem } from './support/api-errors.js';
import { clip, runs } from './support/fc-settings.js';
import { createInstance, PROJECTS, runGuest, startReliabilityServer, type CreatedInstance, type ReliabilityServer } from './support/reliability-server.js';
import { restRequest, type KnownIds, type RestRequest } from './support/rest-arbitraries.js';
import { routesOf, type Route } from './support/routes.js';

/**
 * Class 3 of issue 6: generated bodies, path parameters, query strings and
 * content types on every route of a real server: only catalogue errors.
 */
const INJECTED = Number(process.env.REL_REST_RUNS ?? 20_000);
const OVER_THE_SOCKET = 400;

let server: ReliabilityServer;
let routes: Route[];
let ids: KnownIds;
let live: CreatedInstance;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  server = await startReliabilityServer('rel-rest');
  const built = await createInstance(server, 'acme', 'built');
  live = await createInstance(server, 'acme', 'live');
  const theirs = await createInstance(server, 'other', 'theirs');
  await runGuest(server, 'acme', live, cleanups);
  ids = { own: [built.id, live.id], foreign: [theirs.id] };
  routes = routesOf(server.server.api);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.cleanup();
});

// one arbitrary per route, built once: building them per generated value (a chain) cost 30 ms a request
let perRoute: fc.Arbitrary<RestRequest> | undefined;
const requests = () => (perRoute ??= fc.oneof(...routes.map((route) => restRequest(route, ids, PROJECTS, live.token))));
const describeRequest = (request: RestRequest) => `${request.method} ${clip(request.url)} ${JSON.stringify(request.headers['content-type'] ?? null)} ${clip(String(request.payload ?? ''))}`;

describe('the REST API under generated input', () => {
  it('enumerates every route the OpenAPI document lists, and the hidden guest routes', async () => {
    const document = (await server.server.api.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, Record<string, unknown>> };
    const listed = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`));
    const enumerated = new Set(routes.map((r) => `${r.method} ${r.url}`));
    expect(listed.filter((route) => !enumerated.has(route))).toEqual([]);
    expect(enumerated).toContain('PUT /v1/guests/:instance/artifacts/:backup');
    expect(routes.length).toBeGreaterThan(listed.length);
  });

  it(`answers ${INJECTED} generated requests (app.inject) with a success or a catalogue error, never a 500`, async () => {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(requests(), async (request) => {
        const t0 = Date.now();
        const response = await server.server.api.inject({ method: request.method as 'GET', url: request.url, headers: request.headers, payload: request.payload });
        const took = Date.now() - t0;
        if (took > 200) console.info('SLOW', took, response.statusCode, describeRequest(request), clip(response.body, 200));
        seen.set(String(response.statusCode), (seen.get(String(response.statusCode)) ?? 0) + 1);
        const problem = apiAnswerProblem(request.method, response.statusCode, response.body, request.url);
        expect(problem, describeRequest(request)).toBeUndefined();
      }),
      runs(INJECTED),
    );
    console.info(`REST statuses over ${INJECTED} injected requests: ${JSON.stringify(Object.fromEntries([...seen].sort()))}`);
    // the fixture's instances survived: DELETE never named them
    expect((await server.api('acme', 'GET', `/instances/${live.id}`)).status).toBe(200);
  });

  it(`answers ${OVER_THE_SOCKET} generated requests over a real socket the same way`, async () => {
    await fc.assert(
      fc.asyncProperty(requests(), async (request) => {
        const response = await fetch(`${server.server.url}${request.url}`, { method: request.method, headers: request.headers, body: request.payload });
        const problem = apiAnswerProblem(request.method, response.status, await response.text(), request.url);
        expect(problem, describeRequest(request)).toBeUndefined();
      }),
      runs(OVER_THE_SOCKET),
    );
  });

  it('answers what is not HTTP at all with the catalogue error on the socket (regression: Fastify answered with its own body)', async () => {
    const { port } = new URL(server.server.url);
    const garbage = fc.oneof(
      fc.constantFrom(
        'GARBAGE\r\n\r\n',
        'GET /v1.0/acme/instances HTTP/1.1\r\nContent-Length: abc\r\n\r\n',
        'GET /v1.0/acme/instances HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n',
        'POST /v1.0/acme/instances HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
        `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
        'GET /\u0000 HTTP/1.1\r\nHost: x\r\n\r\n',
        'GET / HTTP/9.9\r\nHost: x\r\n\r\n',
      ),
      fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 200 }).map((junk) => `${junk}\r\n\r\n`),
      fc.tuple(fc.constantFrom('GET', 'POST', 'PUT'), fc.string({ unit: 'binary-ascii', maxLength: 60 })).map(([method, path]) => `${method} /${path} HTTP/1.1\r\nHost: x\r\n\r\n`),
    );
    await fc.assert(
      fc.asyncProperty(garbage, async (raw) => {
        const text = await rawExchange(Number(port), raw);
        if (text === '') return; // closed without an answer: nothing was said, nothing wrong was said
        const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);
        expect(status, clip(JSON.stringify(raw))).toBeGreaterThan(0);
        const body = text.slice(text.indexOf('\r\n\r\n') + 4);
        expect(apiAnswerProblem('GET', status, body.includes('{') ? body.slice(body.indexOf('{'), body.lastIndexOf('}') + 1) : body), clip(JSON.stringify(raw))).toBeUndefined();
      }),
      runs(200),
    );
    expect((await server.api('acme', 'GET', '/instances')).status).toBe(200);
  });
});

/** Writes `raw` to the server and reads the first answer (or nothing) until it closes or goes quiet. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    let text = '';
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(text);
    };
    const timer = setTimeout(done, 1000);
    socket.on('data', (chunk) => {
      text += chunk.toString('latin1');
      if (/\r\n\r\n/.test(text)) setTimeout(done, 50);
    });
    socket.on('error', done);
    socket.on('close', done);
  });
}
