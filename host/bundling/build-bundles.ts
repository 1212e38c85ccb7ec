/**
 * Bundles the guest host for `npm run build` (after tsc): a host starts
 * faster from a few files than from the ~180 modules its main thread would
 * otherwise resolve and load one by one (zod alone is 95).
 *
 * - dist/host/bundled/host.js: `berth host`'s main thread, its packages
 *   included (zod, pino, ws, smol-toml), split where it imports lazily.
 * - dist/host/bundled/worker.js: the sandbox worker, Berth's code only
 *   (every WASI interface a manager gets is Berth's own: no preview2-shim,
 *   and no I/O thread of its).
 * - dist/host/bundled/transpile-child.js: jco in a process of its own, run
 *   on a transpile-cache miss (jco-transpile.ts).
 * - dist/host/bundled/connections-worker.js: the connections bridge, found
 *   beside the worker bundle (workerEntry resolves it from there), with one
 *   chunk per datastore kind's client, loaded when first granted.
 *
 * BerthError stays the compiled module in dist/datastores/errors: the CLI
 * reports errors with `instanceof`, so there must be one class.
 */
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

const OUT_DIR = join(PACKAGE_ROOT, 'dist', 'host', 'bundled');
const SHARED_ERRORS = join(PACKAGE_ROOT, 'dist', 'datastores', 'errors', 'berth-error.js');

const sharedErrors: Plugin = {
  name: 'berth-shared-errors',
  setup(context) {
    context.onResolve({ filter: /\/errors\/berth-error\.js$/ }, () => ({
      path: `./${relative(OUT_DIR, SHARED_ERRORS)}`,
      external: true,
    }));
  },
};

const common: BuildOptions = {
  absWorkingDir: PACKAGE_ROOT,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  outdir: OUT_DIR,
  sourcemap: true,
  logLevel: 'warning',
  plugins: [sharedErrors],
  // CommonJS packages inside an ES module bundle still call require() for Node's own modules
  banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
};

// chunk names carry content hashes: start empty so that no stale chunk lingers
rmSync(OUT_DIR, { recursive: true, force: true });
await build({
  ...common,
  entryPoints: { host: 'host/host-main.ts' },
  splitting: true,
  chunkNames: 'host-[hash]',
  // jco is loaded only on a transpile-cache miss; ws's native helpers are optional and absent
  external: ['@bytecodealliance/jco', 'bufferutil', 'utf-8-validate'],
});
await build({ ...common, entryPoints: { worker: 'host/sandbox/worker.ts' }, packages: 'external' });
await build({ ...common, entryPoints: { 'transpile-child': 'host/component/transpile-child.ts' }, packages: 'external' });
// split: each datastore kind's client is a chunk of its own, imported at the first grant of that kind
await build({ ...common, entryPoints: { 'connections-worker': 'host/capabilities/connections-worker.ts' }, packages: 'external', splitting: true, chunkNames: 'connections-[hash]' });
