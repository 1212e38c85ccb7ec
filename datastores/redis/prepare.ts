import type { PrepareRequest } from 'berth:datastore/lifecycle@0.2.0';
import { ManagerError, memoryShareMb } from '../sdk/index.js';
import { checkOverrides } from './configuration.js';
import { parseConfigText } from './config-text.js';
import { layoutOf } from './layout.js';
import type { RedisContext } from './options.js';
import { installBackupAndStart, readBackup } from './restore.js';
import { renderUsers } from './server-config.js';
import { startServer, stopServer } from './server-process.js';
import { CONFIGURATION_HEADER, OVERRIDES_HEADER, writeSettings } from './settings-files.js';

function checkRequest(ctx: RedisContext, request: PrepareRequest): void {
  // Redis has neither (Trove's Redis manager does not create them either): refused rather than silently dropped
  if (request.databases.length > 0) throw ManagerError.invalidArgument('databases', 'Redis has no databases to create; leave the list empty');
  if (request.users.length > 0) throw ManagerError.invalidArgument('users', 'the Redis manager creates no users (root is enabled separately); leave the list empty');
  if (request.rootPassword === '') throw ManagerError.invalidArgument('root-password', 'must not be empty');
  const mountPoint = layoutOf(ctx).mountPoint;
  if (request.mountPoint !== undefined && request.mountPoint.replace(/\/+$/, '') !== mountPoint) {
    throw ManagerError.invalidArgument('mount-point', `must be the guest option mount_point (${mountPoint}), which every later operation reads`);
  }
}

/**
 * Configure and start Redis, from a backup when the request names one. Every
 * argument is checked and the backup read before anything changes; a re-run
 * after a crash part-way stops what the first attempt started and goes again.
 */
export function prepare(ctx: RedisContext, request: PrepareRequest): void {
  checkRequest(ctx, request);
  const layout = layoutOf(ctx);
  const configuration = parseConfigText(request.configContents ?? '', 'config-contents');
  const overrides = checkOverrides(request.overrides);
  const backup = request.backup ? readBackup(ctx, request.backup) : undefined;

  ctx.events.progress('writing the configuration', 10);
  stopServer(ctx, backup ? 'nosave' : 'as-configured');
  // three quarters of the server's memory (the flavor's RAM) for data, the rest for Redis itself and fork's copy-on-write
  const maxmemory = memoryShareMb(request.memoryMb, 0.75, 16);
  ctx.files.writeText(layout.sizing, maxmemory === undefined ? '' : `# From the flavor's ${request.memoryMb} MB, written by prepare.\nmaxmemory ${maxmemory}mb\n`);
  writeSettings(ctx, layout.configuration, CONFIGURATION_HEADER, configuration);
  writeSettings(ctx, layout.overrides, OVERRIDES_HEADER, overrides);
  ctx.files.writeText(layout.users, renderUsers(ctx.options.admin_password, request.rootPassword));

  ctx.events.progress(backup ? `restoring backup ${request.backup?.id} and starting redis-server` : 'starting redis-server', 40);
  if (backup) installBackupAndStart(ctx, backup);
  else startServer(ctx);
  ctx.events.progress('redis-server answers', 100);
}
