import './extended-const.js';
import { BerthError } from '../errors/berth-error.js';
import { OPERATIONS_BY_INTERFACE, OPERATION_INTERFACES, camelName } from '../sdk/operations.js';
import { parseManifest, type ManagerManifest } from './manifest.js';

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
) => Promise<Record<string, unknown>>;

/** A function for every name the glue asks of an ungranted interface: a resource class or a call that is refused. */
function refusing(iface: string): Record<string, unknown> {
  return new Proxy({} as Record<string, unknown>, {
    get: (_target, name) => {
      if (typeof name === 'symbol') return undefined;
      return function refused(): never {
        throw new Error(`${iface}.${name} is not granted while the build describes the manager`);
      };
    },
  });
}

/**
 * The imports of a describe() run: the WASI interfaces the JS engines use for
 * themselves from preview2-shim (with no preopened directory), an empty
 * config, a log that goes nowhere, and every berth:datastore capability refused.
 */
async function describeImports(names: readonly string[]): Promise<Record<string, unknown>> {
  const shim = (await import('@bytecodealliance/preview2-shim')) as unknown as Record<string, Record<string, unknown>>;
  const { _setPreopens } = await import('@bytecodealliance/preview2-shim/filesystem');
  _setPreopens({} as never);
  const imports: Record<string, unknown> = {};
  for (const name of names) {
    const match = /^([a-z0-9-]+):([a-z0-9-]+)\/([a-z0-9-]+)$/.exec(name);
    const [, namespace, pkg, iface] = match ?? [];
    if (name === 'wasi:config/store') imports[name] = { get: () => undefined, getAll: () => [] };
    else if (name === 'wasi:logging/logging') imports[name] = { log: () => undefined };
    else if (name === 'berth:datastore/types') imports[name] = {};
    else if (namespace === 'wasi' && pkg && iface && shim[pkg]?.[camelName(iface)]) imports[name] = shim[pkg]![camelName(iface)];
    else imports[name] = refusing(name);
  }
  return imports;
}

/**
 * Instantiates a built component with nothing granted and asks it for its
 * manifest, with jco and preview2-shim alone: what `berth build` needs outside
 * the repository, where the guest host (host/component/describe.ts, the same
 * check inside its sandbox) is not installed.
 */
export async function describeStandalone(bytes: Uint8Array, file: string): Promise<ManagerManifest> {
  const { transpile } = await import('@bytecodealliance/jco');
  const out = await transpile(bytes, { name: 'manager', instantiation: 'async', noTypescript: true, quiet: true });
  const glue = out.files['manager.js'];
  if (!glue) throw new BerthError('BERTH_ERR_WASM_INVALID', `${file}: jco produced no glue for the component`, 'rebuild it with `berth build`');
  const url = `data:text/javascript;base64,${Buffer.from(glue).toString('base64')}`;
  const { instantiate } = (await import(url)) as { instantiate: Instantiate };
  const modules = new Map<string, WebAssembly.Module>();
  for (const [name, content] of Object.entries(out.files)) if (name.endsWith('.wasm')) modules.set(name, new WebAssembly.Module(content));
  const exports = await instantiate((name) => {
    const module = modules.get(name);
    if (!module) throw new Error(`core module ${name} missing from the transpiled component`);
    return module;
  }, await describeImports(out.imports.map((name) => name.replace(/@[^/]*$/, ''))));
  for (const iface of OPERATION_INTERFACES) {
    const functions = exports[camelName(iface)] as Record<string, unknown> | undefined;
    const absent = OPERATIONS_BY_INTERFACE[iface].filter((operation) => typeof functions?.[camelName(operation)] !== 'function');
    if (absent.length > 0) throw new BerthError('BERTH_ERR_WASM_WRONG_WORLD', `${file} does not export ${iface}.${absent.join(', ')}`);
  }
  let raw: unknown;
  try {
    raw = (exports.manifest as { describe: () => unknown }).describe();
  } catch (error) {
    throw new BerthError('BERTH_ERR_MANAGER_TRAPPED', `${file}: describe() failed: ${(error as Error).message}`, undefined, { cause: error });
  }
  return parseManifest(raw, `${file}: describe()`);
}
