import type { ImportObject } from '../generated/manager.js';
import type { CompiledComponent } from './compile.js';
import { writeLiftedData } from './lifted-data.js';

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
  /** Bytes of linear memory the instance's core instances export, now (memory never shrinks). */
  memoryBytes(): number;
}

/**
 * Instantiates core modules for one component instance, refusing one more
 * instantiation once the pages its memories may reach pass the ceiling (a
 * component that instantiates a module twice), and keeping the memories the
 * instances export, which are what the manager's allocations grow.
 */
function ceilingInstantiator(component: CompiledComponent) {
  const names = new Map([...component.coreModules].map(([name, module]) => [module, name]));
  const memories = new Set<WebAssembly.Memory>();
  let pages = 0;
  const instantiateCore = (module: WebAssembly.Module, moduleImports: WebAssembly.Imports) => {
    const name = names.get(module);
    if (name === undefined) throw new Error('the glue instantiated a core module the component does not have');
    pages += component.memory.pages.get(name) ?? 0;
    if (pages > component.memory.ceilingPages) throw new Error(`the component's memories may grow past host.memory_limit (${component.memory.limitBytes} bytes) in all`);
    const instance = new WebAssembly.Instance(module, moduleImports);
    const lifted = component.liftedData.get(name);
    if (lifted) writeLiftedData(instance, lifted);
    for (const value of Object.values(instance.exports)) if (value instanceof WebAssembly.Memory) memories.add(value);
    return instance;
  };
  const memoryBytes = () => {
    let bytes = 0;
    for (const memory of memories) bytes += memory.buffer.byteLength;
    return bytes;
  };
  return { instantiateCore, memoryBytes };
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
  const { instantiateCore, memoryBytes } = ceilingInstantiator(component);
  const exports = await component.instantiate(
    (name) => {
      const module = component.coreModules.get(name);
      if (!module) throw new Error(`core module ${name} missing from the transpiled component`);
      return module;
    },
    imports,
    instantiateCore,
  );
  return { exports, memoryBytes };
}
