import { describe, expect, it } from 'vitest';
import { refusedRedisCommand } from '../../../host/capabilities/redis-command-policy.js';

const args = (...values: string[]) => values.map((v) => new TextEncoder().encode(v));
const refused = (...values: string[]) => refusedRedisCommand(args(...values));

describe('refusedRedisCommand', () => {
  it.each([
    ['REPLICAOF', '127.0.0.1', '6380'],
    ['slaveof', '10.0.0.1', '6379'],
    ['Migrate', '127.0.0.1', '6380', 'key', '0', '1000'],
    ['FAILOVER'],
    ['cluster', 'MEET', '127.0.0.1', '7000'],
    ['SYNC'],
    ['psync', '?', '-1'],
    ['MONITOR'],
    ['module', 'load', '/tmp/evil.so'],
    ['DEBUG', 'SEGFAULT'],
  ])('refuses %s whatever its case and arguments', (...command) => {
    expect(refused(...command)).toMatch(new RegExp(`^${command[0]!.toUpperCase()} is refused: `));
  });

  it.each(['dir', 'DBFILENAME', 'logfile', 'appendfilename', 'appenddirname', 'replicaof', 'slaveof', 'masterauth', 'masteruser', 'unixsocket', 'aclfile', 'include', 'loadmodule'])(
    'refuses CONFIG SET %s',
    (parameter) => {
      expect(refused('CONFIG', 'SET', parameter, 'x')).toMatch(new RegExp(`^CONFIG SET ${parameter.toLowerCase()} is refused`));
      expect(refused('config', 'set', 'maxmemory', '1mb', parameter, 'x')).toMatch(/is refused/);
    },
  );

  it('allows what the Redis manager sends', () => {
    for (const command of [
      ['PING'],
      ['INFO', 'replication'],
      ['SET', 'dir', 'x'],
      ['GET', 'replicaof'],
      ['CONFIG', 'SET', 'maxmemory', '1mb', 'maxmemory-policy', 'allkeys-lru'],
      ['CONFIG', 'SET', 'appendonly', 'yes'],
      ['CONFIG', 'GET', 'dir'],
      ['ACL', 'SETUSER', 'default', 'on', 'resetpass', 'nopass'],
      ['ACL', 'SAVE'],
      ['BGSAVE', 'SCHEDULE'],
      ['SHUTDOWN', 'NOSAVE'],
      ['MULTI'],
      ['EXEC'],
    ]) {
      expect(refused(...command), command.join(' ')).toBeUndefined();
    }
  });

  describe('replication', () => {
    const source = { host: '10.0.0.5', port: 6380 };
    const granted = (...values: string[]) => refusedRedisCommand(args(...values), source);

    it('allows REPLICAOF NO ONE and SLAVEOF NO ONE with or without a granted source', () => {
      for (const check of [refused, granted]) {
        expect(check('REPLICAOF', 'NO', 'ONE')).toBeUndefined();
        expect(check('slaveof', 'no', 'one')).toBeUndefined();
      }
    });

    it('refuses REPLICAOF to any host while no source is granted', () => {
      expect(refused('REPLICAOF', '10.0.0.5', '6380')).toMatch(/^REPLICAOF is refused: .*no attach-replica named a source/);
      expect(refused('SLAVEOF', '10.0.0.5', '6380')).toMatch(/^SLAVEOF is refused: /);
    });

    it('allows REPLICAOF and SLAVEOF to the granted source only, spelt as granted', () => {
      expect(granted('REPLICAOF', '10.0.0.5', '6380')).toBeUndefined();
      expect(granted('slaveof', '10.0.0.5', '6380')).toBeUndefined();
      for (const [host, port] of [['10.0.0.6', '6380'], ['10.0.0.5', '6381'], ['10.0.0.5', '06380'], ['10.0.0.5 ', '6380'], ['127.0.0.1', '6379']]) {
        expect(granted('REPLICAOF', host!, port!), `${host}:${port}`).toMatch(/^REPLICAOF is refused: .*only 10\.0\.0\.5 6380/);
      }
      // the wrong number of words: no third-word tricks, no NO ONE with extras
      expect(granted('REPLICAOF', '10.0.0.5', '6380', 'x')).toMatch(/is refused/);
      expect(granted('REPLICAOF', 'NO', 'ONE', 'x')).toMatch(/is refused/);
      expect(granted('REPLICAOF')).toMatch(/is refused/);
    });

    it('allows CONFIG SET masteruser and masterauth only while a source is granted; replicaof never', () => {
      expect(refused('CONFIG', 'SET', 'masteruser', 'u', 'masterauth', 'p')).toMatch(/^CONFIG SET masteruser is refused/);
      expect(granted('CONFIG', 'SET', 'masteruser', 'u', 'MASTERAUTH', 'p', 'replica-read-only', 'yes')).toBeUndefined();
      expect(granted('CONFIG', 'SET', 'masterauth', 'p', 'dir', '/tmp')).toMatch(/^CONFIG SET dir is refused/);
      expect(granted('CONFIG', 'SET', 'replicaof', '10.0.0.5 6380')).toMatch(/^CONFIG SET replicaof is refused/);
    });
  });

  it('leaves an empty command to the capability (it answers invalid)', () => {
    expect(refusedRedisCommand([])).toBeUndefined();
  });
});
