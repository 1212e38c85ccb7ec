import type { Worker } from 'node:worker_threads';
import { camelName, interfaceOf, type OperationName } from '../../datastores/sdk/operations.js';
import type { TranspiledComponent } from '../component/compile.js';
import type { ManagerLogEntry } from '../capabilities/logging.js';
import type { Event } from '../generated/interfaces/berth-datastore-events.js';
import { LaneWorker } from './lane-worker.js';
import { callTimeout, givenDeadline, hostDeadline, type CallDeadline } from './call-deadline.js';
import { laneOf, type Lane } from './lanes.js';
import type { CallOutcome, FromWorker, SandboxSpec } from './spec.js';
import type { ArtifactGrant } from '../capabilities/artifacts.js';
import { ProgramSlots } from '../capabilities/exec-slots.js';
import { SpawnedChildren } from '../capabilities/exec-children.js';
import { serveConnections } from '../capabilities/connections-service.js';
import type { ReplicationSource } from '../capabilities/redis-command-policy.js';

export interface SandboxOptions {
  component: TranspiledComponent;
  spec: SandboxSpec;
  /** Deadlines of quick and slow calls when the caller gives none, ms: guest.toml's host.call_timeout and host.slow_call_timeout. */
  quickTimeoutMs: number;
  slowTimeoutMs: number;
  /** The slow lane's instance starts with the first slow call and stops after this long idle (default 60 s). */
  slowLaneIdleMs?: number;
  /** The quick lane's instance stops after this long idle and starts again with the next call; undefined keeps it running. */
  quickLaneIdleMs?: number;
  /** A worker from bootSandboxWorker(), booted ahead for the quick lane; the sandbox owns it from here. */
  quickWorker?: Worker;
  /** The owner of what exec.spawn starts, in this thread; by default one of the sandbox's own. */
  children?: SpawnedChildren;
  onLog?(entry: ManagerLogEntry, lane: Lane): void;
  onEvent?(event: Event): void;
  onDenied?(capability: string, what: string): void;
  onRestart?(lane: Lane, reason: string): void;
  /**
   * The one host:port the manager may make its datastore follow, read as each call is sent: the
   * host's record of the server's latest attach-replica (replication-source.ts), never worked out
   * by a worker, so that a replaced instance or a restarted host grants the same. Absent: none
   * (REPLICAOF only as NO ONE; redis-server started as --replicaof no one).
   */
  replicationSource?(): ReplicationSource | undefined;
}

/**
 * The manager, isolated from the host's loop: two instances of the one
 * component, each in its own worker thread, so a long prepare or backup never
 * holds up the status probe. The slow lane's instance exists only while slow
 * operations come in. Each call has a deadline; a trap or a missed
 * deadline replaces that instance and the caller gets an error saying which.
 */
export class Sandbox {
  private constructor(
    private readonly lanes: Record<Lane, LaneWorker>,
    readonly manifest: unknown,
    private readonly options: SandboxOptions,
    /** The programs the manager spawned, reaped here (in this thread) whichever worker asked. */
    readonly children: SpawnedChildren,
  ) {}

  static async start(options: SandboxOptions): Promise<Sandbox> {
    const programs = new ProgramSlots(options.spec.exec.programTable);
    const children = options.children ?? new SpawnedChildren(programs);
    const hooks = (lane: Lane) => ({
      onMessage(message: FromWorker) {
        if (message.kind === 'log') options.onLog?.(message.entry, lane);
        else if (message.kind === 'event') options.onEvent?.(message.event);
        else if (message.kind === 'denied') options.onDenied?.(message.capability, message.what);
        else if (message.kind === 'exec-children') children.serve(message.port, message.answered);
        else if (message.kind === 'connections') serveConnections(message.port, message.answered, message.resultLimitBytes, message.limitSource);
      },
      onRestart: (reason: string) => options.onRestart?.(lane, reason),
      // a worker terminated in the middle of a run never frees its slot itself
      onWorkerExit: (threadId: number) => programs.releaseThread(threadId),
      replicationSource: () => options.replicationSource?.(),
    });
    const lanes: Record<Lane, LaneWorker> = {
      quick: new LaneWorker('quick', options.component, options.spec, hooks('quick'), options.quickLaneIdleMs),
      slow: new LaneWorker('slow', options.component, options.spec, hooks('slow'), options.slowLaneIdleMs ?? 60_000),
    };
    try {
      // the quick lane answers the status probe from the start; the slow one waits for work
      const manifest = await lanes.quick.start(options.quickWorker);
      return new Sandbox(lanes, manifest, options, children);
    } catch (error) {
      await Promise.all([lanes.quick.close(), lanes.slow.close()]);
      throw error;
    }
  }

  /**
   * Call one contract operation; resolves with the manager's ok or err,
   * rejects on trap or deadline. `deadline`: with its setting (what a missed
   * one names), or bare ms; none takes the host's of the operation's lane.
   * `artifacts`: the backup spool files this call alone may write or read.
   */
  call(operation: OperationName, args: unknown[], deadline?: number | CallDeadline, artifacts: ArtifactGrant[] = []): Promise<CallOutcome> {
    const lane = laneOf(operation);
    const given =
      deadline === undefined
        ? hostDeadline(lane, lane === 'slow' ? this.options.slowTimeoutMs : this.options.quickTimeoutMs)
        : typeof deadline === 'number'
          ? givenDeadline(deadline)
          : deadline;
    if (!(given.ms > 0)) return Promise.reject(callTimeout(operation, given, { kind: 'none-left' }));
    return this.lanes[lane].call(camelName(interfaceOf(operation)), camelName(operation), args, operation, given, artifacts);
  }

  async close(): Promise<void> {
    await Promise.all([this.lanes.quick.close(), this.lanes.slow.close()]);
  }
}
