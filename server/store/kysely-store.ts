import { isAbsolute } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, Migrator, PostgresDialect, SqliteDialect, type Dialect, type Selectable } from 'kysely';
import pg from 'pg';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { withConflictErrors } from './conflicts.js';
import { backupRepository } from './backup-repository.js';
import { configurationRepository } from './configuration-repository.js';
import { failoverRepository } from './failover-repository.js';
import { migrationProvider } from './migrations.js';
import { withStatementCache } from './statement-cache.js';
import type { Database, InstancesTable, TasksTable } from './schema.js';
import type { InstanceRecord, InstanceStatus, SecurityRule, Store, TaskRecord, TaskState, UpgradeRecord } from './store.js';

const URL_FIX = 'set the database url to sqlite:<absolute path> (or sqlite::memory:) or postgres://user[:password]@host[:port]/database';
const FINISHED: readonly TaskState[] = ['succeeded', 'failed'];

/**
 * Open the store at `url` and bring its schema to the latest migration:
 * `sqlite:<absolute path>` (created if missing; WAL, foreign keys, busy
 * timeout), `sqlite::memory:`, or `postgres://` / `postgresql://` (a pg Pool).
 * A bad url, an unreachable database or a failed migration throws a BerthError
 * that names the url, never its password.
 */
export async function openStore(url: string): Promise<Store> {
  const db = new Kysely<Database>({ dialect: await createDialect(url) });
  try {
    const { error } = await new Migrator({ db, provider: migrationProvider }).migrateToLatest();
    if (error !== undefined) throw error;
  } catch (error) {
    await db.destroy().catch(() => undefined);
    throw new BerthError('BERTH_ERR_STORE_UNAVAILABLE', `database ${redact(url)}: the schema could not be migrated: ${messageOf(error)}`, 'check that the database user may create tables and that no newer Berth has migrated this database', { cause: error });
  }
  // a duplicate id or a missing referenced record is the caller's conflict, not an internal error
  return withConflictErrors(kyselyStore(db));
}

async function createDialect(url: string): Promise<Dialect> {
  if (url.startsWith('sqlite:')) {
    const path = url.startsWith('sqlite://') ? url.slice('sqlite://'.length) : url.slice('sqlite:'.length);
    if (path !== ':memory:' && !isAbsolute(path)) {
      throw new BerthError('BERTH_ERR_CONFIG_INVALID', `database ${url}: the SQLite path "${path}" is not absolute`, URL_FIX);
    }
    let database: SqliteDatabase.Database;
    try {
      database = new SqliteDatabase(path, { timeout: 5_000 });
      database.pragma('journal_mode = WAL');
      // with WAL, NORMAL syncs at checkpoints: a killed server loses no commit (a power cut may lose the last few)
      database.pragma('synchronous = NORMAL');
      database.pragma('foreign_keys = ON');
    } catch (error) {
      throw new BerthError('BERTH_ERR_CONFIG_INVALID', `database ${url}: the SQLite file cannot be opened: ${messageOf(error)}`, 'make sure the directory exists and the server may write to it', { cause: error });
    }
    return new SqliteDialect({ database: withStatementCache(database) });
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    // int8 (our timestamps, sizes and sequence numbers) as a number, for this pool only.
    const types = { getTypeParser: (oid: number, format?: 'text' | 'binary') => (oid === pg.types.builtins.INT8 ? parseInt8 : pg.types.getTypeParser(oid, format)) };
    const pool = new pg.Pool({ connectionString: url, types, connectionTimeoutMillis: 10_000 });
    // A connection failing (the database restarted, say) is reported by the next query that needs it;
    // left unheard, a client's 'error' event would end the whole server: the pool hears idle clients,
    // this hears the ones checked out at that moment.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => client.on('error', () => undefined));
    try {
      (await pool.connect()).release();
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw new BerthError('BERTH_ERR_STORE_UNAVAILABLE', `database ${redact(url)} is unreachable: ${messageOf(error)}`, 'start PostgreSQL or correct host, port, database, user and password in the database url', { cause: error });
    }
    return new PostgresDialect({ pool });
  }
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1];
  throw new BerthError('BERTH_ERR_CONFIG_INVALID', `database ${redact(url)}: ${scheme === undefined ? 'no url scheme' : `unknown url scheme "${scheme}:"`}`, URL_FIX);
}

