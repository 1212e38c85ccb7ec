import type { ConnectionGrant } from '../config/guest-config.js';
import type { ManagerLogEntry } from '../capabilities/logging.js';
import type { Event } from '../generated/interfaces/berth-datastore-events.js';
import type { ArtifactGrant } from '../capabilities/artifacts.js';
import type { TranspiledComponent } from '../component/compile.js';
import type { MessagePort } from 'node:worker_threads';
import type { ReplicationSource } from '../capabilities/redis-command-policy.js';

/** Everything a sandbox worker needs to build its imports: plain data, cloned into the worker (the program table is shared, not copied). */
export interface SandboxSpec {
  options: Record<string, string>;
  directories: Array<{ hostPath: string; guestPath: string; access: 'read-only' | 'read-write' }>;
  programs: string[];
  environment: Record<string, string>;
  connections: Record<string, ConnectionGrant>;
  /** `programTable`: shared memory (createProgramTable), the one count of running programs for every worker. */
  exec: { defaultTimeoutMs: number; maxTimeoutMs: number; outputLimitBytes: number; programTable: SharedArrayBuffer };
  connectionTimeoutMs: number;
  /** host.result_limit: an answer larger than this on the wire is refused in the worker, never posted. */
  resultLimitBytes: number;
}

export type CallOutcome = { ok: unknown } | { err: unknown };

/** Parent -> worker: one `init` first (the worker boots without it), then calls. */
export type ToWorker =
  | { kind: 'init'; component: TranspiledComponent; spec: SandboxSpec }
  /**
   * `replicationSource`: the host's record (replication-source.ts) as the call is sent, the one host:port
   * this call may make the datastore follow; the worker keeps no grant of its own, so a replaced instance
   * has the same one.
   */
  | { kind: 'call'; id: number; iface: string; fn: string; args: unknown[]; artifacts: ArtifactGrant[]; replicationSource: ReplicationSource | undefined };

/** Worker -> parent. */
export type FromWorker =
  | { kind: 'ready'; manifest: unknown }
  /** The glue's V8 code cache, when the instance had none (or V8 refused it): for the transpile cache. */
  | { kind: 'code-cache'; codeCache: Uint8Array }
  | { kind: 'init-failed'; message: string }
  /** `memoryBytes`: the instance's linear memory once the call was over. */
  | { kind: 'result'; id: number; outcome: CallOutcome; memoryBytes: number }
  | { kind: 'trap'; id: number; message: string; memoryBytes: number }
  /** The call's answer (ok or err) would take more than `limit` bytes on the wire; it was not posted. */
  | { kind: 'too-large'; id: number; limit: number }
  | { kind: 'log'; entry: ManagerLogEntry }
  | { kind: 'event'; event: Event }
  | { kind: 'denied'; capability: string; what: string }
  /** The worker's line to the owner of spawned children (exec-children.ts), served by the main thread. */
  | { kind: 'exec-children'; port: MessagePort; answered: Int32Array }
  /** The worker's line to its connections service (connections-service.ts), served by the main thread. */
  | { kind: 'connections'; port: MessagePort; answered: Int32Array; resultLimitBytes: number; limitSource: string };
