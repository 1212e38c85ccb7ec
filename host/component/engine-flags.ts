import { setFlagsFromString } from 'node:v8';
// QuickJS components need wasm extended-const, behind a flag on Node 20 only
import '../../datastores/toolchain/extended-const.js';

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
