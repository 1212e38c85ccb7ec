import type { ServiceStatus } from 'berth:datastore/types@0.2.0';
import { CapabilityError, ManagerError } from '../sdk/index.js';
import { ADMIN_HOST, ADMIN_USER, paths, type MyContext } from './options.js';
import { literal, query } from './sql.js';
import { clearDirectory } from '../sdk/file-trees.js';
import { ensureDirectory, removeIfPresent, sizeOf, textSince } from './volume-files.js';
import { REPLICATION_DEFAULTS, replicationConf } from './replication-options.js';

/** What a `SELECT 1` on the admin connection finds. */
export type Reach =
  | { state: 'answering' }
  /** Nothing listens. */
  | { state: 'down' }
  /** Connected, but no answer in time. */
  | { state: 'silent' }
  /** Something answers but refuses os_admin (starting, shutting down, or a password the grant does not share). */
  | { state: 'refused'; detail: string };

export function reach(ctx: MyContext): Reach {
  try {
    query(ctx, 'SELECT 1');
    return { state: 'answering' };
  } catch (error) {
    if (!(error instanceof CapabilityError)) throw error;
    if (error.value.tag === 'database') return { state: 'refused', detail: error.value.val.message };
    return error.value.tag === 'timeout' ? { state: 'silent' } : { state: 'down' };
  }
}

export const isRunning = (ctx: MyContext) => reach(ctx).state === 'answering';

export const isInitialised = (ctx: MyContext) => ctx.files.exists(paths(ctx).initialised);

/** The component has no timer to block on: `sleep` pauses between polls without spinning a core. */
export function pause(ctx: MyContext, ms: number): void {
  ctx.exec.check('sleep', [(ms / 1000).toFixed(3)], { timeoutMs: ms + 5000 });
}

function waitFor(ctx: MyContext, timeoutMs: number, done: () => boolean, onTimeout: () => ManagerError): void {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() >= deadline) throw onTimeout();
    pause(ctx, 200);
  }
}

/**
 * The server's option file. The conf.d includes come first and the settings
 * the manager owns after them, so no configuration or override can move the
 * data directory, the socket or the port away from what the grants expect.
 */
export function writeServerConf(ctx: MyContext): void {
  const p = paths(ctx);
  const o = ctx.options;
  ctx.files.writeText(
    p.serverConf,
    [
      '# Written by the Berth MySQL manager on every start; configuration and overrides live in conf.d/.',
      `!includedir ${p.confDir}`,
      '',
      '[mysqld]',
      `port = ${o.port}`,
      `bind-address = ${o.bind_address}`,
      `datadir = ${p.data}`,
      `socket = ${p.socket}`,
      `pid-file = ${p.pidFile}`,
      `log-error = ${p.errorLog}`,
      // after the includes, so no configuration or override can widen it (the host checks it at every login)
      `secure-file-priv = ${p.secureFiles}`,
      // accounts are matched by address: no DNS lookups, and 127.0.0.1 is never taken for 'localhost'
      'skip-name-resolve',
      ...replicationConf(ctx),
      '',
    ].join('\n'),
  );
}

/** The directories and files the layout needs, created if missing. */
export function ensureLayout(ctx: MyContext): void {
  const p = paths(ctx);
  for (const directory of [p.data, p.run, p.log, p.confDir, p.backup, p.secureFiles]) ensureDirectory(ctx, directory);
  for (const file of [p.configurationConf, p.overridesConf]) {
    if (!ctx.files.exists(file)) ctx.files.writeText(file, '[mysqld]\n');
  }
  if (!ctx.files.exists(p.replicationConf)) ctx.files.writeText(p.replicationConf, REPLICATION_DEFAULTS);
}

/**
 * SQL the server runs at its next start (--init-file): os_admin with this
 * instance's password, whatever the data says, and every privilege but FILE
 * (the host refuses an account that holds it: issue 13, finding 4).
 */
function writeAdminInit(ctx: MyContext): void {
  const account = `'${ADMIN_USER}'@'${ADMIN_HOST}'`;
  const password = literal(ctx.options.admin_password, 'admin_password');
  ctx.files.writeText(
    paths(ctx).adminInit,
    // not in the binary log: a replica restored from a copy must not write GTIDs of its own
    ['SET sql_log_bin = 0;', `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${password};`, `ALTER USER ${account} IDENTIFIED BY ${password};`, `GRANT ALL PRIVILEGES ON *.* TO ${account} WITH GRANT OPTION;`, `REVOKE FILE ON *.* FROM ${account};`, ''].join('\n'),
  );
}

/** The system tables in an empty data directory, with the options the server will run with. */
export function installDatabase(ctx: MyContext): void {
  const first = attemptInstall(ctx);
  if (first === undefined) return;
  // a bootstrap that failed on a passing shortage (memory, I/O contexts on a busy machine) works on a
  // second try from an empty directory; a lasting cause fails again and is reported with its log lines
  ctx.log.warn(`mariadb-install-db failed, trying once more from an empty data directory: ${first}`);
  const second = attemptInstall(ctx);
  if (second !== undefined) throw ManagerError.failed(second);
}

