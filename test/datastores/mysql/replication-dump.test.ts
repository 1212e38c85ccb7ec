import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredBackup } from '../../support/redis-guest.js';
import { startMysqlGuests, type MysqlGuest } from '../../support/mysql-guests.js';
import { attach, caughtUp, ok, prepareRequest, refusedWith, replicaName, rowsOf } from './replication-steps.js';

// A replica seeded from a dump (backup_strategy MysqlDump: what a guest without
// mariabackup takes), its position read under the dump's global read lock.
const cleanups: Array<() => Promise<unknown>> = [];
let primary: MysqlGuest;
let replica: MysqlGuest;
let artifacts: Map<string, StoredBackup>;
const APP = { name: 'app', password: 'app-secret-123' };

beforeAll(async () => {
  const started = await startMysqlGuests(cleanups, 2, [{ backup_strategy: 'MysqlDump' }, { backup_strategy: 'MysqlDump' }]);
  [primary, replica] = started.guests as [MysqlGuest, MysqlGuest];
  artifacts = started.artifacts;
  const shop = [{ name: 'shop', characterSet: undefined, collation: undefined }];
  ok(await primary.call('prepare', [prepareRequest({ databases: shop, users: [{ name: APP.name, host: '%', password: APP.password, databases: ['shop'] }] })], 300_000), 'prepare', primary);
  // the replica's own database and account: the dump replaces them with the primary's
  ok(await replica.call('prepare', [prepareRequest({ databases: [{ name: 'local', characterSet: undefined, collation: undefined }] })], 300_000), 'prepare', replica);
}, 600_000);

afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
}, 120_000);

describe('MySQL replication seeded from a dump', () => {
  it('seeds the replica from the dump at its GTID position and replays every later write once', async () => {
    await rowsOf(primary.port, APP, 'CREATE TABLE items (id int PRIMARY KEY, name varchar(40))');
    await rowsOf(primary.port, APP, "INSERT INTO items VALUES (1, 'anchor'), (2, 'rope')");
    const snapshot = await attach(primary, replica, replicaName(), 'dump-1', artifacts);
    expect(snapshot.extra).toContainEqual({ key: 'format', value: 'mysqldump-sql' });
    expect(snapshot.logPosition).toMatch(/^\d+-\d+-\d+/);
    await rowsOf(primary.port, APP, "INSERT INTO items VALUES (3, 'sail')");
    await caughtUp(primary, replica);
    expect(await rowsOf(replica.port, APP, 'SELECT id FROM items ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }, { id: 3 }]);
    const admin = { name: 'os_admin', password: replica.adminPassword };
    expect(await rowsOf(replica.port, admin, "SELECT SCHEMA_NAME AS s FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN ('local', 'shop')", '')).toEqual([{ s: 'shop' }]);
    // nothing of the restore went into the replica's own binary log: its position is the primary's
    const last = ok<{ transactionId: string }>(await replica.call('get-last-txn'), 'get-last-txn', replica);
    expect(last.transactionId).toBe(ok<string>(await primary.call('get-latest-txn-id'), 'get-latest-txn-id', primary));
    expect(await refusedWith(replica.port, APP, "INSERT INTO items VALUES (9, 'stowaway')")).toBe('ER_OPTION_PREVENTS_STATEMENT');
  }, 300_000);
});