function parseInt8(value: string): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) throw new RangeError(`int8 value ${value} does not fit a JavaScript number`);
  return number;
}

/** The url with any password replaced by ***. */
function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return error.errors.map(messageOf).join('; ');
  return error instanceof Error ? error.message || error.constructor.name : String(error);
}

const date = (millis: number): Date => new Date(Number(millis));
const nullableDate = (millis: number | null): Date | null => (millis === null ? null : date(millis));
const nullableMillis = (value: Date | null | undefined): number | null | undefined => (value === undefined ? undefined : value === null ? null : value.getTime());
const flag = (value: boolean | null): number | null => (value === null ? null : value ? 1 : 0);
const nullableNumber = (value: number | null): number | null => (value === null ? null : Number(value));

function toInstance(row: Selectable<InstancesTable>): InstanceRecord {
  return {
    id: row.id,
    project: row.project,
    name: row.name,
    datastore: row.datastore,
    datastoreVersion: row.datastore_version,
    status: row.status as InstanceStatus,
    serviceStatus: row.service_status,
    tokenSha256: row.token_sha256,
    securityRules: JSON.parse(row.security_rules) as SecurityRule[],
    fault: row.fault,
    buildDeadline: date(row.build_deadline),
    lastHeartbeatSentAt: nullableDate(row.last_heartbeat_sent_at),
    lastHeartbeatSeq: nullableNumber(row.last_heartbeat_seq),
    lastHeartbeatAt: nullableDate(row.last_heartbeat_at),
    endpoint: row.endpoint,
    configurationId: row.configuration_id,
    flavorId: row.flavor_id,
    volumeSize: nullableNumber(row.volume_size),
    upgrade: row.upgrade === null || row.upgrade === undefined ? null : (JSON.parse(row.upgrade) as UpgradeRecord),
    replicaOf: row.replica_of ?? null,
    autoFailover: row.auto_failover === null || row.auto_failover === undefined ? null : Number(row.auto_failover) === 1,
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

function toTask(row: Selectable<TasksTable>): TaskRecord {
  return {
    id: row.id,
    instanceId: row.instance_id,
    operation: row.operation,
    args: row.args,
    state: row.state as TaskState,
    outcome: row.outcome,
    deadlineAt: date(row.deadline_at),
    createdAt: date(row.created_at),
    updatedAt: date(row.updated_at),
  };
}

/** The Store over an open, migrated Kysely; every statement is a single query, so each method is atomic. */
function kyselyStore(db: Kysely<Database>): Store {
  return {
    instances: {
      async create(instance) {
        const now = Date.now();
        const row = await db
          .insertInto('instances')
          .values({
            id: instance.id, project: instance.project, name: instance.name, datastore: instance.datastore, datastore_version: instance.datastoreVersion,
            status: instance.status, service_status: null, token_sha256: instance.tokenSha256, security_rules: JSON.stringify(instance.securityRules), fault: null,
            build_deadline: instance.buildDeadline.getTime(), last_heartbeat_sent_at: null, last_heartbeat_seq: null, last_heartbeat_at: null, endpoint: null,
            configuration_id: instance.configurationId ?? null, flavor_id: instance.flavorId ?? null, volume_size: instance.volumeSize ?? null, upgrade: null,
            replica_of: instance.replicaOf ?? null, auto_failover: flag(instance.autoFailover ?? null), created_at: now, updated_at: now,
          })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toInstance(row);
      },
      async get(project, id) {
        const row = await db.selectFrom('instances').selectAll().where('project', '=', project).where('id', '=', id).executeTakeFirst();
        return row && toInstance(row);
      },
      async getById(id) {
        const row = await db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
        return row && toInstance(row);
      },
      async list(project) {
        const rows = await db.selectFrom('instances').selectAll().where('project', '=', project).where('status', '!=', 'DELETED').orderBy('created_at', 'desc').orderBy('id', 'desc').execute();
        return rows.map(toInstance);
      },
      async listByStatus(statuses) {
        if (statuses.length === 0) return [];
        const rows = await db.selectFrom('instances').selectAll().where('status', 'in', [...statuses]).orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
        return rows.map(toInstance);
      },
      async update(id, patch) {
        const row = await db
          .updateTable('instances')
          .set({
            status: patch.status, service_status: patch.serviceStatus, fault: patch.fault, name: patch.name, last_heartbeat_sent_at: nullableMillis(patch.lastHeartbeatSentAt),
            last_heartbeat_seq: patch.lastHeartbeatSeq, last_heartbeat_at: nullableMillis(patch.lastHeartbeatAt), endpoint: patch.endpoint,
            configuration_id: patch.configurationId, datastore_version: patch.datastoreVersion, replica_of: patch.replicaOf,
            auto_failover: patch.autoFailover === undefined ? undefined : flag(patch.autoFailover),
            upgrade: patch.upgrade === undefined ? undefined : patch.upgrade === null ? null : JSON.stringify(patch.upgrade), updated_at: Date.now(),
          })
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row && toInstance(row);
      },
      async recordHeartbeat(id, { sentAt, seq, receivedAt, serviceStatus }) {
        const sent = sentAt.getTime();
        const result = await db
          .updateTable('instances')
          .set({ last_heartbeat_sent_at: sent, last_heartbeat_seq: seq, last_heartbeat_at: receivedAt.getTime(), service_status: serviceStatus, updated_at: Date.now() })
          .where('id', '=', id)
          .where((eb) =>
            eb.or([eb('last_heartbeat_sent_at', 'is', null), eb('last_heartbeat_sent_at', '<', sent), eb.and([eb('last_heartbeat_sent_at', '=', sent), eb('last_heartbeat_seq', '<', seq)])]),
          )
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      },
      async swapConfiguration(id, expected, next) {
        const result = await db
          .updateTable('instances')
          .set({ configuration_id: next, updated_at: Date.now() })
          .where('id', '=', id)
          .where('configuration_id', expected === null ? 'is' : '=', expected)
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      },
      async listByConfiguration(configurationId) {
        const rows = await db.selectFrom('instances').selectAll().where('configuration_id', '=', configurationId).where('status', '!=', 'DELETED').orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
        return rows.map(toInstance);
      },
      async listReplicas(sourceId) {
        const rows = await db.selectFrom('instances').selectAll().where('replica_of', '=', sourceId).where('status', '!=', 'DELETED').orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
        return rows.map(toInstance);
      },
    },
    tasks: {
      async create(task) {
        const now = Date.now();
        const row = await db
          .insertInto('tasks')
          .values({ id: task.id, instance_id: task.instanceId, operation: task.operation, args: task.args, state: 'pending', outcome: null, deadline_at: task.deadlineAt.getTime(), created_at: now, updated_at: now })
          .returningAll()
          .executeTakeFirstOrThrow();
        return toTask(row);
      },
      async get(id) {
        const row = await db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
        return row && toTask(row);
      },
      async listUnfinished() {
        const rows = await db.selectFrom('tasks').selectAll().where('state', 'not in', [...FINISHED]).orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
        return rows.map(toTask);
      },
      async listForInstance(instanceId) {
        const rows = await db.selectFrom('tasks').selectAll().where('instance_id', '=', instanceId).orderBy('created_at', 'asc').orderBy('id', 'asc').execute();
        return rows.map(toTask);
      },
      async update(id, state, outcome) {
        const result = await db
          .updateTable('tasks')
          .set({ state, outcome, updated_at: Date.now() })
          .where('id', '=', id)
          .where('state', 'not in', [...FINISHED])
          .executeTakeFirst();
        return result.numUpdatedRows > 0n;
      },
    },
    backups: backupRepository(db),
    configurations: configurationRepository(db),
    failovers: failoverRepository(db),
    close: () => db.destroy(),
  };
}
