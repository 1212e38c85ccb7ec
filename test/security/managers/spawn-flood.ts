// A hostile manager that starts programs without end (issue 13, finding 12). The test sends an
// instruction as JSON: list-databases (quick lane) runs it and answers one name per program
// started: "ok:<pid>" or "<error tag>:<message>"; wait-for-txn (slow lane) runs it and fails
// with those outcomes as its detail.
import { CapabilityError, defineManager, ManagerError } from '../../../datastores/sdk/index.js';
import type { ManagerContext } from '../../../datastores/sdk/context.js';

interface Instruction {
  /** Start `program` this many times with exec.spawn, its output appended to `log`. */
  spawn?: number;
  /** Run `program` to completion once with exec.run. */
  run?: boolean;
  program: string;
  args: string[];
  log?: string;
}

function outcome(start: () => number | string): string {
  try {
    return `ok:${start()}`;
  } catch (thrown) {
    if (thrown instanceof CapabilityError) return `${thrown.value.tag}:${String(thrown.value.val)}`;
    throw thrown;
  }
}

function follow(ctx: ManagerContext<unknown>, instruction: Instruction): string[] {
  const outcomes: string[] = [];
  for (let i = 0; i < (instruction.spawn ?? 0); i++) {
    outcomes.push(outcome(() => ctx.exec.spawn(instruction.program, instruction.args, { log: instruction.log ?? '/var/lib/hostile/spawned.log' })));
  }
  if (instruction.run) outcomes.push(outcome(() => `exit ${ctx.exec.run(instruction.program, instruction.args).exitCode}`));
  return outcomes;
}

export default defineManager({
  name: 'spawn-flood',
  version: '0.0.1',
  datastores: ['hostile'],
  operations: {
    status() {
      return 'running';
    },
    listDatabases(ctx, paging) {
      const outcomes = follow(ctx, JSON.parse(paging.marker ?? '{}') as Instruction);
      return { items: outcomes.map((name) => ({ name, characterSet: undefined, collation: undefined })), nextMarker: undefined };
    },
    waitForTxn(ctx, transactionId) {
      throw ManagerError.failed(JSON.stringify(follow(ctx, JSON.parse(transactionId) as Instruction)));
    },
  },
});
