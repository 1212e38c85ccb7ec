import { setFlagsFromString } from 'node:v8';

/**
 * QuickJS components use wasm extended-const, which Node 20 only accepts
 * behind a flag. V8 flags are process-wide and must be set before the first
 * compile, so every path that compiles a component imports this module first.
 */
setFlagsFromString('--experimental-wasm-extended-const');
setFlagsFromString('--wasm-lazy-compilation');
