import { describe, expect, it } from 'vitest';
import { BerthError } from '../../../datastores/errors/berth-error.js';
import { checkReplicaFlags, parseAutoFailover, type ReplicaCreateFlags } from '../../../server/cli/replica-actions.js';

/** The catalogue code and message of what `check` threw. */
function refusal(check: () => unknown): { code: string; message: string; fix?: string } {
  try {
    check();
  } catch (error) {
    expect(error).toBeInstanceOf(BerthError);
    const { code, message, fix } = error as BerthError;
    return { code, message, ...(fix !== undefined ? { fix } : {}) };
  }
  throw new Error('the flags were accepted');
}

const flags = (more: Partial<ReplicaCreateFlags>): ReplicaCreateFlags => ({ database: [], ...more });

describe('the replication flags of berth instance create', () => {
  it('takes a replica without --datastore, a count of 1 to 10, and --auto-failover on|off', () => {
    expect(checkReplicaFlags(flags({ replicaOf: 'cache' }))).toEqual({});
    expect(checkReplicaFlags(flags({ replicaOf: 'cache', replicaCount: '10', autoFailover: 'on' }))).toEqual({ replicaCount: 10, autoFailover: true });
    expect(checkReplicaFlags(flags({ datastore: 'redis', autoFailover: 'off' }))).toEqual({ autoFailover: false });
  });

  it('refuses --replica-count without --replica-of, naming both flags', () => {
    const { code, message, fix } = refusal(() => checkReplicaFlags(flags({ datastore: 'redis', replicaCount: '2' })));
    expect(code).toBe('BERTH_ERR_USAGE');
    expect(message).toContain('--replica-count');
    expect(fix).toContain('--replica-of');
  });

  it('refuses a count that is not a whole number from 1 to 10', () => {
    for (const count of ['0', '11', '2.5', 'two', '-1', '']) {
      const { code, message } = refusal(() => checkReplicaFlags(flags({ replicaOf: 'cache', replicaCount: count })));
      expect([code, message.startsWith(`--replica-count ${count}:`)]).toEqual(['BERTH_ERR_USAGE', true]);
    }
  });

  it('asks for --datastore unless --replica-of names a source', () => {
    const { code, message } = refusal(() => checkReplicaFlags(flags({})));
    expect(code).toBe('BERTH_ERR_USAGE');
    expect(message).toContain('--datastore');
    expect(message).toContain('--replica-of');
  });

  it('refuses --database and --backup on a replica (it has its source\'s data)', () => {
    expect(refusal(() => checkReplicaFlags(flags({ replicaOf: 'cache', database: ['sales'] })))).toMatchObject({ code: 'BERTH_ERR_USAGE', message: expect.stringContaining('--database') });
    expect(refusal(() => checkReplicaFlags(flags({ replicaOf: 'cache', backup: 'nightly' })))).toMatchObject({ code: 'BERTH_ERR_USAGE', message: expect.stringContaining('--backup') });
  });

  it('reads --auto-failover: on, off, and default only where the instance may go back to its version\'s option', () => {
    expect([parseAutoFailover('on', false), parseAutoFailover('off', false), parseAutoFailover('default', true)]).toEqual([true, false, null]);
    expect(refusal(() => parseAutoFailover('default', false))).toMatchObject({ code: 'BERTH_ERR_USAGE', message: expect.stringContaining('--auto-failover default') });
    expect(refusal(() => checkReplicaFlags(flags({ datastore: 'redis', autoFailover: 'yes' })))).toMatchObject({ code: 'BERTH_ERR_USAGE', message: expect.stringContaining('--auto-failover yes') });
  });
});
