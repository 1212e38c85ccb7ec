import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateTypes, typesDirFor } from '../../datastores/toolchain/generate-types.js';
import { OPERATIONS_BY_INTERFACE, camelName } from '../../datastores/sdk/operations.js';
import { WIT_DIR } from '../../datastores/toolchain/paths.js';

async function checkedIn(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string): Promise<void> => {
    for (const entry of await readdir(join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(rel);
      else out[rel] = await readFile(join(dir, rel), 'utf8');
    }
  };
  await walk('');
  return out;
}

describe('the berth:datastore WIT package', () => {
  it.each(['guest', 'host'] as const)('matches the checked-in %s types (run `npm run generate:types` after editing wit/)', async (side) => {
    const generated = await generateTypes(side);
    expect(await checkedIn(typesDirFor(side))).toEqual(generated);
  });

  it('exports exactly the operations of the catalogue the SDK, inspect and the server use', async () => {
    const guest = await generateTypes('guest');
    for (const [iface, operations] of Object.entries(OPERATIONS_BY_INTERFACE)) {
      const declaration = guest[`interfaces/berth-datastore-${iface}.d.ts`];
      expect(declaration, iface).toBeDefined();
      const functions = [...declaration!.matchAll(/export function (\w+)\(/g)].map((m) => m[1]);
      expect(functions, iface).toEqual(operations.map(camelName));
    }
  });

  it('documents every exported function', async () => {
    for (const iface of Object.keys(OPERATIONS_BY_INTERFACE)) {
      const file = iface === 'guest-log' ? 'guest-log.wit' : `${iface}.wit`;
      const text = await readFile(join(WIT_DIR, file), 'utf8');
      const lines = text.split('\n');
      lines.forEach((line, index) => {
        if (/^\s+[a-z-]+: func/.test(line)) expect(lines[index - 1], `${file}: ${line.trim()}`).toMatch(/^\s+\/\/\//);
      });
    }
  });

  it('returns result<_, manager-error> from every operation', async () => {
    for (const iface of Object.keys(OPERATIONS_BY_INTERFACE)) {
      const text = await readFile(join(WIT_DIR, `${iface}.wit`), 'utf8');
      const funcs = text.split('\n').filter((line) => /^\s+[a-z-]+: func/.test(line));
      expect(funcs.length, iface).toBe(OPERATIONS_BY_INTERFACE[iface as keyof typeof OPERATIONS_BY_INTERFACE].length);
      for (const line of funcs) expect(line, `${iface}: ${line.trim()}`).toMatch(/-> result<.*, manager-error>;$/);
    }
  });
});
