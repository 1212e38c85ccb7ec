import { describe, expect, it } from 'vitest';
import { DatastoreRegistry, datastoreConfigSchema, securityGroupRules } from '../../../server/registry/registry.js';

const manager = { path: '/opt/berth/m.wasm', sha256: 'a'.repeat(64) };
const registry = (configs: unknown[]) => new DatastoreRegistry(configs.map((c) => datastoreConfigSchema.parse(c)));
const issues = (config: unknown) => {
  const parsed = datastoreConfigSchema.safeParse(config);
  expect(parsed.success).toBe(false);
  return parsed.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('the datastore registry', () => {
  it("fills each side from the datastore's Trove defaults", () => {
    const reg = registry([
      { name: 'postgresql', versions: [{ name: '15', manager }] },
      { name: 'mysql', versions: [{ name: '8.0', manager }] },
    ]);
    const pg = reg.version('postgresql')!;
    expect(pg.server).toMatchObject({ tcp_ports: [{ from: 5432, to: 5432 }], usage_timeout: 1800, backup_strategy: 'pg_basebackup', root_on_create: false });
    expect(pg.guest).toMatchObject({ mount_point: '/var/lib/postgresql', backup_strategy: 'pg_basebackup', ignore_dbs: ['os_admin', 'postgres'] });
    // the per-datastore usage_timeout is honoured (Trove never read it)
    expect(reg.version('mysql')!.server.usage_timeout).toBe(400);
    expect(pg.guest).not.toHaveProperty('tcp_ports');
    expect(pg.server).not.toHaveProperty('mount_point');
  });

  it('layers the datastore table over the defaults and the version table over both', () => {
    const reg = registry([
      {
        name: 'redis',
        server: { usage_timeout: 300 },
        guest: { mount_point: '/data/redis', maxmemory: '1gb' },
        versions: [
          { name: '7.0', manager, guest: { maxmemory: '2gb' } },
          { name: '6.2', manager, server: { usage_timeout: 120, root_on_create: true } },
        ],
        default_version: '7.0',
      },
    ]);
    expect(reg.version('redis')!.guest).toMatchObject({ mount_point: '/data/redis', maxmemory: '2gb', backup_strategy: 'RedisBackup' });
    expect(reg.version('redis')!.server.usage_timeout).toBe(300);
    expect(reg.version('redis', '6.2')!.server).toMatchObject({ usage_timeout: 120, root_on_create: true });
    expect(reg.version('redis', '6.2')!.guest.maxmemory).toBe('1gb');
  });

  it('turns ports and port ranges into security-group rules', () => {
    const reg = registry([{ name: 'couchbase', versions: [{ name: '7', manager, server: { udp_ports: ['5353'] } }] }]);
    expect(securityGroupRules(reg.version('couchbase')!)).toEqual([
      { protocol: 'tcp', from_port: 8091, to_port: 8091, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', from_port: 8092, to_port: 8092, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', from_port: 4369, to_port: 4369, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', from_port: 11209, to_port: 11211, cidr: '0.0.0.0/0' },
      { protocol: 'tcp', from_port: 21100, to_port: 21199, cidr: '0.0.0.0/0' },
      { protocol: 'udp', from_port: 5353, to_port: 5353, cidr: '0.0.0.0/0' },
    ]);
  });

  it('accepts a third-party datastore with its own guest keys and no assumed ports', () => {
    const reg = registry([{ name: 'scylla', server: { tcp_ports: [9042] }, guest: { mount_point: '/var/lib/scylla', smp: 2 }, versions: [{ name: '5', manager }] }]);
    expect(reg.version('scylla')!.guest).toEqual({ mount_point: '/var/lib/scylla', smp: 2 });
    expect(securityGroupRules(reg.version('scylla')!)).toHaveLength(1);
  });

  it.each([
    ['a guest-side option on the server side', { server: { mount_point: '/x' } }, 'server.mount_point: mount_point is a guest-side option: move it to the [guest] table'],
    ['a server-side option on the guest side', { guest: { tcp_ports: ['1'] } }, 'guest.tcp_ports: tcp_ports is a server-side option: move it to the [server] table'],
    ['an unknown server-side option', { server: { max_connections: 5 } }, 'server.max_connections: unknown server-side option max_connections'],
    ['a port out of range', { server: { tcp_ports: ['70000'] } }, 'server.tcp_ports.0: "70000" is not a port or port range'],
    ['a backwards range', { server: { tcp_ports: ['9-3'] } }, 'server.tcp_ports.0: "9-3" is not a port or port range'],
    ['a relative mount point', { guest: { mount_point: 'data' } }, 'guest.mount_point: must be an absolute path'],
  ])('refuses %s, naming it', (_label, table, message) => {
    const found = issues({ name: 'postgresql', versions: [{ name: '15', manager }], ...table });
    expect(found.some((issue) => issue.startsWith(message)), found.join('\n')).toBe(true);
  });

  it('refuses a version table with an option on the wrong side too', () => {
    expect(issues({ name: 'postgresql', versions: [{ name: '15', manager, guest: { usage_timeout: 5 } }] })).toEqual([
      'versions.0.guest.usage_timeout: usage_timeout is a server-side option: move it to the [server] table',
    ]);
  });
});
