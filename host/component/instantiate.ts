import type { ImportObject } from '../generated/manager.js';
import type { CompiledComponent } from './compile.js';

/**
 * Node 20 has no JSPI: jco probes `WebAssembly.promising` once per core
 * function and each failed probe costs milliseconds. A pass-through keeps the
 * synchronous semantics we rely on (imports are synchronous by design).
 */
function installPromisingPassThrough(): void {
  const wasm = WebAssembly as unknown as { promising?: (fn: unknown) => unknown };
  wasm.promising ??= (fn: unknown) => fn;
}

/** The WASI interfaces the JS engines import on their own behalf (clocks, stdio, random). */
export type EngineImports = Record<string, unknown>;

/** jco's glue looks imports up without their version: "wasi:config/store". */
function unversioned(imports: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(imports)) out[name.replace(/@[^/]*$/, '')] = value;
  return out;
}

export interface ManagerInstance {
  readonly exports: Record<string, unknown>;
}

/**
 * Instantiate a compiled component with exactly the given imports; an import
 * the component asks for and the caller did not grant is an error naming it.
 */
export async function instantiateManager(
  component: CompiledComponent,
  contract: ImportObject,
  engine: EngineImports,
): Promise<ManagerInstance> {
  installPromisingPassThrough();
  const imports = { ...unversioned(engine), ...unversioned(contract as unknown as Record<string, unknown>) };
  const missing = component.imports.filter((name) => !(name in imports));
  if (missing.length > 0) throw new Error(`the component imports ${missing.join(', ')}, which the host does not provide`);
  const exports = await component.instantiate(
    (name) => {
      const module = component.coreModules.get(name);
      if (!module) throw new Error(`core module ${name} missing from the transpiled component`);
      return module;
    },
    imports,
    (module, moduleImports) => new WebAssembly.Instance(module, moduleImports),
  );
  return { exports };
}
