import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { berthProcess, runProcess, type CliResult } from '../../support/cli.js';
import { until } from '../../support/guest-host.js';
import { waitFor } from '../../support/server.js';
import { alive, portRefuses, requireRedisServer } from '../../support/redis-guest.js';
import { connect as connectMysql, mariadbdPid, requireMariadb } from '../../datastores/mysql/support.js';

let dir: string;
let home: string;
beforeAll(async () => {
  // this machine has MariaDB and Redis: `berth up` must offer them
  requireMariadb({ mariabackup: true });
  requireRedisServer();
  dir = await mkdtemp(join(tmpdir(), 'berth-up-'));
  home = await mkdtemp(join(tmpdir(), 'berth-cli-home-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await rm(home, { recursive: true, force: true });
});

/** Processes of this data directory: started with it on their command line (the guest hosts, postgres -D) or working in it (mariadbd, redis-server). */
function processesOfDataDir(): number[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid) && Number(pid) !== process.pid)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir) || readlinkSync(`/proc/${pid}/cwd`).startsWith(dir);
      } catch {
        return false;
      }
    })
    .map(Number);
}

function commandLine(pid: number): string {
  try {
    return `${pid}: ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim()}`;
  } catch {
    return `${pid}: gone`;
  }
}

function pidFile(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** `npx berth up` as an operator starts it, in its own process group (the terminal's). */
function berthUp(listen: string) {
  const child = spawn('npx', ['--no-install', 'berth', 'up', '--data-dir', dir, '--listen', listen], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  // what Ctrl-C does: SIGINT to the foreground process group (npm, its shell, the server; not the guests)
  const interrupt = async () => {
    process.kill(-child.pid!, 'SIGINT');
    await exited;
    await until(() => processesOfDataDir().length === 0, 'the guest hosts and datastores to stop', 30_000).catch(() => undefined);
  };
  return { output, interrupt };
}

/** What the first run wrote, read back by ordinary clients after `berth up` started again. */
interface Written {
  postgresql: { port: number };
  mysql: { port: number };
  redis: { port: number; user: string; password: string };
}

async function readBack(written: Written): Promise<[number, number, string]> {
  const client = new pg.Client({ host: '127.0.0.1', port: written.postgresql.port, user: 'ada', password: 'ada-password-1', database: 'sales', connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  await client.connect();
  const n = (await client.query('SELECT n FROM t')).rows[0].n as number;
  await client.end();
  const mysql = await connectMysql(written.mysql.port, 'grace', 'grace-password-1', 'sales');
  const m = ((await mysql.query('SELECT n FROM t'))[0] as Array<{ n: number }>)[0]!.n;
  await mysql.end();
  const redis = new Redis({ host: '127.0.0.1', port: written.redis.port, username: written.redis.user, password: written.redis.password, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  await redis.connect();
  const greeting = (await redis.get('greeting')) ?? '';
  redis.disconnect();
  return [n, m, greeting];
}

describe('npx berth up', () => {
  let listen = '';
  let written: Written | undefined;

  it("offers the datastores this machine has, serves PostgreSQL, MySQL and Redis through local instances, and stops them all on Ctrl-C", async () => {
    const up = berthUp('127.0.0.1:0');
    const { output } = up;
    const datastorePids: number[] = [];
    const datastorePorts: number[] = [];
    try {
      // the first builds of the PostgreSQL, MySQL and Redis managers take a while on a cold cache
      await until(() => output.stdout.includes('Berth is up on') && output.stdout.includes('curl -s'), `berth up to start\n${output.stderr}`, 420_000);
      const stdout = output.stdout;
      const stderr = output.stderr;
      for (const manager of ['postgresql', 'mysql', 'redis', 'directory']) expect(stderr).toContain(`building the ${manager} manager`);
      const url = /Berth is up on (\S+)/.exec(stdout)![1]!;
      listen = new URL(url).host;
      const token = /token:\s+(\S+)/.exec(stdout)![1]!;
      // what it says it offers, and that nothing was skipped on this machine
      expect(stdout).toMatch(/^ {4}postgresql 18 /m);
      expect(stdout).toMatch(/^ {4}mysql, mariadb, percona \d+\.\d+ +\(MariaDB's programs; backups with mariabackup\)$/m);
      expect(stdout).toMatch(/^ {4}redis \d+ +\(\/usr\/bin\/redis-server\)$/m);
      expect(stdout).not.toContain('skipped');

      const berth = (...args: string[]): Promise<CliResult> => berthProcess([...args, '--url', url, '--token', token], { home });
      const listed = await berth('datastore', 'list', '--json');
      expect(listed.code, listed.stderr).toBe(0);
      const offered = (JSON.parse(listed.stdout) as { datastores: Array<{ name: string }> }).datastores.map((d) => d.name);
      expect(offered.sort()).toEqual(['directory', 'mariadb', 'mysql', 'percona', 'postgresql', 'redis']);

      // the Trove clients, from the clouds.yaml it wrote and the user it made (the password never in the server's config)
      const clouds = /OS_CLIENT_CONFIG_FILE=(\S+) openstack --os-cloud berth/.exec(stdout)![1]!;
      const clientEnv = { ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('OS_'))), HOME: home, OS_CLIENT_CONFIG_FILE: clouds };
      const viaClouds = await runProcess('openstack', ['--os-cloud', 'berth', 'datastore', 'list', '-f', 'json'], { env: clientEnv });
      expect(viaClouds.code, viaClouds.stderr).toBe(0);
      expect((JSON.parse(viaClouds.stdout) as Array<{ Name: string }>).map((row) => row.Name).sort()).toEqual(offered.sort());

      // the three at once, as an operator would: they build side by side
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      const pgBody = { instance: { name: 'first', datastore: { type: 'postgresql' }, databases: [{ name: 'sales' }], users: [{ name: 'ada', password: 'ada-password-1', databases: [{ name: 'sales' }] }] } };
      const [pgCreated, mysqlCreated, redisCreated] = await Promise.all([
        fetch(`${url}/v1.0/default/instances`, { method: 'POST', headers, body: JSON.stringify(pgBody) }).then((r) => r.json() as Promise<{ instance: { id: string; status: string } }>),
        berth('instance', 'create', 'shop', '--datastore', 'mysql', '--database', 'sales', '--wait', '--json'),
        berth('instance', 'create', 'cache', '--datastore', 'redis', '--wait', '--json'),
      ]);

      // PostgreSQL, what the README shows: an instance with a database and a user, then an ordinary client
      const id = pgCreated.instance.id;
      let instance: { status: string; port: number; fault?: { message: string } } = { status: pgCreated.instance.status, port: 0 };
      for (let i = 0; i < 3000 && instance.status === 'BUILD'; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        instance = ((await (await fetch(`${url}/v1.0/default/instances/${id}`, { headers })).json()) as { instance: typeof instance }).instance;
      }
      expect(instance).toMatchObject({ status: 'ACTIVE' });
      const client = new pg.Client({ host: '127.0.0.1', port: instance.port, user: 'ada', password: 'ada-password-1', database: 'sales' });
      await client.connect();
      await client.query('CREATE TABLE t (n int)');
      await client.query('INSERT INTO t VALUES (42)');
      expect((await client.query('SELECT n FROM t')).rows).toEqual([{ n: 42 }]);
      await client.end();

      // MySQL (MariaDB's mariadbd): ACTIVE, a user, an ordinary client
      expect(mysqlCreated.code, mysqlCreated.stderr).toBe(0);
      const shop = (JSON.parse(mysqlCreated.stdout) as { instance: { id: string; status: string; port: number } }).instance;
      expect(shop.status).toBe('ACTIVE');
      const user = await berth('user', 'create', 'shop', 'grace', '--password', 'grace-password-1', '--database', 'sales');
      expect(user.code, user.stderr).toBe(0);
      const mysql = await connectMysql(shop.port, 'grace', 'grace-password-1', 'sales');
      await mysql.query('CREATE TABLE t (n int)');
      await mysql.query('INSERT INTO t VALUES (7)');
      expect((await mysql.query('SELECT n FROM t'))[0]).toEqual([{ n: 7 }]);
      await mysql.end();
      const mariadbd = mariadbdPid(dir, shop.id);
      expect(mariadbd).toBeDefined();

      // Redis: ACTIVE, root enabled, an ordinary client
      expect(redisCreated.code, redisCreated.stderr).toBe(0);
      const cache = (JSON.parse(redisCreated.stdout) as { instance: { id: string; status: string; port: number } }).instance;
      expect(cache.status).toBe('ACTIVE');
      const root = await berth('root', 'enable', 'cache', '--json');
      expect(root.code, root.stderr).toBe(0);
      const credentials = (JSON.parse(root.stdout) as { user: { name: string; password: string } }).user;
      const redis = new Redis({ host: '127.0.0.1', port: cache.port, username: credentials.name, password: credentials.password, lazyConnect: true, maxRetriesPerRequest: 0 });
      await redis.connect();
      await redis.set('greeting', 'hello');
      expect(await redis.get('greeting')).toBe('hello');
      // SAVE: what a kill would keep; here Ctrl-C saves anyway
      await redis.save();
      redis.disconnect();
      written = { postgresql: { port: instance.port }, mysql: { port: shop.port }, redis: { port: cache.port, user: credentials.name, password: credentials.password } };
      const redisServer = pidFile(join(dir, 'instances', cache.id, 'volume', 'redis.pid'));
      expect(redisServer).toBeDefined();

      datastorePids.push(mariadbd!, redisServer!);
      datastorePorts.push(instance.port, shop.port, cache.port);
      expect(datastorePids.every(alive)).toBe(true);
    } finally {
      await up.interrupt();
    }
    // the local guests and their datastores went with the server: no process is left running from this data directory
    expect(processesOfDataDir().map(commandLine)).toEqual([]);
    expect(datastorePids.filter(alive)).toEqual([]);
    for (const port of datastorePorts) expect(await portRefuses(port)).toBe(true);
  }, 600_000);

  it('started again on the same data, brings every datastore back with its data and users, with no API call', async () => {
    expect(written).toBeDefined();
    const up = berthUp(listen);
    try {
      await until(() => up.output.stdout.includes('Berth is up on'), `berth up to start again\n${up.output.stderr}`, 300_000);
      const read = await waitFor(() => readBack(written!).catch(() => undefined), (answered) => answered !== undefined, 'the three datastores to answer again', 120_000);
      expect(read).toEqual([42, 7, 'hello']);
      const token = readFileSync(join(dir, 'token'), 'utf8').trim();
      const listed = await berthProcess(['instance', 'list', '--json', '--url', `http://${listen}`, '--token', token], { home });
      const statuses = (JSON.parse(listed.stdout) as { instances: Array<{ name: string; status: string }> }).instances.map((i) => `${i.name} ${i.status}`);
      expect(statuses.sort()).toEqual(['cache ACTIVE', 'first ACTIVE', 'shop ACTIVE']);
    } finally {
      await up.interrupt();
    }
    expect(processesOfDataDir().map(commandLine)).toEqual([]);
  }, 600_000);
});
