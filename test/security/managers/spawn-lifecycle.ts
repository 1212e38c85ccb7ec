// Issue 17: what becomes of the programs exec.spawn starts. The test sends a list of steps as
// JSON; list-databases (quick lane) and wait-for-txn (slow lane) run them and answer one outcome
// per step: "ok:<value>" or "<error tag>:<message>" (wait-for-txn as the detail of its failure).
import { CapabilityError, defineManager, ManagerError, type SpawnedSignal } from '../../../datastores/sdk/index.js';
import type { ManagerContext } from '../../../datastores/sdk/context.js';

interface Step {
  spawn?: { program: string; args: string[]; log: string };
  signal?: { pid: number; sig: SpawnedSignal };
  status?: number;
  run?: { program: string; args: string[] };
}

function outcome(step: () => unknown): string {
  try {
    const value = step();
    return `ok:${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
  } catch (thrown) {
    if (thrown instanceof CapabilityError) return `${thrown.value.tag}:${String(thrown.value.val)}`;
    throw thrown;
  }
}

function follow(ctx: ManagerContext<unknown>, steps: Step[]): string[] {
  return steps.map((step) =>
    outcome(() => {
      if (step.spawn) return ctx.exec.spawn(step.spawn.program, step.spawn.args, { log: step.spawn.log });
      if (step.signal) return ctx.exec.signal(step.signal.pid, step.signal.sig);
      if (step.status !== undefined) return ctx.exec.status(step.status);
      if (step.run) return ctx.exec.run(step.run.program, step.run.args).exitCode;
      return undefined;
    }),
  );
}

export default defineManager({
  name: 'spawn-lifecycle',
  version: '0.0.1',
  datastores: ['lifecycle'],
  operations: {
    status() {
      return 'running';
    },
    listDatabases(ctx, paging) {
      const outcomes = follow(ctx, JSON.parse(paging.marker ?? '[]') as Step[]);
      return { items: outcomes.map((name) => ({ name, characterSet: undefined, collation: undefined })), nextMarker: undefined };
    },
    waitForTxn(ctx, transactionId) {
      throw ManagerError.failed(JSON.stringify(follow(ctx, JSON.parse(transactionId) as Step[])));
    },
  },
});
