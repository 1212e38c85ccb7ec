// The thread behind kill-mid-statement.ts: watch the server until the marked statement runs, then kill -9.
import { parentPort, workerData } from 'node:worker_threads';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { KillWhenRunning } from './kill-mid-statement.js';

const POLL_MS = 20;
const GIVE_UP_MS = 30_000;

type Probe = { running(): Promise<boolean>; close(): Promise<unknown> };

async function probeFor(watch: KillWhenRunning): Promise<Probe> {
  switch (watch.kind) {
    case 'postgresql': {
      const client = new pg.Client({ host: '127.0.0.1', port: watch.port, user: 'postgres', database: 'postgres' });
      client.on('error', () => undefined);
      await client.connect();
      return {
        running: async () =>
          (
            await client.query(
              "SELECT 1 FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() AND position($1 in query) > 0",
              [watch.marker],
            )
          ).rowCount! > 0,
        close: () => client.end(),
      };
    }
    case 'mysql': {
      const connection = await mysql.createConnection({ host: '127.0.0.1', port: watch.port, user: 'root' });
      connection.on('error', () => undefined);
      return {
        running: async () => {
          const [rows] = await connection.query('SELECT 1 FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND LOCATE(?, INFO) > 0', [watch.marker]);
          return (rows as unknown[]).length > 0;
        },
        close: async () => connection.destroy(),
      };
    }
    case 'redis': {
      const client = new Redis({ host: '127.0.0.1', port: watch.port, password: watch.password, maxRetriesPerRequest: 0, retryStrategy: () => null });
      client.on('error', () => undefined);
      // a blocked client shows its command in CLIENT LIST (cmd=blpop); the marker is the key it waits on, not shown there
      return {
        running: async () => String(await client.call('CLIENT', 'LIST')).includes(`cmd=${watch.marker}`),
        close: async () => client.disconnect(),
      };
    }
  }
}

async function main(watch: KillWhenRunning): Promise<void> {
  const probe = await probeFor(watch);
  const deadline = Date.now() + GIVE_UP_MS;
  try {
    while (!(await probe.running())) {
      if (Date.now() > deadline) throw new Error(`the statement marked ${watch.marker} never ran`);
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await probe.close().catch(() => undefined);
  }
  process.kill(watch.pid, 'SIGKILL');
}

main(workerData as KillWhenRunning).then(
  () => parentPort!.postMessage({ killed: true }),
  (error: unknown) => parentPort!.postMessage({ killed: false, error: error instanceof Error ? error.message : String(error) }),
);
