import { readFile } from 'node:fs/promises';
import { BerthError } from '../errors/berth-error.js';
import { classifyBinary, readCustomSections } from './wasm-binary.js';
import { readWorld, checkManagerWorld } from './world-check.js';
import { MANIFEST_SECTION, parseManifest, unsupportedOperations, type ManagerManifest } from './manifest.js';
import { sha256 } from './digest.js';
import type { OperationName } from '../sdk/operations.js';

export interface InspectReport {
  file: string;
  sha256: string;
  size: number;
  manifest: ManagerManifest;
  supported: OperationName[];
  unsupported: OperationName[];
}

function classify(bytes: Uint8Array, file: string): void {
  const kind = classifyBinary(bytes);
  if (kind === 'not-wasm') {
    throw new BerthError('BERTH_ERR_WASM_INVALID', `${file} is not a WebAssembly binary (it does not start with \\0asm)`, 'pass a .wasm built by `berth build`');
  }
  if (kind === 'core-module') {
    throw new BerthError(
      'BERTH_ERR_WASM_CORE_MODULE',
      `${file} is a core WebAssembly module, not a component; a manager is a component of the berth:datastore/manager world`,
      'build the manager with `berth build <entry.ts> -o <out.wasm>`',
    );
  }
  if (kind === 'unknown-wasm') {
    throw new BerthError('BERTH_ERR_WASM_INVALID', `${file} has a WebAssembly header of an unknown version`, 'rebuild it with `berth build`');
  }
}

function sectionsOf(bytes: Uint8Array, file: string): Map<string, Uint8Array> {
  try {
    return readCustomSections(bytes);
  } catch (error) {
    throw new BerthError('BERTH_ERR_WASM_INVALID', `${file} is a damaged WebAssembly component: ${(error as Error).message}`, 'rebuild it with `berth build`');
  }
}

function manifestFrom(sections: Map<string, Uint8Array>, file: string): ManagerManifest {
  const section = sections.get(MANIFEST_SECTION);
  if (!section) {
    throw new BerthError(
      'BERTH_ERR_MANIFEST_INVALID',
      `${file} carries no ${MANIFEST_SECTION} section`,
      'build it with `berth build`, which embeds the manifest that describe() returns',
    );
  }
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(section));
  } catch {
    throw new BerthError('BERTH_ERR_MANIFEST_INVALID', `${file}: the ${MANIFEST_SECTION} section is not JSON`, 'rebuild it with `berth build`');
  }
  return parseManifest(raw, `${file}: ${MANIFEST_SECTION}`);
}

/**
 * The embedded manifest, from the bytes alone and cheaply (no WIT decoding):
 * what the host needs at start, where instantiation itself refuses any import
 * it does not grant and describe() must agree with the manifest.
 */
export function readEmbeddedManifest(bytes: Uint8Array, file: string): ManagerManifest {
  classify(bytes, file);
  return manifestFrom(sectionsOf(bytes, file), file);
}

/**
 * What a manager is and asks for, read from the file alone: nothing is
 * instantiated, so nothing is granted and nothing of it runs.
 */
export async function inspectManager(file: string): Promise<InspectReport> {
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    throw new BerthError(
      'BERTH_ERR_FILE_NOT_FOUND',
      `cannot read ${file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`,
      'pass the path of a .wasm built by `berth build`',
    );
  });
  classify(bytes, file);
  const sections = sectionsOf(bytes, file);
  let world: Awaited<ReturnType<typeof readWorld>>;
  try {
    world = await readWorld(bytes);
  } catch (error) {
    throw new BerthError('BERTH_ERR_WASM_INVALID', `${file} is a damaged WebAssembly component: ${(error as Error).message}`, 'rebuild it with `berth build`');
  }
  checkManagerWorld(world, file);
  const manifest = manifestFrom(sections, file);
  return {
    file,
    sha256: sha256(bytes),
    size: bytes.length,
    manifest,
    supported: manifest.operations,
    unsupported: unsupportedOperations(manifest),
  };
}
