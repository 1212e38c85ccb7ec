import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_FRAME_BYTES } from '../../host/rpc/protocol.js';
import { runs, described, clip } from './support/fc-settings.js';
import { anyFrame, framesNear } from './support/frame-arbitraries.js';
import { exchange, sendFrame, type FrameCollector, type ServedCheck } from './support/frame-exchange.js';
import { expectedAnswer, SERVER_SIDE, type WireFrame } from './support/frame-rules.js';
import { closed, hello, openGuestSocket } from './support/guest-socket.js';
import { MiB, settledMemory } from './support/memory.js';
import { violations, writeRaw } from './support/raw-frames.js';
import { createInstance, runGuest, startReliabilityServer, type CreatedInstance, type ReliabilityServer } from './support/reliability-server.js';

/**
 * Class 1 of issue 6: generated frames against a real server's guest hub,
 * over real WebSockets, with a real guest host connected alongside.
 */
const BATCH = 500;
const RUNS = Number(process.env.REL_RUNS ?? 50);
const CONNECTIONS = 4; // three before any handshake, one after

let server: ReliabilityServer;
let steady: CreatedInstance;
let steadyHost: Awaited<ReturnType<typeof runGuest>>;
let target: CreatedInstance;
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  server = await startReliabilityServer('rel-hub');
  steady = await createInstance(server, 'acme', 'steady');
  target = await createInstance(server, 'acme', 'target');
  steadyHost = await runGuest(server, 'acme', steady, cleanups);
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  await server?.cleanup();
});

/** The server serves guest.hello only; on a connection that already said hello, a valid one is refused. */
const alreadyGreeted: ServedCheck = (answer) =>
  answer.error?.code === -32000 && answer.error.data?.code === 'BERTH_ERR_RPC_HANDSHAKE' ? undefined : `expected a BERTH_ERR_RPC_HANDSHAKE error, got ${clip(JSON.stringify(answer))}`;
const neverServed: ServedCheck = (answer) => `nothing here is served, yet ${clip(JSON.stringify(answer))}`;

/** Frames for a connection before its handshake: all but a valid hello, which would end it (tested below). */
const beforeHandshake = anyFrame.filter((frame) => expectedAnswer(frame, SERVER_SIDE).answer !== 'served');
const batch = (frames: fc.Arbitrary<WireFrame>) =>
  fc.array(frames, { minLength: BATCH, maxLength: BATCH }).map((list) => described(list, () => `${list.length} frames, first: ${list.slice(0, 3).map((f) => (f.kind === 'text' ? clip(f.text, 80) : 'binary')).join(' | ')}`));

