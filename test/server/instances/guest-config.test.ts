import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadGuestConfig } from '../../../host/config/load-config.js';
import { DatastoreRegistry, datastoreConfigSchema } from '../../../server/registry/registry.js';
import { guestConfigToml, renderGuestConfig } from '../../../server/instances/guest-config.js';

const registry = new DatastoreRegistry([
  datastoreConfigSchema.parse({
    name: 'postgresql',
    server: { usage_timeout: 600, root_on_create: true },
    guest: { shared_buffers: '256MB' },
    versions: [{ name: '15', manager: { path: '/opt/berth/postgresql.wasm', sha256: 'c'.repeat(64) } }],
  }),
]);

describe('the guest config the server renders', () => {
  it('carries guest-side options only, the pinned manager, the token and the grants, and the host accepts it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'berth-render-'));
    try {
      const managerPath = join(dir, 'postgresql.wasm');
      await writeFile(managerPath, 'not read by the loader');
      const config = renderGuestConfig(
        registry.version('postgresql')!,
        { instanceId: 'i-1', token: 'token-0123456789abcdef', serverUrl: 'ws://127.0.0.1:8779/v1/guests' },
        { managerPath, grants: { directories: [{ host: dir, guest: '/var/lib/postgresql', access: 'read-write' }], programs: [], connections: {}, environment: {} } },
        30,
      );
      expect(config.options).toEqual({
        mount_point: '/var/lib/postgresql',
        backup_strategy: 'pg_basebackup',
        replication_strategy: 'PostgresqlReplicationStreaming',
        ignore_users: ['os_admin', 'postgres', 'berth_bootstrap'],
        ignore_dbs: ['os_admin', 'postgres'],
        default_password_length: 36,
        shared_buffers: '256MB',
      });
      const toml = guestConfigToml(config);
      for (const serverSide of ['usage_timeout', 'root_on_create', 'tcp_ports', 'volume_support']) expect(toml).not.toContain(serverSide);
      const file = join(dir, 'guest.toml');
      await writeFile(file, toml);
      const loaded = loadGuestConfig(file);
      expect(loaded.manager).toEqual({ path: managerPath, sha256: 'c'.repeat(64) });
      expect(loaded.guest).toEqual({ instance_id: 'i-1', server_url: 'ws://127.0.0.1:8779/v1/guests', token: 'token-0123456789abcdef' });
      expect(loaded.options.shared_buffers).toBe('256MB');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
