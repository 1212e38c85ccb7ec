import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

// Every import points down: server -> host -> datastores. The guest host is
// installed on database servers without the control plane, so a host file that
// reached into server/ would either drag the server along or fail there.
const ROOT = resolve(import.meta.dirname, '..');
const LAYERS = ['datastores', 'host', 'server'] as const;
type Layer = (typeof LAYERS)[number];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' || entry.name === 'node_modules' ? [] : sourceFiles(path);
    return /\.(ts|mts)$/.test(entry.name) ? [path] : [];
  });
}

function layerOf(path: string): Layer | undefined {
  const top = relative(ROOT, path).split('/')[0];
  return LAYERS.find((layer) => layer === top);
}

function relativeImports(source: string): string[] {
  const specifiers = [...source.matchAll(/(?:from\s+|import\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)];
  return specifiers.map((match) => match[1] ?? '');
}

function upwardImports(): string[] {
  const found: string[] = [];
  for (const layer of LAYERS) {
    for (const file of sourceFiles(join(ROOT, layer))) {
      const own = LAYERS.indexOf(layer);
      for (const specifier of relativeImports(readFileSync(file, 'utf8'))) {
        const target = layerOf(resolve(dirname(file), specifier));
        if (target === undefined || LAYERS.indexOf(target) > own) {
          found.push(`${relative(ROOT, file)} imports ${specifier}`);
        }
      }
    }
  }
  return found;
}

describe('layering', () => {
  it('has no import from a lower layer into a higher one, nor out of the three layers', () => {
    expect(upwardImports()).toEqual([]);
  });

  it('finds an upward import when there is one', () => {
    const fake = "import { x } from '../../server/errors/catalogue.js';";
    expect(relativeImports(fake)).toEqual(['../../server/errors/catalogue.js']);
    const target = layerOf(resolve(join(ROOT, 'host/rpc'), '../../server/errors/catalogue.js'));
    expect(target).toBe('server');
  });
});
