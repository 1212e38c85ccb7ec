/**
 * berth:datastore/connections in a thread of its own, for a caller that is
 * the main thread itself (which cannot wait on a line it must also serve):
 * the service of connections-service.ts behind sync-bridge.ts. A sandbox
 * lane never needs it: its line goes to the host's main thread.
 */
import { workerData } from 'node:worker_threads';
import { serveSyncBridge, type BridgeWorkerData } from './sync-bridge.js';
import { createConnectionsService, type BridgeReply, type BridgeRequest } from './connections-service.js';

export type { BridgeReply, BridgeRequest } from './connections-service.js';

export interface ConnectionsWorkerData extends BridgeWorkerData {
  resultLimitBytes: number;
  limitSource: string;
}

const data = workerData as ConnectionsWorkerData;
const service = createConnectionsService(data.resultLimitBytes, data.limitSource);

serveSyncBridge(data, async (request: BridgeRequest): Promise<BridgeReply> => {
  const reply = await service.handle(request);
  // After the answer is posted: ends this thread and whatever sockets remain.
  if (request.op === 'close') setImmediate(() => process.exit(0));
  return reply;
});
