import { describe, expect, it } from 'vitest';
import { hostArguments } from '../../../host/capabilities/exec-arguments.js';

// issue 18: redis-server follows the host's replication grant whatever its config file says
describe('hostArguments', () => {
  it('appends the replication grant to every start of redis-server, last', () => {
    expect(hostArguments('/usr/bin/redis-server', ['redis.conf', '--appendonly', 'no'], { host: '10.0.0.5', port: 6380 })).toEqual(['redis.conf', '--appendonly', 'no', '--replicaof', '10.0.0.5', '6380']);
    expect(hostArguments('/usr/bin/redis-server', ['redis.conf'], undefined)).toEqual(['redis.conf', '--replicaof', 'no', 'one']);
  });

  it('follows nobody for a granted host redis-server would misread, or a port out of range', () => {
    for (const source of [{ host: '--dir', port: 6380 }, { host: 'a b', port: 6380 }, { host: '', port: 6380 }, { host: 'h', port: 0 }, { host: 'h', port: 70000 }]) {
      expect(hostArguments('redis-server', ['redis.conf'], source)).toEqual(['redis.conf', '--replicaof', 'no', 'one']);
    }
  });

  it('leaves --version (first, as redis-server reads it) and programs that follow nobody alone', () => {
    expect(hostArguments('redis-server', ['--version'], { host: 'h', port: 1 })).toEqual(['--version']);
    expect(hostArguments('redis-server', ['redis.conf', '--version'], undefined)).toEqual(['redis.conf', '--version', '--replicaof', 'no', 'one']);
    expect(hostArguments('/usr/bin/pg_ctl', ['start', '-D', '/data'], { host: 'h', port: 1 })).toEqual(['start', '-D', '/data']);
    // what the grant resolves to decides, as for the argument policies
    expect(hostArguments('/usr/local/bin/my-redis', ['redis.conf'], undefined, '/usr/bin/redis-server')).toEqual(['redis.conf', '--replicaof', 'no', 'one']);
  });
});
