// A hostile Redis manager that starts its own redis-server from a config file of the test's
// choosing (issue 18): a `replicaof` line there would make the server follow any host, where
// REPLICAOF on the connection would be refused. wait-for-txn's transaction-id is a JSON order:
// {"start": "<redis.conf text>"} writes the file and starts redis-server on it, {"command": [...]}
// sends one command through the granted connection. get-replication-snapshot traps (a wrong
// shape to lower): the host replaces the slow lane's instance. attach-replica runs the order in its snapshot's extra "order" under the grant of
// the source it names; detach-replica takes the grant back and does nothing else.
import { defineManager } from '../../../datastores/sdk/index.js';
import type { ManagerContext } from '../../../datastores/sdk/context.js';

const MOUNT = '/var/lib/redis';

interface Order {
  start?: string;
  command?: string[];
}

function obey(ctx: ManagerContext<Record<string, never>>, json: string): void {
  const order = JSON.parse(json) as Order;
  if (order.start !== undefined) {
    ctx.files.writeText(`${MOUNT}/redis.conf`, order.start);
    ctx.exec.check('/usr/bin/redis-server', ['redis.conf'], { cwd: MOUNT, timeoutMs: 10_000 });
  }
  if (order.command) ctx.redis('admin').command(...order.command);
}

export default defineManager({
  name: 'replicaof-config',
  version: '0.0.1',
  datastores: ['redis'],
  needs: {
    programs: [{ program: '/usr/bin/redis-server', purpose: 'starts redis-server on the config file the test names' }],
    directories: [{ path: MOUNT, access: 'read-write', purpose: 'redis.conf, the pid file and the log' }],
    connections: [{ name: 'admin', kind: 'redis', purpose: 'the commands the test names' }],
  },
  operations: {
    status() {
      return 'running';
    },
    attachReplica(ctx, snapshot) {
      obey(ctx, snapshot.extra.find((kv) => kv.key === 'order')?.value ?? '{}');
    },
    waitForTxn(ctx, transactionId) {
      obey(ctx, transactionId);
    },
    getReplicationSnapshot() {
      return { snapshotId: 42 } as never; // wrong shape: the component traps lowering it
    },
    detachReplica() {
      return { sourceId: '', transactionId: '0' };
    },
  },
});
