import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * One full garbage collection, once the host has started. Starting leaves
 * about 15 MB of dead buffers on the main thread (the manager's .wasm, read
 * for its sha256 and manifest, and the transpiled files, read to compile)
 * that only a full collection frees, and an idle host allocates too little
 * to ever trigger one. V8 hands out its `gc` function only to contexts made
 * while --expose-gc is set: one is made for it, and the flag is cleared
 * again at once.
 */
export function collectStartupGarbage(): void {
  setFlagsFromString('--expose-gc');
  let gc: () => void;
  try {
    gc = runInNewContext('gc') as () => void;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  gc();
}