describe('the server guest hub under generated frames', () => {
  it(`answers ${RUNS * BATCH * CONNECTIONS} generated frames by the protocol's rules, keeps serving, and stays within its memory`, async () => {
    const fresh = await Promise.all([1, 2, 3].map(() => openGuestSocket(server.server.guestUrl)));
    const greeted = await openGuestSocket(server.server.guestUrl);
    expect((await hello(greeted, target.id, target.token)).result).toEqual({ reportIntervalMs: 200 });
    const connections: FrameCollector[] = [...fresh, greeted];
    let sent = 0;
    const property = (numRuns: number) =>
      fc.assert(
        fc.asyncProperty(fc.tuple(batch(beforeHandshake), batch(beforeHandshake), batch(beforeHandshake), batch(anyFrame)), async (batches) => {
          const problems = await Promise.all(batches.map((frames, i) => exchange(connections[i]!, frames, SERVER_SIDE, i === 3 ? alreadyGreeted : neverServed)));
          sent += batches.reduce((total, frames) => total + frames.length, 0);
          expect(problems.flat()).toEqual([]);
          // the REST API answers all along
          expect((await server.api('acme', 'GET', '/instances')).status).toBe(200);
        }),
        runs(numRuns, { shrink: false }),
      );

    await property(2); // warm up (code loaded, pools filled) before the baseline
    const baseline = await settledMemory();
    const started = Date.now();
    await property(RUNS);
    const after = await settledMemory();

    expect(sent).toBeGreaterThanOrEqual(RUNS * BATCH * CONNECTIONS);
    for (const connection of connections) expect(connection.closed).toBeUndefined();
    // the server runs in this process: its memory is this process's
    expect(after.heapUsed - baseline.heapUsed, `heap grew from ${baseline.heapUsed} to ${after.heapUsed}`).toBeLessThan(24 * MiB);
    expect(after.rss - baseline.rss, `rss grew from ${baseline.rss} to ${after.rss}`).toBeLessThan(64 * MiB);

    // the well-behaved guest never lost its connection, kept reporting, and still runs calls
    expect(server.server.hub.isConnected(steady.id)).toBe(true);
    expect(steadyHost.stderr().match(/connected to the server/g)).toHaveLength(1);
    const record = await server.server.store.instances.getById(steady.id);
    expect(record!.lastHeartbeatAt!.getTime()).toBeGreaterThan(started);
    const databases = await server.api('acme', 'GET', `/instances/${steady.id}/databases`);
    expect(databases.status).toBe(200);
    expect(databases.body).toEqual({ databases: [] });
    for (const connection of connections) connection.socket.close();
  });

  it('refuses frames at and above MAX_FRAME_BYTES by rule, and closes with 1009 past the socket limit', async () => {
    const connection = await openGuestSocket(server.server.guestUrl);
    expect(await exchange(connection, framesNear(MAX_FRAME_BYTES), SERVER_SIDE, neverServed)).toEqual([]);
    // the socket takes up to 64 MiB so that the peer can answer a large frame; past that ws closes with 1009 (message too big)
    sendFrame(connection.socket, { kind: 'text', text: 'x'.repeat(64 * MiB + 1) });
    expect(await closed(connection)).toBe(1009);
    expect((await server.api('acme', 'GET', '/instances')).status).toBe(200);
    expect(server.server.hub.isConnected(steady.id)).toBe(true);
  });

  it('closes with 1002, 1007 or 1009 on frames that break RFC 6455, and lives on (regression: the unheard ws error ended the server process)', async () => {
    await fc.assert(
      fc.asyncProperty(violations('client', 64 * MiB), fc.boolean(), async (violation, greetedFirst) => {
        const connection = await openGuestSocket(server.server.guestUrl);
        try {
          if (greetedFirst) expect(await exchange(connection, [{ kind: 'text', text: '{"jsonrpc":"2.0","id":1,"method":"guest.ping"}' }], SERVER_SIDE, neverServed)).toEqual([]);
          writeRaw(connection.socket, violation.bytes);
          expect(await closed(connection), violation.what).toBe(violation.closeCode);
        } finally {
          connection.socket.terminate();
        }
      }),
      runs(150),
    );
    expect((await server.api('acme', 'GET', '/instances')).status).toBe(200);
    expect(server.server.hub.isConnected(steady.id)).toBe(true);
  });

  it('answers an upgrade for another path, or a URL that does not parse, with the catalogue 404 and closes it (regression: such a URL threw and ended the process)', async () => {
    const { port } = new URL(server.server.url);
    const target = fc.oneof(fc.constantFrom('http://[', '//', '/v1/guests/../x', '/v1/guest', '/', '*', '/v1/guests%00'), fc.webPath(), fc.string({ unit: 'grapheme-ascii', maxLength: 40 }).map((t) => `/${t.replace(/[\s]/g, '')}`));
    await fc.assert(
      fc.asyncProperty(target.filter((t) => t !== '/v1/guests'), async (path) => {
        const answer = await rawUpgrade(Number(port), path);
        expect(answer.closed, path).toBe(true);
        expect(answer.text, path).toMatch(/^HTTP\/1\.1 (404|400) /);
        const body = JSON.parse(answer.text.slice(answer.text.indexOf('\r\n\r\n') + 4)) as { error: { code: string } };
        expect(['BERTH_ERR_ROUTE_NOT_FOUND', 'BERTH_ERR_VALIDATION']).toContain(body.error.code);
      }),
      runs(100),
    );
    expect((await server.api('acme', 'GET', '/instances')).status).toBe(200);
  });
});

