import { parentPort, type MessagePort } from 'node:worker_threads';
import { loadComponent } from '../component/compile.js';
import { instantiateManager } from '../component/instantiate.js';
import { createSandboxImports } from '../component/sandbox-imports.js';
import { createEngineImports } from '../capabilities/engine.js';
import { createExec } from '../capabilities/exec.js';
import { childOwnerLine } from '../capabilities/exec-children.js';
import { connectionResultLimit, createConnections } from '../capabilities/connections.js';
import { grantedServers } from '../capabilities/connections-session.js';
import { createEvents } from '../capabilities/events.js';
import { createArtifacts, type ArtifactsCapability } from '../capabilities/artifacts.js';
import { wireSize } from '../rpc/wire-size.js';
import type { ReplicationSource } from '../capabilities/redis-command-policy.js';
import type { CallOutcome, FromWorker, SandboxSpec, ToWorker } from './spec.js';

/**
 * One manager instance in its own thread: a runaway or trapped manager can
 * be terminated without touching the host's event loop. Imports run
 * synchronously here; what the host must hear (logs, events, denials) is
 * posted to the parent, which never blocks the manager.
 *
 * The thread boots with no component and no grants: the first message
 * (`init`) brings both, and only then is anything instantiated.
 */
const port = parentPort!;
const post = (message: FromWorker) => port.postMessage(message);

/** When, after `ready`, a worker that had no usable code cache for the glue makes one. */
const CODE_CACHE_AFTER_MS = 1000;

type Exports = Record<string, Record<string, (...args: unknown[]) => unknown>>;

interface Instance {
  exports: Exports;
  resultLimitBytes: number;
  artifacts: ArtifactsCapability;
  /** Grants, for the call about to run, the replication source the host sent with it (spec.ts). */
  allowReplicationSource(source: ReplicationSource | undefined): void;
  /** What describe() returned. */
  manifest: unknown;
  memoryBytes(): number;
  freshCodeCache(): Uint8Array | undefined;
}

function grantImports(spec: SandboxSpec, memoryLimitBytes: number) {
  // a denial names what the manager asked for (a path, a program), which may be as long as it likes
  const onDenied = (capability: string, what: string) => post({ kind: 'denied', capability, what: cutText(what) });
  const artifacts = createArtifacts(onDenied);
  const resultLimitBytes = connectionResultLimit(memoryLimitBytes);
  const limitSource = 'an eighth of host.memory_limit';
  // served by the main thread while this one waits: no thread of its own for the drivers
  const line = (connectionsPort: MessagePort, answered: Int32Array) =>
    port.postMessage({ kind: 'connections', port: connectionsPort, answered, resultLimitBytes, limitSource } satisfies FromWorker, [connectionsPort]);
  const connections = createConnections(spec.connections, { timeoutMs: spec.connectionTimeoutMs, resultLimitBytes, limitSource, line }, onDenied);
  // the host's, as the running call brought it: REPLICAOF on a connection and redis-server's --replicaof (exec-arguments.ts)
  let replicationSource: ReplicationSource | undefined;
  const allowReplicationSource = (source: ReplicationSource | undefined) => {
    replicationSource = source === undefined ? undefined : { host: source.host, port: source.port };
    connections.allowReplicationSource(replicationSource);
  };
  process.on('exit', () => connections.close());
  const imports = createSandboxImports({
    options: spec.options,
    directories: spec.directories,
    onDenied,
    log: (entry) => post({ kind: 'log', entry }),
    events: createEvents((event) => post({ kind: 'event', event })),
    exec: createExec(
      {
        programs: spec.programs,
        environment: spec.environment,
        directories: spec.directories,
        defaultTimeoutMs: spec.exec.defaultTimeoutMs,
        maxTimeoutMs: spec.exec.maxTimeoutMs,
        outputLimitBytes: spec.exec.outputLimitBytes,
        servers: grantedServers(spec.connections),
        programTable: spec.exec.programTable,
        replicationSource: () => replicationSource,
      },
      onDenied,
      // spawned programs belong to the main thread, which reaps them whatever becomes of this worker
      childOwnerLine((children, answered) => port.postMessage({ kind: 'exec-children', port: children, answered } satisfies FromWorker, [children])),
    ),
    connections,
    artifacts: artifacts.imports,
  });
  return { imports, artifacts, allowReplicationSource };
}

