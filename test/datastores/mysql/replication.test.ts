import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_ARGUMENTS } from '../../../server/conformance/operation-arguments.js';
import { startMysqlGuests, type CallOutcome, type MysqlGuest } from './guests.js';
import { connect } from './support.js';

// Two real guest hosts running the MySQL manager, each with its own mariadbd,
// replicating through the manager's replication operations as the server drives them.
const cleanups: Array<() => Promise<unknown>> = [];
let primary: MysqlGuest;
let replica: MysqlGuest;

const APP = { name: 'app', password: 'app-secret-123' };

function ok<T = unknown>(outcome: CallOutcome, what: string, guest: MysqlGuest): T {
  if ('err' in outcome) throw new Error(`${what} failed: ${JSON.stringify(outcome.err, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))}\n${guest.log().slice(-3000)}`);
  return outcome.ok as T;
}

const prepareRequest = (fields: Record<string, unknown>) => ({ ...(OPERATION_ARGUMENTS.prepare[0] as Record<string, unknown>), ...fields });

beforeAll(async () => {
  [primary, replica] = (await startMysqlGuests(cleanups, 2)).guests as [MysqlGuest, MysqlGuest];
  const request = prepareRequest({ databases: [{ name: 'shop', characterSet: undefined, collation: undefined }], users: [{ name: APP.name, host: '%', password: APP.password, databases: ['shop'] }] });
  await Promise.all([primary, replica].map(async (guest) => ok(await guest.call('prepare', [request], 300_000), `prepare of ${guest.id}`, guest)));
}, 600_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

describe('MySQL replication (MariaDB GTIDs)', () => {
  it('prepares every guest with a binary log and a server_id of its own', async () => {
    const ids = [primary, replica].map((guest) => readFileSync(join(guest.volume, 'server-id'), 'utf8').trim());
    expect(ids[0]).toMatch(/^[1-9]\d*$/);
    expect(ids[0]).not.toBe(ids[1]);
    const app = await connect(primary.port, APP.name, APP.password, 'shop');
    await app.query('CREATE TABLE items (id int PRIMARY KEY, name varchar(40))');
    await app.query("INSERT INTO items VALUES (1, 'anchor'), (2, 'rope'), (3, 'sail')");
    await app.end();
  });
});