/** An upgrade request for `path` over a plain socket: what came back, and whether the server closed it. */
function rawUpgrade(port: number, path: string): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () =>
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: berth.guest.v1\r\n\r\n`),
    );
    let text = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ text, closed: false });
    }, 5000);
    socket.on('data', (chunk) => (text += chunk.toString()));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ text, closed: true });
    });
  });
}

describe('guest handshakes', () => {
  it('refuses every wrong, foreign or deleted credential with BERTH_ERR_RPC_HANDSHAKE and closes with 4401', async () => {
    const foreign = await createInstance(server, 'other', 'foreign');
    const doomed = await createInstance(server, 'acme', 'doomed');
    expect((await server.api('acme', 'DELETE', `/instances/${doomed.id}`)).status).toBe(202);
    const known = [steady, target, foreign, doomed];
    const instanceId = fc.oneof(fc.constantFrom(...known.map((i) => i.id)), fc.uuid(), fc.string({ minLength: 1, maxLength: 80 }));
    const token = fc.oneof(fc.constantFrom(...known.map((i) => i.token)), fc.stringMatching(/^[A-Za-z0-9_-]{43}$/), fc.string({ minLength: 1, maxLength: 80 }));
    // valid only for a live instance with its own token; the deleted one's token is refused like any other
    const valid = (id: string, secret: string) => known.some((i) => i !== doomed && i.id === id && i.token === secret);
    const credentials = fc.tuple(instanceId, token).filter(([id, secret]) => !valid(id, secret));
    const before = fc.array(beforeHandshake, { maxLength: 20 });

    await fc.assert(
      fc.asyncProperty(credentials, before, async ([id, secret], frames) => {
        const connection = await openGuestSocket(server.server.guestUrl);
        try {
          expect(await exchange(connection, frames, SERVER_SIDE, neverServed)).toEqual([]);
          const answer = await hello(connection, id, secret);
          expect(answer.error).toMatchObject({ code: -32000, data: { code: 'BERTH_ERR_RPC_HANDSHAKE' } });
          expect(await closed(connection)).toBe(4401);
        } finally {
          connection.socket.terminate();
        }
      }),
      runs(120),
    );
    expect(server.server.hub.isConnected(steady.id)).toBe(true);
  });

  it('refuses a second hello sent right behind the first, and the connection stays open (regression: it closed itself with 4409)', async () => {
    const twice = await createInstance(server, 'acme', 'twice');
    const connection = await openGuestSocket(server.server.guestUrl);
    const params = { instanceId: twice.id, token: twice.token, hostVersion: '0.1.0', manifest: {}, sha256: 'a'.repeat(64) };
    connection.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 'first', method: 'guest.hello', params }));
    connection.socket.send(JSON.stringify({ jsonrpc: '2.0', id: 'second', method: 'guest.hello', params }));
    await connection.until(() => connection.answers.length === 2, 'both answers');
    expect(connection.answers.find((a) => a.id === 'first')!.result).toEqual({ reportIntervalMs: 200 });
    const second = connection.answers.find((a) => a.id === 'second')!;
    expect(second.error).toMatchObject({ code: -32000, data: { code: 'BERTH_ERR_RPC_HANDSHAKE' } });
    expect(second.error!.message).toContain('already said hello');
    expect(await exchange(connection, [], SERVER_SIDE, neverServed)).toEqual([]);
    expect(connection.closed).toBeUndefined();
    expect(server.server.hub.isConnected(twice.id)).toBe(true);
    connection.socket.close();
  });

  it('closes a connection without the subprotocol with 4400; a client asking for another one is not upgraded', async () => {
    const connection = await openGuestSocket(server.server.guestUrl, null);
    expect(await closed(connection)).toBe(4400);
    // the server answers without a subprotocol, which RFC 6455 makes the client refuse
    await expect(openGuestSocket(server.server.guestUrl, 'berth.guest.v0')).rejects.toThrow('Server sent no subprotocol');
  });
});

describe('casts after the handshake', () => {
  it('records the newest heartbeat whatever the order and whatever invalid casts come between (regression: a cast dated past the end of time blocked every later one)', async () => {
    const ordered = await createInstance(server, 'acme', 'ordered');
    const connection = await openGuestSocket(server.server.guestUrl);
    expect((await hello(connection, ordered.id, ordered.token)).result).toBeDefined();
    const statuses = ['running', 'healthy', 'shutdown', 'crashed', 'blocked', 'paused', 'unknown'] as const;
    const valid = fc.record({ seq: fc.nat({ max: 50 }), offset: fc.nat({ max: 20 }), status: fc.constantFrom(...statuses) });
    // invalid now: a Date cannot hold these; they must be dropped, not taken as the newest
    const poison = fc.record({ seq: fc.nat(), sentAt: fc.constantFrom(8.64e15 + 1, 1e300, -5, 1.5), status: fc.constantFrom(...statuses) });
    const casts = fc.array(fc.oneof({ arbitrary: valid.map((c) => ({ valid: true as const, ...c })), weight: 4 }, { arbitrary: poison.map((c) => ({ valid: false as const, ...c })), weight: 1 }), { minLength: 1, maxLength: 30 }).filter((list) => list.some((c) => c.valid));
    let run = 0;
    // in the server's past: a heartbeat dated ahead of its clock (beyond clock_skew) is refused
    const start = Date.now() - 10 * 60_000;

    await fc.assert(
      fc.asyncProperty(casts, async (list) => {
        // every run's times lie after the previous run's, so only this run decides the newest
        const base = start + ++run * 1000;
        const frames: WireFrame[] = list.map((c) => ({
          kind: 'text',
          text: JSON.stringify({ jsonrpc: '2.0', method: 'guest.heartbeat', params: { seq: c.seq, sentAt: c.valid ? base + c.offset : c.sentAt, status: c.status } }),
        }));
        expect(await exchange(connection, frames, SERVER_SIDE, neverServed)).toEqual([]);
        const newest = list
          .flatMap((c) => (c.valid ? [{ ...c, sentAt: base + c.offset }] : []))
          .reduce((a, b) => (b.sentAt > a.sentAt || (b.sentAt === a.sentAt && b.seq > a.seq) ? b : a));
        const deadline = Date.now() + 10_000;
        for (;;) {
          const record = (await server.server.store.instances.getById(ordered.id))!;
          if (record.lastHeartbeatSentAt?.getTime() === newest.sentAt && record.lastHeartbeatSeq === newest.seq) {
            expect(record.serviceStatus).toBe(newest.status.toUpperCase().replace(/-/g, '_'));
            break;
          }
          if (Date.now() > deadline) throw new Error(`the newest heartbeat (${newest.sentAt}, ${newest.seq}) was not recorded: ${record.lastHeartbeatSentAt?.getTime()}, ${record.lastHeartbeatSeq}`);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }),
      runs(60),
    );
    connection.socket.close();
  });
});
