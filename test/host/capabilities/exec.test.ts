import { chmod, copyFile, mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createExec, type ExecGrant } from '../../../host/capabilities/exec.js';
import { buildFixture, call, instantiateBytes, type CallOutcome, type ExportedInterfaces } from '../../support/components.js';

interface Request {
  program: string;
  args?: string[];
  stdin?: string;
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}
interface Ran {
  exitCode?: number;
  signal?: string;
  stdout: string;
  stderr: string;
  stdoutBytes: number;
  timedOut: boolean;
  truncated: boolean;
}
type Outcome = { ok: Ran; err?: undefined } | { err: { tag: string; val: string }; ok?: undefined };

let bytes: Uint8Array;
let tmp: string;
let denials: Array<[string, string]>;

beforeAll(async () => {
  bytes = (await buildFixture('exec-probe', 'quickjs')).bytes;
});
beforeEach(async () => {
  // realpath: pwd prints the physical path, and tmpdir() may itself be a symlink
  tmp = await realpath(await mkdtemp(join(tmpdir(), 'berth-exec-')));
  denials = [];
});
afterEach(async () => {
  delete process.env.BERTH_SECRET_TEST;
  await rm(tmp, { recursive: true, force: true });
});

function grantOf(overrides: Partial<ExecGrant> = {}): ExecGrant {
  return { programs: [], environment: {}, directories: [], defaultTimeoutMs: 10_000, maxTimeoutMs: 10_000, outputLimitBytes: 1024 * 1024, ...overrides };
}

/** A manager instance whose only exec grant is `grant`; denials are recorded in `denials`. */
async function manager(overrides: Partial<ExecGrant> = {}): Promise<ExportedInterfaces> {
  return instantiateBytes(bytes, { exec: createExec(grantOf(overrides), (capability, what) => denials.push([capability, what])) });
}

/** Runs `request` through ctx.exec.run inside the component: the completed run, or the capability error it raised. */
function run(exports: ExportedInterfaces, request: Request): Outcome {
  const outcome = call(exports.guestLog!.guestLogAction, JSON.stringify(request), 'enable');
  if (!('ok' in outcome)) throw new Error(`the probe did not answer: ${JSON.stringify(outcome)}`);
  return JSON.parse((outcome.ok as { name: string }).name) as Outcome;
}

/** Runs `request` through ctx.exec.check, uncaught: what a real manager's caller sees. */
function check(exports: ExportedInterfaces, request: Request): CallOutcome {
  return call(exports.lifecycle!.startDbWithConfChanges, JSON.stringify(request));
}

