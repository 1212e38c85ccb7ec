import { randomUUID } from 'node:crypto';
import type { OperationName } from '../../datastores/sdk/operations.js';
import { encodeWire, reviveWire } from '../../host/rpc/wire-values.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { isReadOnly } from '../../datastores/sdk/read-only-operations.js';
import type { GuestHub } from '../rpc/guest-hub.js';
import type { Store, TaskRecord } from '../store/store.js';

export type Outcome = { ok?: unknown } | { err: unknown };

/** How a task ended: the guest's answer, or the server's error (deadline, transport). */
export type TaskEnding = { outcome: Outcome } | { error: BerthError };

/** Told when a task of its operation ends, whichever server process ran it. */
export type TaskFinisher = (task: TaskRecord, args: unknown[], ending: TaskEnding) => Promise<void>;

/**
 * Operations on guests, recorded before they are sent. The task id is the
 * JSON-RPC request id, so after a server restart an unfinished task is sent
 * again with the same id and the guest answers it from its record: accepted
 * operations complete exactly once.
 */
export class TaskRunner {
  private readonly running = new Map<string, Promise<Outcome>>();
  private readonly finishers = new Map<string, TaskFinisher>();
  private readonly succeeded = new Map<string, (task: TaskRecord) => Promise<void>>();

  constructor(
    private readonly store: Store,
    private readonly hub: GuestHub,
  ) {}

  /**
   * What must follow an operation's end (a backup's record, say) is attached
   * to the operation, not to the request that started it: a task resumed
   * after a restart is finished the same way.
   */
  onFinished(operation: OperationName, finisher: TaskFinisher): void {
    this.finishers.set(operation, finisher);
  }

  /** Told once a task of its operation is on record as succeeded (what reads the task's state sees it so). */
  onSucceeded(operation: OperationName, listener: (task: TaskRecord) => Promise<void>): void {
    this.succeeded.set(operation, listener);
  }

  private async finish(task: TaskRecord, args: unknown[], ending: TaskEnding): Promise<void> {
    await this.finishers.get(task.operation)?.(task, args, ending).catch(() => undefined);
  }

  /** Record and run an operation (reads are not recorded); resolves with the guest's ok or err, rejects on deadline or transport failure. */
  async run(instanceId: string, operation: OperationName, args: unknown[], deadlineMs: number): Promise<Outcome> {
    if (isReadOnly(operation)) return (await this.hub.call(instanceId, operation, args, deadlineMs, randomUUID())) as Outcome;
    const task = await this.store.tasks.create({
      id: randomUUID(),
      instanceId,
      operation,
      args: encodeWire(args),
      deadlineAt: new Date(Date.now() + deadlineMs),
    });
    return this.execute(task);
  }

  /** Start every task a previous server process accepted and did not finish. */
  async resumeUnfinished(): Promise<number> {
    const unfinished = await this.store.tasks.listUnfinished();
    for (const task of unfinished) void this.execute(task).catch(() => undefined);
    return unfinished.length;
  }

  /** Resolves when the task (run here or resumed) ends. */
  outcomeOf(taskId: string): Promise<Outcome> | undefined {
    return this.running.get(taskId);
  }

  private execute(task: TaskRecord): Promise<Outcome> {
    const known = this.running.get(task.id);
    if (known) return known;
    const promise = (async () => {
      const left = task.deadlineAt.getTime() - Date.now();
      const args = JSON.parse(task.args, reviveWire) as unknown[];
      if (left <= 0) {
        const late = new BerthError('BERTH_ERR_RPC_TIMEOUT', `${task.operation} on ${task.instanceId}: the deadline passed before it was sent`);
        await this.finish(task, args, { error: late });
        await this.store.tasks.update(task.id, 'failed', encodeWire({ error: 'deadline passed before the task could be sent' }));
        throw late;
      }
      // no separate "running" write: pending and running are both unfinished to a restarted server
      try {
        const outcome = (await this.hub.call(task.instanceId, task.operation as OperationName, args, left, task.id)) as Outcome;
        await this.finish(task, args, { outcome });
        await this.store.tasks.update(task.id, 'succeeded', encodeWire(outcome));
        // a void ok arrives as {} (no ok key): anything but an err is the guest's ok
        if (!('err' in outcome)) await this.succeeded.get(task.operation)?.(task).catch(() => undefined);
        return outcome;
      } catch (error) {
        const berthError = error instanceof BerthError ? error : new BerthError('BERTH_ERR_INTERNAL', String(error));
        // interrupted by our own shutdown: left running, the next server process resumes it with the same id
        if (berthError.code !== 'BERTH_ERR_SERVER_STOPPING') {
          await this.finish(task, args, { error: berthError });
          await this.store.tasks.update(task.id, 'failed', encodeWire({ error: berthError.toJSON() }));
        }
        throw berthError;
      } finally {
        this.running.delete(task.id);
      }
    })();
    this.running.set(task.id, promise);
    return promise;
  }
}
