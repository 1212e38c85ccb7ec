import type { ServiceStatus } from 'berth:datastore/types@0.2.0';
import { CapabilityError, ManagerError } from '../sdk/index.js';
import { utf8 } from '../sdk/utf8.js';
import { command, errorReply, isBusyReply, isConnectionLost } from './admin-connection.js';
import { layoutOf } from './layout.js';
import type { RedisContext } from './options.js';
import { renderServerConfig } from './server-config.js';
import { CONFIGURATION_HEADER, OVERRIDES_HEADER, writeSettings } from './settings-files.js';
import { waitFor } from './wait.js';
import { writeReplicationState } from './replication-state.js';

export const REDIS_SERVER = 'redis-server';

/** redis-server daemonizes before it listens; it should listen (and answer, LOADING or not) well within this. */
const LISTEN_TIMEOUT_MS = 15_000;
/** The daemonizing parent returns at once; anything slower is wrong. */
const LAUNCH_TIMEOUT_MS = 30_000;

/** What a PING through the admin connection finds. */
export type Reach =
  | { state: 'answering' }
  /** Up, but loading its data or stuck in a script. */
  | { state: 'busy'; detail: string }
  /** Nothing listens. */
  | { state: 'down' }
  /** Connected, but no answer in time. */
  | { state: 'silent'; detail: string }
  /** Something answers, but not to the admin user: another server on the port, or a password the grant does not share. */
  | { state: 'refused'; detail: string };

export function reach(ctx: RedisContext): Reach {
  try {
    command(ctx, 'PING');
    return { state: 'answering' };
  } catch (thrown) {
    const reply = errorReply(thrown);
    if (reply !== undefined) return isBusyReply(reply) ? { state: 'busy', detail: reply } : { state: 'refused', detail: reply };
    if (thrown instanceof CapabilityError) {
      if (thrown.value.tag === 'unavailable') return { state: 'down' };
      if (thrown.value.tag === 'timeout') return { state: 'silent', detail: thrown.message };
      if (thrown.value.tag === 'database') return { state: 'refused', detail: thrown.message };
    }
    throw thrown;
  }
}

/**
 * The status probe (Trove's Redis probe, plus the pid file): redis-server
 * removes its pid file when it shuts down cleanly, so a pid file with nothing
 * answering is a crash, and no pid file is a server stopped on purpose.
 */
export function serviceStatus(ctx: RedisContext): ServiceStatus {
  const layout = layoutOf(ctx);
  const now = reach(ctx);
  switch (now.state) {
    case 'answering':
      return ctx.files.exists(layout.restartMarker) ? 'restart-required' : 'running';
    case 'busy':
    case 'silent':
      return 'blocked';
    case 'refused':
      return 'failed';
    case 'down':
      if (ctx.files.exists(layout.pidFile)) return 'crashed';
      return ctx.files.exists(layout.serverConfig) ? 'shutdown' : 'new';
  }
}

function refused(ctx: RedisContext, detail: string): ManagerError {
  return ManagerError.failed(
    `something answers on port ${ctx.options.port} but refuses the admin user (${detail}): another server holds the port, or admin_password differs from the admin connection grant`,
  );
}

function sizeOf(ctx: RedisContext, path: string): number {
  return ctx.files.exists(path) ? ctx.files.size(path) : 0;
}

/** What redis-server logged since `from`, for an error message. */
function logSince(ctx: RedisContext, from: number): string {
  const path = layoutOf(ctx).logFile;
  if (!ctx.files.exists(path)) return '';
  const lines = utf8
    .decode(ctx.files.readBytes(path).subarray(from))
    .split('\n')
    .filter((line) => line.trim() !== '')
    .slice(-5);
  return lines.length > 0 ? `; its log says: ${lines.join(' | ')}` : '';
}

function ensureDirectory(ctx: RedisContext, path: string): void {
  if (!ctx.files.exists(path)) ctx.files.makeDirectory(path);
}

function ensureSettingsFile(ctx: RedisContext, path: string, header: string): void {
  if (!ctx.files.exists(path)) writeSettings(ctx, path, header, []);
}