describe('exec capability through a component', () => {
  it('runs a granted program with its arguments and stdin, and returns its output and exit code', async () => {
    const exports = await manager({ programs: ['/usr/bin/head'] });
    const outcome = run(exports, { program: '/usr/bin/head', args: ['-n', '2'], stdin: 'first\nsecond ✓\nthird\n' });
    expect(outcome.ok).toEqual({ exitCode: 0, stdout: 'first\nsecond ✓\n', stderr: '', stdoutBytes: Buffer.byteLength('first\nsecond ✓\n'), timedOut: false, truncated: false });
    expect(denials).toEqual([]);
  });

  it('answers a non-zero exit as a completed run, not an error', async () => {
    const exports = await manager({ programs: ['/usr/bin/sh'] });
    const outcome = run(exports, { program: '/usr/bin/sh', args: ['-c', 'echo oops >&2; exit 3'] });
    expect(outcome.ok).toMatchObject({ exitCode: 3, stderr: 'oops\n', stdout: '', timedOut: false });
    // exec.check turns that exit into the operation's own failure, quoting stderr
    expect(check(exports, { program: '/usr/bin/sh', args: ['-c', 'echo oops >&2; exit 3'] })).toMatchObject({
      err: { tag: 'failed', val: { operation: 'start-db-with-conf-changes', detail: expect.stringMatching(/exited with 3: oops/) } },
    });
  });

  it.each([
    ['a program not on the list', () => '/usr/bin/id'],
    ['a relative path to a granted program', () => './true'],
    ['a relative path with a directory', () => 'bin/true'],
    ['a non-normalised absolute path', () => '/usr/bin/../bin/true'],
    ['a doubled slash', () => '//usr/bin/true'],
    ['a symlink the manager points at a granted program', () => join(tmp, 'true')],
    ['a bare name no granted program has', () => 'id'],
  ])('denies %s and reports it', async (_label, program) => {
    await symlink('/usr/bin/true', join(tmp, 'true'));
    const exports = await manager({ programs: ['/usr/bin/true'], directories: [{ hostPath: tmp, guestPath: '/work' }] });
    const outcome = run(exports, { program: program(), cwd: '/work' });
    expect(outcome.err).toEqual({ tag: 'denied', val: expect.stringContaining(`program ${program()}`) });
    expect(denials).toEqual([['exec', outcome.err!.val]]);
    // uncaught, the capability's denial is the operation's denied manager-error
    expect(check(exports, { program: program() })).toEqual({ err: { tag: 'denied', val: `exec: ${outcome.err!.val}` } });
  });

  it('runs a program by its bare file name when exactly one granted program has that name', async () => {
    const exports = await manager({ programs: ['/usr/bin/true', '/usr/bin/echo'] });
    expect(run(exports, { program: 'echo', args: ['by name'] }).ok).toMatchObject({ exitCode: 0, stdout: 'by name\n' });
  });

  it('denies a bare name that matches two different granted programs', async () => {
    await copyFile('/usr/bin/echo', join(tmp, 'echo'));
    await chmod(join(tmp, 'echo'), 0o755);
    const exports = await manager({ programs: ['/usr/bin/echo', join(tmp, 'echo')] });
    expect(run(exports, { program: 'echo' }).err).toEqual({ tag: 'denied', val: expect.stringContaining('several granted programs') });
    expect(run(exports, { program: join(tmp, 'echo'), args: ['by path'] }).ok).toMatchObject({ stdout: 'by path\n' });
  });

  it.each([
    ['a missing file', () => join(tmp, 'missing')],
    ['a file without execute permission', () => join(tmp, 'plain.sh')],
    ['a directory', () => tmp],
    ['a dangling symlink', () => join(tmp, 'dangling')],
  ])('denies a grant that points at %s, without failing at start', async (_label, program) => {
    await writeFile(join(tmp, 'plain.sh'), '#!/bin/sh\necho ran\n', { mode: 0o644 });
    await symlink(join(tmp, 'nowhere'), join(tmp, 'dangling'));
    const exports = await manager({ programs: [program(), '/usr/bin/true'] });
    expect(run(exports, { program: program() }).err).toEqual({ tag: 'denied', val: expect.stringContaining('points at nothing runnable') });
    expect(run(exports, { program: '/usr/bin/true' }).ok).toMatchObject({ exitCode: 0 });
  });

  it('runs the file a granted symlink resolved to at start, even after the symlink is repointed', async () => {
    const tool = join(tmp, 'tool');
    await symlink('/usr/bin/echo', tool);
    const exports = await manager({ programs: [tool] });
    await unlink(tool);
    await symlink('/usr/bin/id', tool);
    expect(run(exports, { program: tool, args: ['still echo'] }).ok).toMatchObject({ exitCode: 0, stdout: 'still echo\n' });
  });

  it('starts the program under its granted name, so multi-call programs still dispatch', async () => {
    const node = join(tmp, 'my-node');
    await symlink(process.execPath, node);
    const exports = await manager({ programs: [node] });
    expect(run(exports, { program: 'my-node', args: ['-e', 'process.stdout.write(process.argv0)'] }).ok).toMatchObject({ exitCode: 0, stdout: node });
  });

  it('passes shell metacharacters through as plain argument bytes', async () => {
    // harmless even if a shell did run them: they could only create files in the temp dir
    const args = [';', 'touch pwned', '|', '$(id)', '`id`', '&&', '||', '$HOME', '> out', '*', "'quoted'", '"double"', '\\n', ''];
    const exports = await manager({ programs: ['/usr/bin/printf'], directories: [{ hostPath: tmp, guestPath: '/work' }] });
    const outcome = run(exports, { program: '/usr/bin/printf', args: ['[%s]\n', ...args], cwd: '/work' });
    expect(outcome.ok?.stdout).toBe(args.map((arg) => `[${arg}]\n`).join(''));
    expect(await readdir(tmp)).toEqual([]);
  });

  it('gives the program only the granted environment and what the manager adds, never the host environment', async () => {
    process.env.BERTH_SECRET_TEST = 'host secret';
    const exports = await manager({ programs: ['/usr/bin/env'], environment: { PGHOST: '/run/postgresql' } });
    const outcome = run(exports, { program: '/usr/bin/env', env: { TZ: 'UTC' } });
    expect(outcome.ok?.stdout.split('\n').filter(Boolean).sort()).toEqual(['PGHOST=/run/postgresql', 'TZ=UTC']);
    expect(outcome.ok?.stdout).not.toContain('host secret');
  });

  it('lets a manager hand etcdctl its user and password in the environment, off the command line, but not another endpoint', async () => {
    const exports = await manager({ programs: ['/usr/bin/env'] });
    const outcome = run(exports, { program: '/usr/bin/env', env: { ETCDCTL_USER: 'berth', ETCDCTL_PASSWORD: 'secret' } });
    expect(outcome.ok?.stdout.split('\n').filter(Boolean).sort()).toEqual(['ETCDCTL_PASSWORD=secret', 'ETCDCTL_USER=berth']);
    expect(run(exports, { program: '/usr/bin/env', env: { ETCDCTL_ENDPOINTS: 'http://10.0.0.1:2379' } }).err).toEqual({ tag: 'denied', val: expect.stringContaining('ETCDCTL_ENDPOINTS') });
  });

  it.each([
    ['override a granted variable', { PGHOST: '/tmp/evil' }, 'invalid', 'may not be overridden'],
    ['use a name with =', { 'A=B': 'c' }, 'invalid', 'environment variable "A=B"'],
    ['use an empty name', { '': 'c' }, 'invalid', 'environment variable ""'],
    ['set a NUL byte', { OK: 'a\0b' }, 'invalid', 'NUL'],
    ['set a dynamic loader variable', { LD_PRELOAD: '/work/evil.so' }, 'denied', 'LD_PRELOAD'],
    // finding 3: the MariaDB client library loads plugins these name, from the manager's volume
    ['load a client plugin', { LIBMYSQL_PLUGINS: 'evil' }, 'denied', 'LIBMYSQL_PLUGINS'],
    ['point the plugin directory at the volume', { MARIADB_PLUGIN_DIR: '/work' }, 'denied', 'MARIADB_PLUGIN_DIR'],
    ['read option files from the volume', { MYSQL_HOME: '/work' }, 'denied', 'MYSQL_HOME'],
    ['point a client at another host', { MYSQL_HOST: '10.0.0.1' }, 'denied', 'MYSQL_HOST'],
    ['load a gconv module', { GCONV_PATH: '/work' }, 'denied', 'GCONV_PATH'],
  ])('refuses an environment that tries to %s', async (_label, env, tag, message) => {
    const exports = await manager({ programs: ['/usr/bin/env'], environment: { PGHOST: '/run/postgresql' } });
    expect(run(exports, { program: '/usr/bin/env', env }).err).toEqual({ tag, val: expect.stringContaining(message) });
    expect(denials).toHaveLength(tag === 'denied' ? 1 : 0);
  });

  // finding 3: pg_ctl hands -o (and its -D, -l values) to /bin/sh; -p runs another program; initdb -L reads bootstrap SQL;
  // MariaDB's programs load plugins and option files, and its clients reach any server; redis-server loads modules
  describe('argument policies of the built-in programs', () => {
    /** A stand-in named like the real program (its policy is chosen by file name): prints its arguments. */
    async function named(name: string): Promise<string> {
      const path = join(tmp, name);
      await writeFile(path, '#!/bin/sh\necho "$@"\n', { mode: 0o755 });
      return path;
    }

    it.each([
      ['pg_ctl', ['start', '-D', '/data', '-o', '-c archive_command=id']],
      ['pg_ctl', ['start', '-D', '/data', '--options=-k /tmp']],
      ['pg_ctl', ['start', '-p', '/bin/sh', '-D', '/data']],
      ['pg_ctl', ['start', '-D', '/data"; id; "']],
      ['pg_ctl', ['start', '-D', '/data', '-l', '/log$(id)']],
      ['pg_ctl', ['start', '-wD/data']],
      ['pg_ctl', ['kill', 'KILL', '1']],
      ['initdb', ['-D', '/data', '-L', '/work/evil-share']],
      ['initdb', ['-D', '/data', '-c', 'archive_command=id']],
    ])('refuses %s %j', async (name, args) => {
      const exports = await manager({ programs: [await named(name)] });
      expect(run(exports, { program: name, args }).err).toEqual({ tag: 'denied', val: expect.stringContaining(name) });
      expect(denials).toHaveLength(1);
    });

    describe('MariaDB and Redis programs', () => {
      // as the MySQL and Redis managers are granted them: their volume, the admin connection's server
      const grantFor = async (name: string) => ({
        programs: [await named(name)],
        directories: [
          { hostPath: tmp, guestPath: '/var/lib/mysql', access: 'read-write' as const },
          { hostPath: tmp, guestPath: '/var/lib/redis', access: 'read-write' as const },
        ],
        servers: [{ host: '127.0.0.1', port: 3307 }],
      });
      const login = ['--host=127.0.0.1', '--port=3307', '--user=os_admin'];
      const dump = ['--no-defaults', ...login, '--single-transaction', '--routines', '--triggers', '--events', '--hex-blob', '--default-character-set=utf8mb4', '--result-file=/var/lib/mysql/backup/b1.sql'];

      it.each([
        // code loaded from a directory the manager writes, or an authentication plugin of its own
        ['mariadb-dump', [...dump, '--plugin-dir=/var/lib/mysql/plugins', '--default-auth=evil', '--databases', 'shop']],
        ['mariadb-dump', [...dump, '--default-auth=evil', '--databases', 'shop']],
        ['mariadb-dump', [...dump, '--plugin_dir=/var/lib/mysql/plugins']],
        ['mariadb-dump', [...dump, '--loose-plugin-dir=/var/lib/mysql/plugins']],
        ['mariadb-dump', [...dump, '--plug=/var/lib/mysql/plugins']],
        // option files: settings (host, plugin-dir) from a file, or the machine's own credentials
        ['mariadb-dump', ['--defaults-file=/var/lib/mysql/client.cnf', ...dump.slice(1)]],
        ['mariadb-dump', ['--defaults-extra-file=/var/lib/mysql/client.cnf', ...dump.slice(1)]],
        ['mariadb-dump', [...dump, '--defaults-group-suffix=_evil']],
        // a server nobody granted: another host, the machine's own on 3306, its socket, no endpoint at all
        ['mariadb-dump', ['--host=10.0.0.1', '--port=3307', '--all-databases']],
        ['mariadb-dump', ['--no-defaults', '--host=10.0.0.1', '--port=3307', '--user=root', '--databases', 'mysql']],
        ['mariadb-dump', ['--no-defaults', '--host=127.0.0.1', '--port=3306', '--user=root', '--databases', 'mysql']],
        ['mariadb-dump', ['--no-defaults', '--host=localhost', '--port=3307', '--user=root', '--databases', 'mysql']],
        ['mariadb-dump', ['--no-defaults', '--user=root', '--databases', 'mysql']],
        ['mariadb-dump', [...dump, '--socket=/run/mysqld/mysqld.sock']],
        ['mariadb-dump', [...dump, '--protocol=socket']],
        ['mariadb-dump', ['--no-defaults', '-h127.0.0.1', '-P3307', '--databases', 'shop']],
        ['mariadb-dump', [...dump.slice(0, -1), '--result-file=/etc/cron.d/berth', '--databases', 'shop']],
        ['mariadb-dump', [...dump.slice(0, -1), '--result-file=/var/lib/mysql/../../../etc/cron.d/berth', '--databases', 'shop']],
        // the client: a shell through `system`, a pager or tee, a statement at every connect
        ['mariadb', ['--no-defaults', ...login, '-e', 'system id']],
        ['mariadb', ['--no-defaults', ...login, '--execute=system id']],
        ['mariadb', ['--sandbox', ...login, '--pager=sh']],
        ['mariadb', ['--sandbox', ...login, '--tee=/var/lib/mysql/out']],
        ['mariadb', ['--sandbox', ...login, '--init-command=SELECT 1']],
        ['mysql', ['--no-defaults', ...login, '--execute=system id']],
        // the server: plugins, another base or user, SQL from a file the manager did not write
        ['mariadbd', ['--defaults-file=/var/lib/mysql/my.cnf', '--plugin-load=evil.so']],
        ['mariadbd', ['--defaults-file=/var/lib/mysql/my.cnf', '--plugin-dir=/var/lib/mysql']],
        ['mariadbd', ['--defaults-file=/var/lib/mysql/my.cnf', '--init-file=/etc/berth/other-instance.sql']],
        ['mariadbd', ['--defaults-file=/etc/mysql/my.cnf']],
        ['mariadbd', ['--defaults-file=/var/lib/mysql/my.cnf', '--user=root']],
        ['mariadbd', ['--defaults-file=/var/lib/mysql/my.cnf', '--basedir=/var/lib/mysql']],
        ['mariadbd', ['--defaults-file=/var/lib/mysql/my.cnf', '--init-connect=DO 1']],
        ['mysqld', ['--defaults-file=/var/lib/mysql/my.cnf', '--plugin-load=evil.so']],
        // mariadb-install-db is a shell script that runs the server it finds in --basedir
        ['mariadb-install-db', ['--defaults-file=/var/lib/mysql/my.cnf', '--basedir=/var/lib/mysql/evil']],
        ['mariadb-install-db', ['--defaults-file=/var/lib/mysql/my.cnf', '--srcdir=/var/lib/mysql/evil']],
        ['mariadb-install-db', ['--defaults-file=/var/lib/mysql/my.cnf"; id; "']],
        ['mariadb-install-db', ['--defaults-file=/etc/mysql/debian.cnf']],
        ['mariadb-install-db', ['--defaults-file=/var/lib/mysql/my.cnf', '--auth-root-authentication-method=none']],
        // mariabackup: a hot copy of whatever server it is pointed at
        ['mariabackup', ['--defaults-file=/var/lib/mysql/my.cnf', '--backup', '--target-dir=/var/lib/mysql/backup/b1']],
        ['mariabackup', ['--defaults-file=/var/lib/mysql/my.cnf', '--backup', '--target-dir=/var/lib/mysql/backup/b1', '--host=127.0.0.1', '--port=3306']],
        ['mariabackup', ['--no-defaults', '--prepare', '--target-dir=/var/lib/mysql/backup/b1', '--plugin-dir=/var/lib/mysql']],
        ['mariabackup', ['--no-defaults', '--prepare', '--target-dir=/tmp/elsewhere']],
        // mysqld_safe: a shell script that preloads a library and runs the server it is told to
        ['mysqld_safe', ['--malloc-lib=/var/lib/mysql/evil.so']],
        ['mariadbd-safe', ['--ledir=/var/lib/mysql']],
        ['mysqld_safe', ['--mysqld=/bin/sh']],
        // redis-server: modules, files elsewhere, config from stdin, another port
        ['redis-server', ['redis.conf', '--loadmodule', '/var/lib/redis/evil.so']],
        ['redis-server', ['redis.conf', '--dir', '/etc']],
        ['redis-server', ['redis.conf', '--include', '/etc/berth/guest.json']],
        ['redis-server', ['redis.conf', '--enable-module-command', 'yes']],
        ['redis-server', ['redis.conf', '--appendonly', 'no', '--replicaof', '10.0.0.1', '6379']],
        ['redis-server', ['-']],
        ['redis-server', ['/etc/redis/redis.conf']],
        ['redis-server', ['../other-instance/redis.conf']],
        ['redis-server', ['--port', '6380']],
        ['redis-server', ['--appendonly', 'no', 'redis.conf']],
      ])('refuses %s %j', async (name, args) => {
        const exports = await manager(await grantFor(name));
        expect(run(exports, { program: name, args }).err).toEqual({ tag: 'denied', val: expect.stringContaining(name) });
        expect(denials).toHaveLength(1);
      });

      it('applies the policy of what a grant resolves to: /usr/bin/mysqldump is mariadb-dump', async () => {
        const real = await named('mariadb-dump');
        await symlink(real, join(tmp, 'dumper'));
        const exports = await manager({ ...(await grantFor('mariadb-dump')), programs: [join(tmp, 'dumper')] });
        expect(run(exports, { program: 'dumper', args: [...dump, '--plugin-dir=/var/lib/mysql'] }).err).toEqual({ tag: 'denied', val: expect.stringContaining('--plugin-dir') });
        expect(run(exports, { program: 'dumper', args: [...dump, '--databases', 'shop'] }).ok?.exitCode).toBe(0);
      });

      it.each([
        ['mariadb-install-db', ['--defaults-file=/var/lib/mysql/my.cnf', '--skip-test-db', '--auth-root-authentication-method=socket']],
        ['mariadbd', ['--defaults-file=/var/lib/mysql/my.cnf', '--init-file=/var/lib/mysql/run/admin-init.sql']],
        ['mariadbd', ['--no-defaults', '--verbose', '--help']],
        ['mariadb-dump', [...dump, '--databases', 'shop', 'my$db-2']],
        ['mariabackup', ['--defaults-file=/var/lib/mysql/my.cnf', '--backup', '--target-dir=/var/lib/mysql/backup/b1', ...login]],
        ['mariabackup', ['--no-defaults', '--prepare', '--target-dir=/var/lib/mysql/backup/b1']],
        ['mariabackup', ['--version']],
        ['mariadb', ['--no-defaults', '--sandbox', ...login, '--batch', '--execute=SELECT 1']],
      ])('runs %s %j as the MySQL manager does', async (name, args) => {
        const exports = await manager(await grantFor(name));
        expect(run(exports, { program: name, args }).ok?.stdout).toBe(`${args.join(' ')}\n`);
      });

      // issue 18: a replicaof line in the file it wrote must not count, and no replication grant reaches this exec
      it.each([
        [['redis.conf'], 'redis.conf --replicaof no one'],
        [['redis.conf', '--appendonly', 'no'], 'redis.conf --appendonly no --replicaof no one'],
        [['--version'], '--version'],
      ])('runs redis-server %j as the Redis manager does, following nobody', async (args, ran) => {
        const exports = await manager(await grantFor('redis-server'));
        expect(run(exports, { program: 'redis-server', args }).ok?.stdout).toBe(`${ran}\n`);
      });
    });

    it.each([
      ['pg_ctl', ['start', '-D', '/var/lib/postgresql/data', '-l', '/var/lib/postgresql/log/server.log', '-w', '-t', '120']],
      ['pg_ctl', ['stop', '-D', '/data', '-m', 'fast', '-w', '-t', '120']],
      ['initdb', ['-D', '/data', '-U', 'os_admin', '--pwfile=/data/.pw', '--auth=scram-sha-256', '--encoding=UTF8', '--locale=C', '--no-instructions']],
    ])('runs %s %j as the PostgreSQL manager does', async (name, args) => {
      const exports = await manager({ programs: [await named(name)] });
      expect(run(exports, { program: name, args }).ok?.stdout).toBe(`${args.join(' ')}\n`);
    });
  });

  describe('working directory', () => {
    let exports: ExportedInterfaces;
    beforeEach(async () => {
      await mkdir(join(tmp, 'data', 'sub'), { recursive: true });
      await mkdir(join(tmp, 'conf'));
      await mkdir(join(tmp, 'outside'));
      await symlink(join(tmp, 'outside'), join(tmp, 'data', 'escape'));
      exports = await manager({
        programs: ['/usr/bin/pwd'],
        directories: [
          { hostPath: join(tmp, 'data'), guestPath: '/var/lib/probe' },
          // nested in the guest view, elsewhere on the host: the longest guest prefix must win
          { hostPath: join(tmp, 'conf'), guestPath: '/var/lib/probe/conf/' },
        ],
      });
    });

    it.each<[string | undefined, () => string]>([
      ['/var/lib/probe', () => join(tmp, 'data')],
      ['/var/lib/probe/sub/', () => join(tmp, 'data', 'sub')],
      ['/var/lib/probe/./sub', () => join(tmp, 'data', 'sub')],
      ['/var/lib/probe/conf', () => join(tmp, 'conf')],
      [undefined, () => '/'],
    ])('maps the guest path %s to its host directory', (cwd, host) => {
      expect(run(exports, { program: '/usr/bin/pwd', ...(cwd === undefined ? {} : { cwd }) }).ok).toMatchObject({ exitCode: 0, stdout: `${host()}\n` });
    });

    it.each([
      ['/etc', 'denied', 'outside every granted directory'],
      ['/var/lib/probe-other', 'denied', 'outside every granted directory'],
      ['/var/lib/probe/escape', 'denied', 'symlink'],
      ['/var/lib/probe/../../../etc', 'invalid', "without '..'"],
      ['var/lib/probe', 'invalid', 'absolute guest path'],
      ['/var/lib/probe/missing', 'invalid', 'not an existing directory'],
    ])('refuses the working directory %s', (cwd, tag, message) => {
      expect(run(exports, { program: '/usr/bin/pwd', cwd }).err).toEqual({ tag, val: expect.stringContaining(message) });
      expect(denials.map(([, what]) => what)).toEqual(tag === 'denied' ? [expect.stringContaining(`cwd ${cwd}`)] : []);
    });
  });

  it('kills a program at its timeout and says so', async () => {
    const exports = await manager({ programs: ['/usr/bin/sleep'] });
    const started = Date.now();
    const outcome = run(exports, { program: '/usr/bin/sleep', args: ['5'], timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(outcome.ok).toMatchObject({ timedOut: true, signal: 'SIGKILL', truncated: false });
    expect(outcome.ok?.exitCode).toBeUndefined();
  });

  it('caps the requested timeout at the maximum and applies the default when none is asked for', async () => {
    const exports = await manager({ programs: ['/usr/bin/sleep'], defaultTimeoutMs: 200, maxTimeoutMs: 300 });
    let started = Date.now();
    expect(run(exports, { program: '/usr/bin/sleep', args: ['5'], timeoutMs: 60_000 }).ok).toMatchObject({ timedOut: true });
    expect(Date.now() - started).toBeLessThan(3000);
    started = Date.now();
    expect(run(exports, { program: '/usr/bin/sleep', args: ['5'] }).ok).toMatchObject({ timedOut: true });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(run(exports, { program: '/usr/bin/sleep', args: ['0'] }).ok).toMatchObject({ timedOut: false, exitCode: 0 });
    expect(run(exports, { program: '/usr/bin/sleep', args: ['0'], timeoutMs: 0 }).err).toMatchObject({ tag: 'invalid' });
  });

  it('kills what a timed-out program started, not only the program', async () => {
    const exports = await manager({ programs: ['/usr/bin/sh'] });
    const outcome = run(exports, { program: '/usr/bin/sh', args: ['-c', '/usr/bin/sleep 30 & echo $!; wait'], timeoutMs: 300 });
    expect(outcome.ok).toMatchObject({ timedOut: true });
    const pid = Number(outcome.ok?.stdout.trim());
    expect(pid).toBeGreaterThan(0);
    const gone = async (): Promise<boolean> => {
      // a killed process may linger as a zombie where nothing reaps orphans
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
      return stat === undefined || /^\d+ \(.*\) Z/.test(stat);
    };
    for (let i = 0; i < 40 && !(await gone()); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await gone()).toBe(true);
  });

  it('keeps at most the output cap of stdout and of stderr, and says it dropped the rest', async () => {
    const exports = await manager({ programs: ['/usr/bin/yes', '/usr/bin/head', '/usr/bin/sh'], outputLimitBytes: 1000 });
    // an endless writer is stopped by the cap
    const endless = run(exports, { program: '/usr/bin/yes', args: ['y'] });
    expect(endless.ok).toMatchObject({ truncated: true, stdoutBytes: 1000, stdout: 'y\n'.repeat(500), timedOut: false });
    const stderr = run(exports, { program: '/usr/bin/sh', args: ['-c', '/usr/bin/head -c 5000 /dev/zero >&2'] });
    expect(stderr.ok).toMatchObject({ truncated: true });
    expect(stderr.ok?.stderr).toHaveLength(1000);
    const exact = run(exports, { program: '/usr/bin/head', args: ['-c', '1000', '/dev/zero'] });
    expect(exact.ok).toMatchObject({ truncated: false, stdoutBytes: 1000, exitCode: 0 });
  });

  it('answers failed when a granted program cannot be started', async () => {
    const script = join(tmp, 'broken.sh');
    await writeFile(script, '#!/nonexistent/interpreter\n', { mode: 0o755 });
    const exports = await manager({ programs: [script] });
    expect(run(exports, { program: script }).err).toEqual({ tag: 'failed', val: expect.stringContaining('could not run') });
    expect(denials).toEqual([]);
  });

  it('refuses an argument with a NUL byte as invalid', async () => {
    const exports = await manager({ programs: ['/usr/bin/echo'] });
    expect(run(exports, { program: '/usr/bin/echo', args: ['a\0b'] }).err).toEqual({ tag: 'invalid', val: expect.stringContaining('NUL') });
  });
});
