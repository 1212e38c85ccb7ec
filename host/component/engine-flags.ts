import { setFlagsFromString } from 'node:v8';

/**
 * QuickJS components use wasm extended-const, which Node 20 only accepts
 * behind a flag. V8 flags are process-wide and must be set before the first
 * compile, so every path that compiles a component imports this module first.
 */
setFlagsFromString('--experimental-wasm-extended-const');
setFlagsFromString('--wasm-lazy-compilation');
/**
 * V8 recompiles a wasm function with TurboFan once it has run for a budget
 * (1.8 million units by default), which the JS engine's interpreter spends
 * in the warm-up call alone: the recompiles then cost 10-15 MB that stay
 * resident and CPU on the other core while the host starts, for no gain a
 * manager's calls can measure (describe() and status run as fast on
 * Liftoff's code, BENCHMARKS.md). A thousand times the budget leaves
 * TurboFan to code that runs hot for seconds on end.
 */
setFlagsFromString('--wasm-tiering-budget=1800000000');