function waitUntilAnswering(ctx: RedisContext, logFrom: number): void {
  const probe = (): Reach['state'] => {
    const now = reach(ctx);
    if (now.state === 'refused') throw refused(ctx, now.detail);
    return now.state;
  };
  waitFor(
    LISTEN_TIMEOUT_MS,
    () => (probe() === 'down' ? undefined : true),
    () =>
      ManagerError.failed(
        `nothing answered on the admin connection within ${LISTEN_TIMEOUT_MS / 1000} s of starting redis-server on port ${ctx.options.port} (the grant's URL must name that port)${logSince(ctx, logFrom)}`,
      ),
  );
  waitFor(
    ctx.options.start_timeout * 1000,
    () => {
      const state = probe();
      if (state === 'down') throw ManagerError.failed(`redis-server exited while loading its data${logSince(ctx, logFrom)}`);
      return state === 'answering' ? true : undefined;
    },
    () => ManagerError.failed(`redis-server was still loading after ${ctx.options.start_timeout} s (option start_timeout)`),
  );
}

/**
 * Start redis-server unless it already answers. `extraArguments` are config
 * directives for this start only ("--appendonly", "no"): they win over the files.
 */
export function startServer(ctx: RedisContext, extraArguments: readonly string[] = []): void {
  const layout = layoutOf(ctx);
  const before = reach(ctx);
  if (before.state === 'refused') throw refused(ctx, before.detail);
  if (before.state === 'silent') throw ManagerError.unavailable(`redis-server accepts connections but does not answer: ${before.detail}`);
  if (before.state !== 'down') {
    waitUntilAnswering(ctx, sizeOf(ctx, layout.logFile));
    return;
  }
  // redis-server refuses to start on a missing include: an instance from before sizing has none
  if (!ctx.files.exists(layout.sizing)) ctx.files.writeText(layout.sizing, '');
  ctx.files.writeText(layout.serverConfig, renderServerConfig(ctx.options));
  ensureDirectory(ctx, layout.dataDir);
  // an include of a missing file stops redis-server
  ensureSettingsFile(ctx, layout.configuration, CONFIGURATION_HEADER);
  ensureSettingsFile(ctx, layout.overrides, OVERRIDES_HEADER);
  if (!ctx.files.exists(layout.replication)) writeReplicationState(ctx, { readOnly: false });
  if (ctx.files.exists(layout.restartMarker)) ctx.files.remove(layout.restartMarker);
  const logFrom = sizeOf(ctx, layout.logFile);
  // relative paths: the host maps only the working directory from guest to host paths
  ctx.exec.check(REDIS_SERVER, ['redis.conf', ...extraArguments], { cwd: layout.mountPoint, timeoutMs: LAUNCH_TIMEOUT_MS });
  waitUntilAnswering(ctx, logFrom);
}

/** SHUTDOWN (saving as configured, or not at all) and wait for the process to go; a crash's stale pid file is cleared. */
export function stopServer(ctx: RedisContext, save: 'as-configured' | 'nosave'): void {
  const layout = layoutOf(ctx);
  const before = reach(ctx);
  if (before.state === 'refused') throw refused(ctx, before.detail);
  if (before.state !== 'down') {
    try {
      command(ctx, 'SHUTDOWN', ...(save === 'nosave' ? ['NOSAVE'] : []));
    } catch (thrown) {
      const reply = errorReply(thrown);
      if (reply !== undefined) throw ManagerError.failed(`redis-server refused to shut down: ${reply}`);
      // a server that shuts down closes the connection instead of answering
      if (!isConnectionLost(thrown)) throw thrown;
    }
    waitFor(
      ctx.options.start_timeout * 1000,
      () => (reach(ctx).state === 'down' && !ctx.files.exists(layout.pidFile) ? true : undefined),
      () => ManagerError.failed(`redis-server did not exit within ${ctx.options.start_timeout} s of SHUTDOWN`),
    );
  }
  if (ctx.files.exists(layout.pidFile)) ctx.files.remove(layout.pidFile);
}

export function restartServer(ctx: RedisContext): void {
  stopServer(ctx, 'as-configured');
  startServer(ctx);
}
