import { parentPort } from 'node:worker_threads';
import { loadComponent } from '../component/compile.js';
import { instantiateManager } from '../component/instantiate.js';
import { createSandboxImports } from '../component/sandbox-imports.js';
import { createEngineImports } from '../capabilities/engine.js';
import { createExec } from '../capabilities/exec.js';
import { createConnections } from '../capabilities/connections.js';
import { createEvents } from '../capabilities/events.js';
import { createArtifacts, type ArtifactsCapability } from '../capabilities/artifacts.js';
import { CallChannelCallee, type ChannelRequest } from './call-channel.js';
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
/** Messages posted so far: a result must not overtake a log or event its call posted, so such a result goes by message too. */
let posted = 0;
const post = (message: FromWorker) => {
  posted++;
  port.postMessage(message);
};

/** After answering by channel, how long to spin for the next call before parking on the event loop. */
const SPIN_FOR_NEXT_CALL_US = 100;
/** Calls served back to back before the worker yields to its event loop (timers, messages) once. */
const CALLS_PER_SLICE = 64;

/** When, after `ready`, a worker that had no usable code cache for the glue makes one. */
const CODE_CACHE_AFTER_MS = 1000;

type Exports = Record<string, Record<string, (...args: unknown[]) => unknown>>;

interface Instance {
  exports: Exports;
  artifacts: ArtifactsCapability;
  /** What describe() returned. */
  manifest: unknown;
  freshCodeCache(): Uint8Array | undefined;
}

function grantImports(spec: SandboxSpec) {
  const onDenied = (capability: string, what: string) => post({ kind: 'denied', capability, what });
  const artifacts = createArtifacts(onDenied);
  const connections = createConnections(spec.connections, { timeoutMs: spec.connectionTimeoutMs }, onDenied);
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
      },
      onDenied,
    ),
    connections,
    artifacts: artifacts.imports,
  });
  return { imports, artifacts };
}

async function start(message: Extract<ToWorker, { kind: 'init' }>): Promise<Instance> {
  const { imports, artifacts } = grantImports(message.spec);
  const loaded = await loadComponent(message.component);
  const exports = (await instantiateManager(loaded, imports, createEngineImports())).exports as Exports;
  // describe() doubles as the warm-up call: the first call after instantiation pays for lazy compilation
  return { exports, artifacts, manifest: exports.manifest!.describe!(), freshCodeCache: loaded.freshCodeCache };
}

type Answer = { kind: 'result'; outcome: CallOutcome } | { kind: 'trap'; message: string };

function call(instance: Instance, message: ChannelRequest): Answer {
  const fn = instance.exports[message.iface]?.[message.fn];
  if (!fn) return { kind: 'trap', message: `the manager exports no ${message.iface}.${message.fn}` };
  instance.artifacts.begin(message.artifacts);
  try {
    return { kind: 'result', outcome: { ok: fn(...message.args) } };
  } catch (thrown) {
    if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) {
      return { kind: 'result', outcome: { err: (thrown as { payload: unknown }).payload } };
    }
    // a trap: the instance is dead ("cannot enter component instance" from now on)
    return { kind: 'trap', message: thrown instanceof Error ? thrown.message : String(thrown) };
  } finally {
    instance.artifacts.end();
  }
}

function answerByMessage(id: number, answer: Answer): void {
  post(answer.kind === 'result' ? { kind: 'result', id, outcome: answer.outcome } : { kind: 'trap', id, message: answer.message });
}

/**
 * Serve calls from the shared channel: each answered in the buffer unless it
 * trapped, posted messages of its own or does not fit; then spin briefly for
 * the next one, and park on the event loop when none comes.
 */
function serveChannel(started: Instance, channel: CallChannelCallee): void {
  for (let served = 0; served < CALLS_PER_SLICE; served++) {
    const request = channel.take();
    if (!request) {
      if (channel.awaitRequest(SPIN_FOR_NEXT_CALL_US)) continue;
      void channel.whenRequested().then(() => serveChannel(started, channel));
      return;
    }
    const before = posted;
    const startedAt = performance.now();
    const answer = call(started, request);
    const runMicros = (performance.now() - startedAt) * 1000;
    if (answer.kind === 'trap' || posted !== before || !channel.answer(answer.outcome, runMicros)) {
      answerByMessage(request.id, answer);
      channel.answeredByMessage(runMicros);
    }
  }
  setImmediate(() => serveChannel(started, channel));
}

let instance: Instance | undefined;
let initialised = false;

port.on('message', (message: ToWorker) => {
  if (message.kind === 'call') {
    // the parent sends calls only after `ready`
    answerByMessage(message.id, instance ? call(instance, message) : { kind: 'trap', message: 'the instance has not started' });
    return;
  }
  // one component per worker, initialised once
  if (initialised) return;
  initialised = true;
  start(message).then(
    (started) => {
      instance = started;
      post({ kind: 'ready', manifest: started.manifest });
      if (message.channel) serveChannel(started, new CallChannelCallee(message.channel));
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
