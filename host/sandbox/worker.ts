import { parentPort } from 'node:worker_threads';
import { loadComponent } from '../component/compile.js';
import { instantiateManager } from '../component/instantiate.js';
import { createSandboxImports } from '../component/sandbox-imports.js';
import { createEngineImports } from '../capabilities/engine.js';
import { createExec } from '../capabilities/exec.js';
import { createConnections } from '../capabilities/connections.js';
import { createEvents } from '../capabilities/events.js';
import { createArtifacts, type ArtifactsCapability } from '../capabilities/artifacts.js';
import type { FromWorker, SandboxSpec, ToWorker } from './spec.js';

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
        programTable: spec.exec.programTable,
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
  // what the engine prints (console.log in a manager) reaches the operator's log like the manager's own lines
  const exports = (await instantiateManager(loaded, imports, createEngineImports((entry) => post({ kind: 'log', entry })))).exports as Exports;
  // describe() doubles as the warm-up call: the first call after instantiation pays for lazy compilation
  return { exports, artifacts, manifest: exports.manifest!.describe!(), freshCodeCache: loaded.freshCodeCache };
}

function call(instance: Instance, message: Extract<ToWorker, { kind: 'call' }>): void {
  const fn = instance.exports[message.iface]?.[message.fn];
  if (!fn) {
    post({ kind: 'trap', id: message.id, message: `the manager exports no ${message.iface}.${message.fn}` });
    return;
  }
  instance.artifacts.begin(message.artifacts);
  try {
    post({ kind: 'result', id: message.id, outcome: { ok: fn(...message.args) } });
  } catch (thrown) {
    if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) {
      post({ kind: 'result', id: message.id, outcome: { err: (thrown as { payload: unknown }).payload } });
    } else {
      // a trap: the instance is dead ("cannot enter component instance" from now on)
      post({ kind: 'trap', id: message.id, message: thrown instanceof Error ? thrown.message : String(thrown) });
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
    else post({ kind: 'trap', id: message.id, message: 'the instance has not started' });
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
