import { setFlagsFromString } from 'node:v8';

/**
 * A module whose one global is initialised by `i32.const 1 i32.const 2
 * i32.add`: valid only where V8 accepts wasm extended-const.
 */
const EXTENDED_CONST_PROBE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b]);

/**
 * QuickJS components use wasm extended-const, which Node 20 (V8 11.3) only
 * accepts behind a flag; Node 24's V8 ships it and no longer knows the flag
 * (setting it there writes "Error: unrecognized flag" to stderr). So the flag
 * is set only where V8 refuses the probe. V8 flags are process-wide and must
 * be set before the first compile, so every path that compiles a component
 * imports this module first (the host through host/component/engine-flags.ts).
 */
if (!WebAssembly.validate(EXTENDED_CONST_PROBE)) setFlagsFromString('--experimental-wasm-extended-const');
