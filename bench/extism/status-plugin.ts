/**
 * The Extism plugin of bench/side-by-side.ts: bench/extism/status.wat,
 * assembled with wabt (from npm) when the bench runs, so no binary is checked
 * in, and loaded with Extism's Node SDK.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import createPlugin, { type Plugin } from '@extism/extism';
import wabt from 'wabt';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

export const STATUS_WAT = join(PACKAGE_ROOT, 'bench', 'extism', 'status.wat');

/** The plugin's core module, assembled and validated. */
export async function assembleStatusPlugin(): Promise<Uint8Array> {
  const toolkit = await wabt();
  const module = toolkit.parseWat(STATUS_WAT, await readFile(STATUS_WAT, 'utf8'));
  try {
    module.validate();
    return module.toBinary({}).buffer;
  } finally {
    module.destroy();
  }
}

/**
 * The plugin in Extism's Node SDK. `runInWorker`: Extism runs the module in a
 * worker thread and each call crosses to it and back, as Berth's sandbox does.
 * No WASI: the plugin imports only Extism's kernel. The SDK keeps every block
 * a call allocates until `plugin.reset()`: a caller making many calls resets.
 */
export async function loadStatusPlugin(runInWorker: boolean): Promise<Plugin> {
  const data = await assembleStatusPlugin();
  return createPlugin({ wasm: [{ data, name: 'status' }] }, { useWasi: false, runInWorker });
}
