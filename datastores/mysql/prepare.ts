import { ManagerError, memoryShareMb } from '../sdk/index.js';
import { restoreBackup } from './backup.js';
import { writeConfiguration, writeInitialOverrides } from './configuration.js';
import { createDatabases } from './databases.js';
import { paths, type MyContext } from './options.js';
import { PHYSICAL_FORMAT } from './physical-backup.js';
import { enableRoot } from './root.js';
import { ensureLayout, installDatabase, isInitialised, start } from './server.js';
import { ensureServerId } from './replication-options.js';
import { createUsers } from './users.js';

type Overrides = Parameters<typeof writeInitialOverrides>[1];
interface PrepareRequest {
  databases: ReadonlyArray<{ name: string; characterSet?: string; collation?: string }>;
  users: ReadonlyArray<{ name: string; host?: string; password: string; databases: readonly string[] }>;
  backup?: { id: string; format: string };
  configContents?: string;
  rootPassword?: string;
  overrides: Overrides;
  memoryMb: number;
}

/**
 * Half the server's memory (the flavor's RAM) for InnoDB's buffer pool, the
 * share MariaDB's documentation suggests for a server that runs the
 * database alongside its own programs; a configuration group still wins.
 */
function writeSizing(ctx: MyContext, memoryMb: number): void {
  const pool = memoryShareMb(memoryMb, 0.5, 32);
  if (pool === undefined) return;
  ctx.files.writeText(paths(ctx).sizingConf, `# From the flavor's ${memoryMb} MB, written by prepare.\n[mysqld]\ninnodb_buffer_pool_size = ${pool}M\n`);
}

function ignoreExisting(action: () => void): void {
  try {
    action();
  } catch (error) {
    // prepare may run again after a guest restart: what it already created is fine
    if (!(error instanceof ManagerError && error.value.tag === 'already-exists')) throw error;
  }
}

/** mariadb-install-db, then a first start that creates os_admin. */
function install(ctx: MyContext): void {
  installDatabase(ctx);
  start(ctx, { adminInit: true });
}

/**
 * Configure, initialise (or restore) and start, then the initial databases
 * and users. The `initialised` marker is written last, so a prepare cut short
 * by a guest restart starts over from an empty data directory.
 */
export function prepare(ctx: MyContext, request: PrepareRequest): void {
  const p = paths(ctx);
  ensureLayout(ctx);
  if (request.configContents?.trim()) writeConfiguration(ctx, request.configContents);
  writeSizing(ctx, request.memoryMb);
  writeInitialOverrides(ctx, request.overrides);
  if (isInitialised(ctx)) {
    start(ctx);
  } else if (request.backup) {
    // a physical copy replaces the data directory whole; a dump loads into a fresh one
    if (request.backup.format !== PHYSICAL_FORMAT) install(ctx);
    restoreBackup(ctx, request.backup);
    ctx.files.writeText(p.initialised, 'restored by the Berth MySQL manager\n');
  } else {
    install(ctx);
    ctx.files.writeText(p.initialised, 'initialised by the Berth MySQL manager\n');
  }
  // before any database or user: their statements go to the binary log under this instance's own id
  ensureServerId(ctx);
  if (!request.backup) {
    for (const database of request.databases) ignoreExisting(() => createDatabases(ctx, [database]));
    for (const user of request.users) ignoreExisting(() => createUsers(ctx, [user]));
  }
  if (request.rootPassword) enableRoot(ctx, request.rootPassword);
}