async function start(message: Extract<ToWorker, { kind: 'init' }>): Promise<Instance> {
  const { imports, artifacts, allowReplicationSource } = grantImports(message.spec, message.component.memory.limitBytes);
  const loaded = await loadComponent(message.component);
  // what the engine prints (console.log in a manager) reaches the operator's log like the manager's own lines
  const instance = await instantiateManager(loaded, imports, createEngineImports((entry) => post({ kind: 'log', entry })));
  const exports = instance.exports as Exports;
  // describe() doubles as the warm-up call: the first call after instantiation pays for lazy compilation
  return { exports, artifacts, allowReplicationSource, resultLimitBytes: message.spec.resultLimitBytes, manifest: exports.manifest!.describe!(), freshCodeCache: loaded.freshCodeCache, memoryBytes: instance.memoryBytes };
}

/** Longest trap message or denial posted: the text can come from the manager, and the parent logs and sends it. */
const POSTED_TEXT_CHARS = 4096;
const cutText = (text: string) => (text.length > POSTED_TEXT_CHARS ? `${text.slice(0, POSTED_TEXT_CHARS)}...` : text);

/**
 * Post an answer, or instead of it the fact that it is too large to send: measured here, so
 * that an answer of hundreds of MB is never cloned into the host's thread, encoded or kept.
 */
function answer(instance: Instance, id: number, outcome: CallOutcome, memoryBytes: number): void {
  const limit = instance.resultLimitBytes;
  if (wireSize(outcome, limit) > limit) post({ kind: 'too-large', id, limit });
  else post({ kind: 'result', id, outcome, memoryBytes });
}

function call(instance: Instance, message: Extract<ToWorker, { kind: 'call' }>): void {
  const fn = instance.exports[message.iface]?.[message.fn];
  // read after the call: the parent replaces an instance that grew near its ceiling (lane-worker.ts)
  const memoryBytes = () => instance.memoryBytes();
  if (!fn) {
    post({ kind: 'trap', id: message.id, message: `the manager exports no ${message.iface}.${message.fn}`, memoryBytes: memoryBytes() });
    return;
  }
  // the host's record, sent with every call: the manager's code has not run yet
  instance.allowReplicationSource(message.replicationSource);
  instance.artifacts.begin(message.artifacts);
  try {
    const ok: unknown = fn(...message.args);
    answer(instance, message.id, { ok }, memoryBytes());
  } catch (thrown) {
    if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) {
      answer(instance, message.id, { err: (thrown as { payload: unknown }).payload }, memoryBytes());
    } else {
      // a trap: the instance is dead ("cannot enter component instance" from now on)
      post({ kind: 'trap', id: message.id, message: cutText(thrown instanceof Error ? thrown.message : String(thrown)), memoryBytes: memoryBytes() });
    }
  } finally {
    instance.artifacts.end();
  }
}

let instance: Instance | undefined;
let initialised = false;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'call') {
    // the parent sends calls only after `ready`
    if (instance) call(instance, message);
    else post({ kind: 'trap', id: message.id, message: 'the instance has not started', memoryBytes: 0 });
    return;
  }
  // one component per worker, initialised once
  if (initialised) return;
  initialised = true;
  start(message).then(
    (started) => {
      instance = started;
      post({ kind: 'ready', manifest: started.manifest });
      // after warm-up, so that it holds the functions describe() compiled; a while after `ready`, so that the
      // first calls (the first heartbeat's probe) do not wait for it (5-10 ms, more on a busy machine)
      setTimeout(() => {
        const codeCache = started.freshCodeCache();
        if (codeCache) port.postMessage({ kind: 'code-cache', codeCache } satisfies FromWorker, [codeCache.buffer as ArrayBuffer]);
      }, CODE_CACHE_AFTER_MS);
    },
    (error: unknown) => {
      post({ kind: 'init-failed', message: error instanceof Error ? error.message : String(error) });
      process.exit(1);
    },
  );
});
