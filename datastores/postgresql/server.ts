import { CapabilityError, ManagerError, memoryShareMb } from '../sdk/index.js';
import { BOOTSTRAP_USER, paths, type PgContext } from './options.js';
import { literal, query } from './sql.js';

/** Is PostgreSQL answering on the admin connection? */
export function isRunning(ctx: PgContext): boolean {
  try {
    query(ctx, 'SELECT 1');
    return true;
  } catch (error) {
    if (error instanceof CapabilityError && error.value.tag !== 'database') return false;
    throw error;
  }
}

export function isInitialised(ctx: PgContext): boolean {
  return ctx.files.exists(`${paths(ctx).data}/PG_VERSION`);
}

/** What the manager owns in postgresql.conf: written on every start, so option changes take effect. */
function writeBerthConf(ctx: PgContext): void {
  const { options } = ctx;
  ctx.files.writeText(
    paths(ctx).berthConf,
    [
      '# Written by the Berth PostgreSQL manager on every start; overrides go in berth-overrides.conf.',
      `listen_addresses = ${literal(options.listen_addresses, 'listen_addresses')}`,
      `port = ${options.port}`,
      // no Unix socket: clients and the manager's host connect over TCP with passwords
      "unix_socket_directories = ''",
      `wal_keep_size = ${literal(options.wal_keep_size, 'wal_keep_size')}`,
      "password_encryption = 'scram-sha-256'",
      '',
    ].join('\n'),
  );
  if (!ctx.files.exists(paths(ctx).overridesConf)) ctx.files.writeText(paths(ctx).overridesConf, '');
}

/**
 * initdb with the host's bootstrap superuser, password authentication
 * everywhere, and the includes Berth manages. The manager's own os_admin is
 * created by the host at its first login (no superuser, see
 * server/registry/postgresql-bootstrap.ts).
 */
/**
 * Buffers sized from the server's memory (the flavor's RAM): a quarter for
 * shared_buffers, three quarters as the planner's effective_cache_size, as
 * PostgreSQL's documentation advises for a dedicated server. Read before
 * berth-overrides.conf, so a configuration group still wins.
 */
export function writeSizing(ctx: PgContext, memoryMb: number): void {
  const shared = memoryShareMb(memoryMb, 0.25, 16);
  if (shared === undefined) return;
  const cache = memoryShareMb(memoryMb, 0.75, 64)!;
  ctx.files.writeText(`${paths(ctx).data}/berth-sizing.conf`, `# From the flavor's ${memoryMb} MB, written by prepare.\nshared_buffers = ${shared}MB\neffective_cache_size = ${cache}MB\n`);
}

/** Read last, so no configuration group outweighs them: a standby's source (replication.ts) and read-only. */
export const ROLE_FILES = ['berth-standby.conf', 'berth-read-only.conf'] as const;
const ROLE_INCLUDES = ROLE_FILES.map((file) => `include_if_exists = '${file}'\n`).join('');

/** A cluster made before the role files (a restored older backup) gets their includes. */
export function ensureRoleIncludes(ctx: PgContext): void {
  const conf = `${paths(ctx).data}/postgresql.conf`;
  const text = ctx.files.readText(conf);
  const missing = ROLE_FILES.filter((file) => !text.includes(`include_if_exists = '${file}'`));
  if (missing.length > 0) ctx.files.writeText(conf, `${text}\n${missing.map((file) => `include_if_exists = '${file}'\n`).join('')}`);
}

export function initialise(ctx: PgContext): void {
  const p = paths(ctx);
  const pwfile = `${ctx.options.mount_point}/.initdb-password`;
  ctx.files.writeText(pwfile, ctx.options.bootstrap_password);
  try {
    ctx.exec.check('initdb', ['-D', p.data, '-U', BOOTSTRAP_USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-instructions'], { timeoutMs: 120_000 });
  } finally {
    ctx.files.remove(pwfile);
  }
  const conf = `${p.data}/postgresql.conf`;
  ctx.files.writeText(conf, `${ctx.files.readText(conf)}\ninclude_if_exists = 'berth.conf'\ninclude_if_exists = 'berth-sizing.conf'\ninclude_if_exists = 'berth-overrides.conf'\n${ROLE_INCLUDES}`);
  // clients connect over TCP from anywhere the security group allows, always with a password;
  // the bootstrap superuser only from this host (the guest host creating os_admin)
  ctx.files.writeText(
    `${p.data}/pg_hba.conf`,
    [
      '# Written by the Berth PostgreSQL manager.',
      `host all ${BOOTSTRAP_USER} 127.0.0.1/32 scram-sha-256`,
      `host all ${BOOTSTRAP_USER} all reject`,
      'host all all 0.0.0.0/0 scram-sha-256',
      'host all all ::/0 scram-sha-256',
      '',
    ].join('\n'),
  );
  if (!ctx.files.exists(p.log)) ctx.files.makeDirectory(p.log);
}

export function start(ctx: PgContext): void {
  const p = paths(ctx);
  writeBerthConf(ctx);
  // a postmaster.pid left by a killed server is handled by pg_ctl itself (it checks the pid)
  if (!isRunning(ctx)) ctx.exec.check('pg_ctl', ['start', '-D', p.data, '-l', p.logFile, '-w', '-t', '120'], { timeoutMs: 130_000 });
  // only now: until the server answers, the probe must keep saying SHUTDOWN, not CRASHED
  if (ctx.files.exists(p.stopped)) ctx.files.remove(p.stopped);
}

export function stop(ctx: PgContext): void {
  const p = paths(ctx);
  ctx.files.writeText(p.stopped, 'stopped by the manager\n');
  if (!ctx.files.exists(`${p.data}/postmaster.pid`)) return;
  const result = ctx.exec.run('pg_ctl', ['stop', '-D', p.data, '-m', 'fast', '-w', '-t', '120'], { timeoutMs: 130_000 });
  // "no server running" (a crashed server's stale pid file) is stopped too
  if (result.exitCode !== 0 && isRunning(ctx)) throw ManagerError.failed(`pg_ctl stop: ${result.stderr.trim()}`);
}

export function restart(ctx: PgContext): void {
  stop(ctx);
  start(ctx);
}

/** The probe: cheap, changes nothing. */
export function status(ctx: PgContext): 'building' | 'running' | 'shutdown' | 'crashed' {
  if (!isInitialised(ctx)) return 'building';
  if (isRunning(ctx)) return 'running';
  return ctx.files.exists(paths(ctx).stopped) ? 'shutdown' : 'crashed';
}

/** After initdb: a public schema every granted user may use (the host's bootstrap made the root role and gave os_admin template1). */
export function bootstrapRoles(ctx: PgContext): void {
  // PostgreSQL 15 took CREATE on public away from PUBLIC; new databases copy template1, so give it back there
  ctx.sql('template').query('GRANT ALL ON SCHEMA public TO PUBLIC');
  // CREATE DATABASE cannot copy a template anyone is connected to, the manager's own session included
  query(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'template1' AND pid <> pg_backend_pid()");
}
