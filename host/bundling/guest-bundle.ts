import { build, type Metafile, type Plugin } from 'esbuild';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { CONNECTION_KINDS, type ConnectionKind } from '../../datastores/toolchain/manifest.js';

export type DriverKind = ConnectionKind;
export const DRIVER_KINDS: readonly DriverKind[] = CONNECTION_KINDS;

/** Each kind's client module, as connections-worker.ts imports it. */
const DRIVER_MODULE = /\/connections-(postgres|mysql|redis)\.js$/;
const KIND_OF: Record<string, DriverKind> = { postgres: 'postgresql', mysql: 'mysql', redis: 'redis' };

/**
 * Leaves out the clients of kinds the manager does not ask for: pg,
 * mysql2 and ioredis are most of a bundle's JavaScript. A config that
 * grants such a kind anyway gets a failed call naming what is missing.
 */
function onlyDrivers(kinds: readonly DriverKind[]): Plugin {
  return {
    name: 'berth-only-drivers',
    setup(context) {
      context.onResolve({ filter: DRIVER_MODULE }, (args) => {
        const kind = KIND_OF[DRIVER_MODULE.exec(args.path)![1]!]!;
        return kinds.includes(kind) ? undefined : { path: kind, namespace: 'berth-unpacked-driver' };
      });
      context.onLoad({ filter: /.*/, namespace: 'berth-unpacked-driver' }, (args) => ({
        loader: 'js',
        contents: `throw new Error(${JSON.stringify(`this guest host was packed without the ${args.path} client (the manager's manifest asks for no ${args.path} connection): pack it again with \`berth pack --drivers ${args.path}\``)});`,
      }));
    },
  };
}

export interface GuestBundle {
  /** Every file written, relative to the output directory, with its size. */
  files: Array<{ path: string; bytes: number }>;
  metafile: Metafile;
}

/**
 * The guest host as a few JavaScript files with every package it uses inside
 * (ws, zod, pino, smol-toml, the granted kinds' drivers): `lib/host.js` is
 * `berth host` (host-cli.ts), and the worker, the connections bridge and the
 * transpile child sit beside it, where workerEntry() looks for them. Only
 * jco stays outside: a packed guest brings its manager already transpiled,
 * and jco (47 MB) is needed only for a manager that is not.
 */
export async function bundleGuestHost(outDir: string, kinds: readonly DriverKind[]): Promise<GuestBundle> {
  const result = await build({
    absWorkingDir: PACKAGE_ROOT,
    entryPoints: {
      host: 'host/host-cli.ts',
      worker: 'host/sandbox/worker.ts',
      'connections-worker': 'host/capabilities/connections-worker.ts',
      'transpile-child': 'host/component/transpile-child.ts',
    },
    bundle: true,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    outdir: outDir,
    // whitespace and syntax only: class and function names stay readable in errors and logs
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    // ws's native helpers and pg's native client are optional and absent
    external: ['@bytecodealliance/jco', 'bufferutil', 'utf-8-validate', 'pg-native'],
    plugins: [onlyDrivers(kinds)],
    // CommonJS packages inside an ES module bundle still call require() for Node's own modules
    banner: { js: "import { createRequire as __berthCreateRequire } from 'node:module'; const require = __berthCreateRequire(import.meta.url);" },
  });
  const files = Object.entries(result.metafile.outputs).map(([path, output]) => ({ path: path.slice(path.lastIndexOf('/') + 1), bytes: output.bytes }));
  return { files, metafile: result.metafile };
}
