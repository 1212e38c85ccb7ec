import { _setPreopens } from '@bytecodealliance/preview2-shim/filesystem';

/**
 * jco's and componentize-js's own wasm tools read WIT and sources through
 * preview2-shim, which (0.26) starts with no preopened directory. The build
 * process is trusted toolchain code, so it grants those tools exactly the
 * directories they read. This process-wide switch is never used by the host,
 * whose managers get per-instance file systems.
 */
export function grantToolchainRead(directories: readonly string[]): void {
  const preopens: Record<string, string> = {};
  for (const dir of directories) preopens[dir] = dir;
  // The package types resolve to the browser build, whose preopens are in-memory files.
  _setPreopens(preopens as never);
}
