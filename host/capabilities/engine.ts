import { cli, clocks, io, random } from '@bytecodealliance/preview2-shim';
import type { EngineImports } from '../component/instantiate.js';

/**
 * jco's hybrid bindings lower preview2-shim's wall-clock `now` wrongly (the
 * manager sees Date.now() === 0). Plain functions carry no fast-path marker,
 * so jco lowers these through its ordinary JS path, which is correct.
 */
export const wallClock = {
  now: () => clocks.wallClock.now(),
  resolution: () => clocks.wallClock.resolution(),
};

/**
 * What the JS engines inside a component import for themselves: clocks,
 * randomness, streams and stdio. The environment, arguments and working
 * directory are empty so that nothing of the host's leaks in.
 */
export function createEngineImports(): EngineImports {
  return {
    'wasi:cli/environment': {
      getEnvironment: (): Array<[string, string]> => [],
      getArguments: (): string[] => [],
      initialCwd: (): string | undefined => undefined,
    },
    'wasi:cli/exit': cli.exit,
    'wasi:cli/stdin': cli.stdin,
    'wasi:cli/stdout': cli.stdout,
    'wasi:cli/stderr': cli.stderr,
    'wasi:cli/terminal-input': cli.terminalInput,
    'wasi:cli/terminal-output': cli.terminalOutput,
    'wasi:cli/terminal-stdin': cli.terminalStdin,
    'wasi:cli/terminal-stdout': cli.terminalStdout,
    'wasi:cli/terminal-stderr': cli.terminalStderr,
    'wasi:clocks/monotonic-clock': clocks.monotonicClock,
    'wasi:clocks/wall-clock': wallClock,
    'wasi:io/error': io.error,
    'wasi:io/poll': io.poll,
    'wasi:io/streams': io.streams,
    'wasi:random/random': random.random,
    'wasi:random/insecure': random.insecure,
    'wasi:random/insecure-seed': random.insecureSeed,
  };
}
