import { parentPort, workerData } from 'node:worker_threads';
import { loadComponent, type TranspiledComponent } from '../component/compile.js';
import { instantiateManager } from '../component/instantiate.js';
import { createSandboxImports } from '../component/sandbox-imports.js';
import { createEngineImports } from '../capabilities/engine.js';
import { createExec } from '../capabilities/exec.js';
import { createConnections } from '../capabilities/connections.js';
import { createEvents } from '../capabilities/events.js';
import { createArtifacts } from '../capabilities/artifacts.js';
import type { FromWorker, SandboxSpec, ToWorker } from './spec.js';

/**
 * One manager instance in its own thread: a runaway or trapped manager can
 * be terminated without touching the host's event loop. Imports run
 * synchronously here; what the host must hear (logs, events, denials) is
 * posted to the parent, which never blocks the manager.
 */
const port = parentPort!;
const { component, spec } = workerData as { component: TranspiledComponent; spec: SandboxSpec };
const post = (message: FromWorker) => port.postMessage(message);
const onDenied = (capability: string, what: string) => post({ kind: 'denied', capability, what });

const artifacts = createArtifacts(onDenied);
const connections = createConnections(spec.connections, { timeoutMs: spec.connectionTimeoutMs }, onDenied);
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

type Exports = Record<string, Record<string, (...args: unknown[]) => unknown>>;
let exports: Exports;

try {
  const loaded = await loadComponent(component);
  exports = (await instantiateManager(loaded, imports, createEngineImports())).exports as Exports;
  // describe() doubles as the warm-up call: the first call after instantiation pays for lazy compilation
  post({ kind: 'ready', manifest: exports.manifest!.describe!() });
} catch (error) {
  post({ kind: 'init-failed', message: error instanceof Error ? error.message : String(error) });
  process.exit(1);
}

port.on('message', (message: ToWorker) => {
  const fn = exports[message.iface]?.[message.fn];
  if (!fn) {
    post({ kind: 'trap', id: message.id, message: `the manager exports no ${message.iface}.${message.fn}` });
    return;
  }
  artifacts.begin(message.artifacts);
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
    artifacts.end();
  }
});

process.on('exit', () => connections.close());
