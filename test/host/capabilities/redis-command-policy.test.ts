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

  it('leaves an empty command to the capability (it answers invalid)', () => {
    expect(refusedRedisCommand([])).toBeUndefined();
  });
});
