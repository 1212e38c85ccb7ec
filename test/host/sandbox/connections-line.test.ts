import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivatePostgres } from '../../support/private-postgres.js';
import { buildFixture } from '../../support/components.js';
import { bareSandboxSpec } from '../../support/sandbox-spec.js';
import { transpileComponent } from '../../../host/component/compile.js';
import { Sandbox } from '../../../host/sandbox/sandbox.js';

// Issue 16: a lane's connections are served by the host's main thread while the lane waits, not by a
// thread (an isolate, some 13 MiB) of their own. The drivers then hold results on the main thread, where an
// out-of-memory would end the host: what one call may receive is bounded by bytes, an eighth of the
// manager's memory limit (32 MiB by default).

let sandbox: Sandbox;
let server: PrivatePostgres;
const key = `berth:line:${process.pid}:${Date.now()}`;

beforeAll(async () => {
  server = await PrivatePostgres.create();
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query('CREATE ROLE berth_manager LOGIN');
  await admin.end();
  const component = await transpileComponent((await buildFixture('sql-probe', 'quickjs')).bytes);
  sandbox = await Sandbox.start({
    component,
    spec: {
      ...bareSandboxSpec(),
      // a private PostgreSQL, and one key of our own in the machine's Redis
      connections: { pg: { kind: 'postgresql', url: `postgres://berth_manager@127.0.0.1:${server.port}/postgres` }, cache: { kind: 'redis', url: 'redis://127.0.0.1:6379/0' } },
      connectionTimeoutMs: 30_000,
    },
    quickTimeoutMs: 60_000,
    slowTimeoutMs: 60_000,
  });
}, 120_000);
afterAll(async () => {
  await probe({ redis: { connection: 'cache', args: ['DEL', key] } }).catch(() => undefined);
  await sandbox?.close();
  server?.destroy();
});

/** One request to the probe manager (guest-log-read carries it), its JSON answer decoded. */
async function probe(request: unknown): Promise<Record<string, unknown>> {
  const outcome = (await sandbox.call('guest-log-read', [JSON.stringify(request), 0n, 1 << 20])) as { ok?: { data: Uint8Array } };
  if (!outcome.ok) throw new Error(`the probe did not answer: ${JSON.stringify(outcome)}`);
  return JSON.parse(new TextDecoder().decode(outcome.ok.data)) as Record<string, unknown>;
}

const tcpSockets = () => process.getActiveResourcesInfo().filter((resource) => resource === 'TCPSocketWrap').length;

describe("a lane's connections, served by the host's main thread", () => {
  it('runs SQL and Redis commands on sockets of the main thread', async () => {
    const before = tcpSockets();
    expect(await probe({ sql: { connection: 'pg', statement: 'SELECT 40 + 2 AS answer' } })).toMatchObject({ ok: { rows: [[42]] } });
    expect(await probe({ redis: { connection: 'cache', args: ['SET', key, 'on the main thread'] } })).toEqual({ ok: { reply: 'OK' } });
    expect(await probe({ redis: { connection: 'cache', args: ['GET', key] } })).toEqual({ ok: { reply: 'on the main thread' } });
    // the two clients' sockets are this (the main) thread's handles, not a bridge thread's
    expect(tcpSockets()).toBe(before + 2);
  });

  it('cuts off an answer past an eighth of the memory limit, answers failed naming it, and goes on', async () => {
    // 200 rows of 1 MB: some 200 MB the driver would hold on the main thread
    const big = await probe({ sql: { connection: 'pg', statement: "SELECT repeat('x', 1000000) AS big FROM generate_series(1, 200)" } });
    expect(big).toEqual({ capabilityError: { tag: 'failed', val: expect.stringContaining('32 MiB') } });
    expect(String((big.capabilityError as { val: string }).val)).toContain('host.memory_limit');
    expect(await probe({ sql: { connection: 'pg', statement: 'SELECT 7 AS seven' } })).toMatchObject({ ok: { rows: [[7]] } });
    const redis = await probe({ redis: { connection: 'cache', args: ['EVAL', "return string.rep('x', 40 * 1024 * 1024)", '0'] } });
    expect(redis).toEqual({ capabilityError: { tag: 'failed', val: expect.stringContaining('32 MiB') } });
    expect(await probe({ redis: { connection: 'cache', args: ['GET', key] } })).toEqual({ ok: { reply: 'on the main thread' } });
  }, 120_000);

  it('closes its clients when the sandbox closes', async () => {
    const open = tcpSockets();
    expect(open).toBeGreaterThanOrEqual(2);
    await sandbox.close();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(tcpSockets()).toBe(open - 2);
  });
});
