import { describe, expect, it } from 'vitest';
import { replicationGrantChange } from '../../host/replication-source.js';

const snapshot = (source: unknown) => [{ snapshotId: '', logPosition: '0', source, datasetSize: 0n, extra: [] }, []];

describe('replicationGrantChange', () => {
  it("grants an attach-replica's source", () => {
    expect(replicationGrantChange('attach-replica', snapshot({ host: '10.0.0.5', port: 6380, user: 'u', password: 'p', extra: [] }))).toEqual({ grant: { host: '10.0.0.5', port: 6380 } });
  });

  it('grants nothing for an attach-replica without a usable source, and takes the grant back at detach and enable-as-master', () => {
    for (const source of [{ host: '', port: 6380 }, { host: 'h', port: 0 }, { host: 'h', port: 70000 }, { host: 'h', port: '6380' }, undefined]) {
      expect(replicationGrantChange('attach-replica', snapshot(source))).toEqual({ grant: undefined });
    }
    expect(replicationGrantChange('detach-replica', [true])).toEqual({ grant: undefined });
    expect(replicationGrantChange('enable-as-master', [[]])).toEqual({ grant: undefined });
  });

  it('leaves the grant alone for every other call', () => {
    expect(replicationGrantChange('get-last-txn', [])).toBeUndefined();
    expect(replicationGrantChange('restart', [])).toBeUndefined();
  });
});
