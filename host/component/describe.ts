import { compileComponent, type CompiledComponent } from './compile.js';
import { instantiateManager } from './instantiate.js';
import { createSandboxImports } from './sandbox-imports.js';
import { createEngineImports } from '../capabilities/engine.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import { OPERATIONS_BY_INTERFACE, OPERATION_INTERFACES, camelName } from '../../datastores/sdk/operations.js';
import { parseManifest, type ManagerManifest } from '../../datastores/toolchain/manifest.js';

/**
 * Instantiate a manager with nothing granted and ask it for its manifest;
 * also check that every contract function is really exported.
 */
export async function describeComponent(bytes: Uint8Array, file: string, compiled?: CompiledComponent): Promise<ManagerManifest> {
  const component = compiled ?? (await compileComponent(bytes));
  const { exports } = await instantiateManager(component, createSandboxImports(), createEngineImports());
  for (const iface of OPERATION_INTERFACES) {
    const functions = exports[camelName(iface)] as Record<string, unknown> | undefined;
    const absent = OPERATIONS_BY_INTERFACE[iface].filter((operation) => typeof functions?.[camelName(operation)] !== 'function');
    if (absent.length > 0) {
      throw new BerthError('BERTH_ERR_WASM_WRONG_WORLD', `${file} does not export ${iface}.${absent.join(', ')}`);
    }
  }
  let raw: unknown;
  try {
    raw = (exports.manifest as { describe: () => unknown }).describe();
  } catch (error) {
    throw new BerthError('BERTH_ERR_MANAGER_TRAPPED', `${file}: describe() failed: ${(error as Error).message}`, undefined, {
      cause: error,
    });
  }
  return parseManifest(raw, `${file}: describe()`);
}
