import { readFileSync } from 'node:fs';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { readEmbeddedManifest } from '../../datastores/toolchain/inspect.js';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import { sha256 } from '../../datastores/toolchain/digest.js';
import { checkRequiredGrants } from '../config/required-grants.js';
import type { GuestConfig } from '../config/guest-config.js';
import { transpileComponent, type TranspiledComponent } from './compile.js';
import { transpileInChildProcess, type Transpiler } from './jco-transpile.js';

export interface CheckedManager {
  digest: string;
  manifest: ManagerManifest;
  component: TranspiledComponent;
}

/**
 * The component in `bytes` transpiled and its core modules compiled. A file
 * whose manifest reads but whose code is damaged (a flipped byte, a section
 * cut short) fails in jco or in V8: that is the file's fault, reported as
 * such with the file's name, not as an internal error of the host.
 */
export async function transpileManager(
  bytes: Uint8Array,
  file: string,
  cacheDir?: string,
  digest?: string,
  transpile?: Transpiler,
  memoryLimitBytes?: number,
): Promise<TranspiledComponent> {
  try {
    return await transpileComponent(bytes, cacheDir, digest, transpile, memoryLimitBytes);
  } catch (error) {
    // a manager that starts larger than host.memory_limit: the config's to fix, not the file's
    if (error instanceof BerthError) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).split('\n', 1)[0]!.slice(0, 300);
    throw new BerthError('BERTH_ERR_WASM_INVALID', `${file} is a damaged WebAssembly component: ${reason}`, 'rebuild it with `berth build`, or install the file again');
  }
}

/**
 * The manager the config names, checked (sha256, manifest, grants) and
 * transpiled, on a transpile-cache miss by jco in a process of its own, so
 * that the host does not carry jco for the rest of its life. Its bytes stay
 * in here: once this returns they are garbage.
 */
export async function checkedManager(config: GuestConfig, configFile: string): Promise<CheckedManager> {
  const bytes = readFileSync(config.manager.path);
  const digest = sha256(bytes);
  if (config.manager.sha256 && config.manager.sha256 !== digest) {
    throw new BerthError(
      'BERTH_ERR_WASM_SHA256_MISMATCH',
      `${config.manager.path} has sha256 ${digest}, but ${configFile} pins manager.sha256 = ${config.manager.sha256}`,
      'install the manager the config names, or update manager.sha256 after checking the new file',
    );
  }
  const manifest = readEmbeddedManifest(bytes, config.manager.path);
  checkRequiredGrants(manifest, config, configFile);
  const component = await transpileManager(bytes, config.manager.path, config.host.cache_dir, digest, transpileInChildProcess, config.host.memory_limit);
  return { digest, manifest, component };
}
