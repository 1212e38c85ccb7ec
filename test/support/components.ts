import { join } from 'node:path';
import { buildManager, type BuildResult } from '../../datastores/toolchain/build.js';
import type { Backend } from '../../datastores/toolchain/backends.js';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';
import { compileComponent } from '../../host/component/compile.js';
import { instantiateManager } from '../../host/component/instantiate.js';
import { createSandboxImports, type SandboxGrant } from '../../host/component/sandbox-imports.js';
import { createEngineImports } from '../../host/capabilities/engine.js';
import { describeComponent } from '../../host/component/describe.js';

export const FIXTURE_MANAGERS = join(PACKAGE_ROOT, 'test', 'fixtures', 'managers');

/** Build a fixture manager through the content-hashed cache: rebuilt only when it or the toolchain changed. */
export function buildFixture(name: string, backend: Backend): Promise<BuildResult> {
  return buildManager({ describe: describeComponent, entry: join(FIXTURE_MANAGERS, `${name}.ts`), backend });
}

export type ExportedInterfaces = Record<string, Record<string, (...args: unknown[]) => unknown>>;

export async function instantiateBytes(bytes: Uint8Array, grant: SandboxGrant = {}): Promise<ExportedInterfaces> {
  const compiled = await compileComponent(bytes);
  const { exports } = await instantiateManager(compiled, createSandboxImports(grant), createEngineImports());
  return exports as ExportedInterfaces;
}

export type CallOutcome = { ok: unknown } | { err: unknown } | { trap: string };

/** Call an export the way a host does: `err(e)` arrives as a thrown value with a payload; anything else is a trap. */
export function call(fn: ((...args: unknown[]) => unknown) | undefined, ...args: unknown[]): CallOutcome {
  if (!fn) throw new Error('no such export');
  try {
    return { ok: fn(...args) };
  } catch (thrown) {
    if (typeof thrown === 'object' && thrown !== null && 'payload' in thrown) return { err: (thrown as { payload: unknown }).payload };
    return { trap: String((thrown as Error).message ?? thrown) };
  }
}
