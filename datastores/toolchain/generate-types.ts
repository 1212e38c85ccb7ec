import { types } from '@bytecodealliance/jco';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { GUEST_TYPES_DIR, HOST_TYPES_DIR, WIT_DIR, WORLD_NAME } from './paths.js';
import { grantToolchainRead } from './toolchain-fs.js';

export type GeneratedFiles = Record<string, string>;

/**
 * TypeScript declarations jco generates from wit/: `guest` for the SDK (what a
 * manager imports and must export), `host` for the capability factories (what
 * the host must supply). Both are checked in; a test regenerates and compares.
 */
export async function generateTypes(side: 'guest' | 'host'): Promise<GeneratedFiles> {
  grantToolchainRead([WIT_DIR]);
  const files = await types(WIT_DIR, {
    worldName: WORLD_NAME,
    name: WORLD_NAME,
    guest: side === 'guest',
    instantiation: 'async',
  });
  const decoder = new TextDecoder();
  return Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, decoder.decode(bytes)]));
}

export function typesDirFor(side: 'guest' | 'host'): string {
  return side === 'guest' ? GUEST_TYPES_DIR : HOST_TYPES_DIR;
}

export async function writeGeneratedTypes(side: 'guest' | 'host'): Promise<string[]> {
  const files = await generateTypes(side);
  const dir = typesDirFor(side);
  await rm(dir, { recursive: true, force: true });
  for (const [name, text] of Object.entries(files)) {
    const target = join(dir, name);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, text);
  }
  return Object.keys(files).map((name) => join(dir, name));
}

const isMain = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/'));
if (isMain) {
  for (const side of ['guest', 'host'] as const) {
    const written = await writeGeneratedTypes(side);
    console.log(`${side}: ${written.length} files in ${typesDirFor(side)}`);
  }
}
