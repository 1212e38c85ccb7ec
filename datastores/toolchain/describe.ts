import { compileComponent, type CompiledComponent } from '../../host/component/compile.js';
import { instantiateManager } from '../../host/component/instantiate.js';
import { createSandboxImports } from '../../host/component/sandbox-imports.js';
import { createEngineImports } from '../../host/capabilities/engine.js';
import { BerthError } from '../../server/errors/berth-error.js';
import { OPERATIONS_BY_INTERFACE, OPERATION_INTERFACES, camelName } from '../sdk/operations.js';
import { parseManifest, type ManagerManifest } from './manifest.js';

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