/** One install from an empty data directory: undefined once done, or why it failed. */
function attemptInstall(ctx: MyContext): string | undefined {
  const p = paths(ctx);
  ensureLayout(ctx);
  // an install interrupted by a guest restart leaves a partial data directory behind,
  // perhaps with the server it started still running on it (it outlives the guest host)
  stop(ctx);
  clearDirectory(ctx.files, p.data);
  writeServerConf(ctx);
  const from = { error: sizeOf(ctx, p.errorLog), console: sizeOf(ctx, p.consoleLog) };
  // socket authentication for root@localhost: no account is left without a password
  const result = ctx.exec.run('mariadb-install-db', [`--defaults-file=${p.serverConf}`, '--skip-test-db', '--auth-root-authentication-method=socket'], { timeoutMs: 600_000 });
  if (result.exitCode === 0 && !result.timedOut) return undefined;
  const how = result.timedOut ? 'timed out' : result.signal ? `was killed by ${result.signal}` : `exited with ${result.exitCode}`;
  // the script's own reason opens its stdout (the rest is advice); the bootstrap server's goes to the error log
  const lines = (text: string) => text.split('\n').map((line) => line.trim()).filter((line) => line !== '');
  const said = [...lines(result.stdout).slice(0, 2), ...lines(result.stderr).slice(-3)].join(' | ');
  return `mariadb-install-db ${how}${said ? `: ${said}` : ''}${logTail(ctx, from)}`;
}

function logTail(ctx: MyContext, from: { error: number; console: number }): string {
  const p = paths(ctx);
  const lines = `${textSince(ctx, p.consoleLog, from.console)}\n${textSince(ctx, p.errorLog, from.error)}`
    .split('\n')
    .filter((line) => /\[ERROR\]|error/i.test(line))
    .slice(-5);
  return lines.length > 0 ? `; its log says: ${lines.join(' | ')}` : '';
}

/**
 * Start mariadbd unless it answers already. `adminInit` makes this start set
 * os_admin's password (after an install or a restore). The stopped marker
 * goes only once the server answers: until then the probe says SHUTDOWN.
 */
export function start(ctx: MyContext, options: { adminInit?: boolean } = {}): void {
  const p = paths(ctx);
  ensureLayout(ctx);
  writeServerConf(ctx);
  if (!isRunning(ctx)) {
    if (options.adminInit) writeAdminInit(ctx);
    const from = { error: sizeOf(ctx, p.errorLog), console: sizeOf(ctx, p.consoleLog) };
    const args = [`--defaults-file=${p.serverConf}`, ...(options.adminInit ? [`--init-file=${p.adminInit}`] : [])];
    try {
      ctx.exec.spawn('mariadbd', args, { log: p.consoleLog, cwd: p.data });
      waitFor(
        ctx,
        ctx.options.start_timeout * 1000,
        () => {
          const now = reach(ctx);
          if (now.state === 'answering') return true;
          if (now.state === 'refused' && /Access denied/i.test(now.detail)) {
            throw ManagerError.failed(`mariadbd refuses os_admin (${now.detail}): admin_password differs from the admin connection grant, or another server holds port ${ctx.options.port}`);
          }
          // mariadbd ends with "Aborting" when it cannot start: no need to wait out the timeout
          if (/\bAborting\b/.test(textSince(ctx, p.errorLog, from.error) + textSince(ctx, p.consoleLog, from.console))) {
            throw ManagerError.failed(`mariadbd did not start${logTail(ctx, from)}`);
          }
          return false;
        },
        () => ManagerError.failed(`mariadbd did not answer on port ${ctx.options.port} within ${ctx.options.start_timeout} s (option start_timeout)${logTail(ctx, from)}`),
      );
    } finally {
      removeIfPresent(ctx, p.adminInit);
    }
    // only a server started here has read the configuration as it is now
    removeIfPresent(ctx, p.restartRequired);
  }
  removeIfPresent(ctx, p.stopped);
}

/** SHUTDOWN over the admin connection, then wait until the server has removed its pid file. */
export function stop(ctx: MyContext): void {
  const p = paths(ctx);
  ctx.files.writeText(p.stopped, 'stopped by the manager\n');
  if (reach(ctx).state === 'down') return;
  try {
    query(ctx, 'SHUTDOWN');
  } catch (error) {
    // the server may close the connection before it answers
    if (!(error instanceof CapabilityError) || error.value.tag === 'database') throw error;
  }
  waitFor(
    ctx,
    ctx.options.start_timeout * 1000,
    () => !ctx.files.exists(p.pidFile) && reach(ctx).state !== 'answering',
    () => ManagerError.failed(`mariadbd was still shutting down after ${ctx.options.start_timeout} s`),
  );
}

export function restart(ctx: MyContext): void {
  stop(ctx);
  start(ctx);
}

/** The probe: cheap, changes nothing. */
export function status(ctx: MyContext): ServiceStatus {
  const p = paths(ctx);
  if (!ctx.files.exists(p.initialised)) return 'building';
  const now = reach(ctx);
  if (now.state === 'answering') return ctx.files.exists(p.restartRequired) ? 'restart-required' : 'running';
  // stopping or starting on purpose: refused or silent connections are part of it
  if (ctx.files.exists(p.stopped)) return 'shutdown';
  switch (now.state) {
    case 'down':
      return 'crashed';
    case 'silent':
      return 'blocked';
    case 'refused':
      return 'failed';
  }
}
