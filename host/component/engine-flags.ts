import { setFlagsFromString } from 'node:v8';

/**
 * A module whose one global is initialised by `i32.const 1 i32.const 2
 * i32.add`: valid only where V8 accepts wasm extended-const.
 */
const EXTENDED_CONST_PROBE = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x06, 0x09, 0x01, 0x7f, 0x00, 0x41, 0x01, 0x41, 0x02, 0x6a, 0x0b]);

/**
 * QuickJS components use wasm extended-const, which Node 20 (V8 11.3) only
 * accepts behind a flag; Node 24's V8 ships it and no longer knows the flag
 * (setting it there writes "Error: unrecognized flag" to stderr, among the
 * host's JSON log lines). So the flag is set only where V8 refuses the probe.
 * V8 flags are process-wide and must be set before the first compile, so
 * every path that compiles a component imports this module first.
 */
if (!WebAssembly.validate(EXTENDED_CONST_PROBE)) setFlagsFromString('--experimental-wasm-extended-const');
setFlagsFromString('--wasm-lazy-compilation');
/**
 * V8 recompiles a wasm function with TurboFan once it has run for a budget
 * (1.8 million units by default on Node 20, 13 million on Node 24), which
 * the JS engine's interpreter spends in the warm-up call alone: the
 * recompiles then cost 10-15 MB that stay resident and CPU on the other
 * core while the host starts, for no gain a manager's calls can measure
 * (describe() and status run as fast on Liftoff's code, BENCHMARKS.md).
 * 1.8 billion (a thousand times Node 20's budget, near the flag's int
 * maximum) leaves TurboFan to code that runs hot for seconds on end.
 */
setFlagsFromString('--wasm-tiering-budget=1800000000');
