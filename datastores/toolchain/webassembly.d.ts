// TypeScript ships WebAssembly's types only in lib.dom; Node has the global.
// These are the few members the host and the toolchain use, as the JS API specifies them.
declare namespace WebAssembly {
  class Module {
    constructor(bytes: BufferSource);
  }
  class Instance {
    constructor(module: Module, imports?: Imports);
    readonly exports: Record<string, unknown>;
  }
  class Memory {
    readonly buffer: ArrayBuffer;
  }
  type ImportValue = unknown;
  type Imports = Record<string, Record<string, ImportValue>>;
  function compile(bytes: BufferSource): Promise<Module>;
  function validate(bytes: BufferSource): boolean;
}
type BufferSource = ArrayBufferView | ArrayBuffer;
