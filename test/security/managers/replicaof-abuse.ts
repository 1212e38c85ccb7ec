// A hostile Redis manager that sends whatever REPLICAOF (or other command) the test names through
// its granted connection (issue 18): attach-replica sends the command in its snapshot's extra
// "command" (JSON), whatever source the server named; wait-for-txn sends the one its
// transaction-id holds (JSON), outside any attach-replica; detach-replica sends REPLICAOF NO ONE.
import { defineManager } from '../../../datastores/sdk/index.js';

const send = (ctx: { redis(name: string): { command(...args: string[]): unknown } }, json: string) => {
  ctx.redis('admin').command(...(JSON.parse(json) as string[]));
};

export default defineManager({
  name: 'replicaof-abuse',
  version: '0.0.1',
  datastores: ['redis'],
  needs: { connections: [{ name: 'admin', kind: 'redis', purpose: 'the commands the test names' }] },
  operations: {
    status() {
      return 'running';
    },
    attachReplica(ctx, snapshot) {
      send(ctx, snapshot.extra.find((kv) => kv.key === 'command')?.value ?? '[]');
    },
    waitForTxn(ctx, transactionId) {
      send(ctx, transactionId);
    },
    detachReplica(ctx) {
      ctx.redis('admin').command('REPLICAOF', 'NO', 'ONE');
      return { sourceId: '', transactionId: '0' };
    },
  },
});
