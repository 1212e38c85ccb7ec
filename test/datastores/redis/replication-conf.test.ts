import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../../datastores/redis/config-text.js';
import { checkSource, parseReplicationConf, READ_ONLY_REPLICAS, renderReplicationConf } from '../../../datastores/redis/replication-conf.js';
import { ManagerError } from '../../../datastores/sdk/errors.js';

const source = { host: '10.0.0.5', port: 6380, user: `berth_${'0'.repeat(32)}`, password: 'f'.repeat(64) };

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error instanceof ManagerError ? error.value : error;
  }
  return 'accepted';
}

describe('replication.conf', () => {
  it('renders a replica and a read-only primary, and reads them back', () => {
    const replica = renderReplicationConf({ source, readOnly: false });
    expect(replica).toContain(`replicaof 10.0.0.5 6380\nmasteruser ${source.user}\nmasterauth ${source.password}\nreplica-read-only yes\n`);
    expect(replica).not.toContain('min-replicas-to-write');
    expect(parseReplicationConf(replica)).toEqual({ source, readOnly: false });
    const readOnly = renderReplicationConf({ readOnly: true });
    expect(readOnly).not.toContain('replicaof');
    expect(readOnly).toContain(`min-replicas-to-write ${READ_ONLY_REPLICAS}\n`);
    expect(parseReplicationConf(readOnly)).toEqual({ readOnly: true });
    expect(parseReplicationConf(renderReplicationConf({ readOnly: false }))).toEqual({ readOnly: false });
  });

  it('refuses a source that would break out of its config line', () => {
    expect(checkSource(source)).toBeUndefined();
    const field = (changes: Partial<typeof source>) => (refusal(() => checkSource({ ...source, ...changes })) as { val?: { field?: string } }).val?.field;
    expect(field({ host: '10.0.0.5\nloadmodule /tmp/x.so' })).toBe('source.host');
    expect(field({ host: '' })).toBe('source.host');
    expect(field({ port: 0 })).toBe('source.port');
    expect(field({ user: 'default' })).toBe('source.user');
    expect(field({ password: 'a b' })).toBe('source.password');
    expect(field({ password: 'a"b' })).toBe('source.password');
    expect(field({ password: 'a\nreplicaof 1.2.3.4 1' })).toBe('source.password');
  });

  it('is the only file the manager writes replicaof or masterauth into: configuration and overrides refuse them', () => {
    for (const line of ['replicaof 10.0.0.6 6379', 'slaveof 10.0.0.6 6379', 'masterauth x', 'masteruser x', 'include /tmp/x.conf']) {
      expect(refusal(() => parseConfigText(line, 'config-contents')), line).toMatchObject({ tag: 'invalid-argument', val: { field: 'config-contents' } });
    }
  });
});
