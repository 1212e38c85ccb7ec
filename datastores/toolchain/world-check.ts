import { BerthError } from '../errors/berth-error.js';
import { CONTRACT, LOADABLE_CONTRACT_VERSIONS, OPERATION_INTERFACES } from '../sdk/operations.js';

const CONTRACT_PACKAGE = 'berth:datastore';

/** Interfaces a manager may import: the contract's capabilities and what the JS engines need for themselves. */
const GRANTABLE_IMPORTS = [
  /^berth:datastore\/(types|exec|connections|events|artifacts)@0\.[12]\.0$/,
  /^wasi:config\/store@0\.2\.0-draft$/,
  /^wasi:logging\/logging@0\.1\.0-draft$/,
  /^wasi:filesystem\/(types|preopens)@0\.2\.\d+$/,
  /^wasi:(io\/(error|poll|streams)|clocks\/(monotonic-clock|wall-clock)|random\/(random|insecure|insecure-seed))@0\.2\.\d+$/,
  /^wasi:cli\/(environment|exit|stdin|stdout|stderr|terminal-(input|output|stdin|stdout|stderr))@0\.2\.\d+$/,
];

export interface WorldSummary {
  imports: string[];
  exports: string[];
}

/** Interface imports and exports of a component, read from its embedded WIT. */
export async function readWorld(bytes: Uint8Array): Promise<WorldSummary> {
  // jco is heavy to load; only inspect and build need it
  const { componentWit } = await import('@bytecodealliance/jco');
  const wit = await componentWit(bytes);
  const imports: string[] = [];
  const exports: string[] = [];
  for (const line of wit.split('\n')) {
    const match = /^\s*(import|export)\s+([a-z0-9-]+:[a-z0-9-]+\/[a-z0-9-]+(?:@[^;\s]+)?)\s*;/.exec(line);
    if (!match) continue;
    (match[1] === 'import' ? imports : exports).push(match[2]!);
  }
  return { imports, exports };
}

/** The loadable contract version whose interfaces the component all exports; else the closest one's missing names. */
function exportedVersion(world: WorldSummary): { version?: string; missing: string[] } {
  let closest: string[] | undefined;
  for (const version of [...LOADABLE_CONTRACT_VERSIONS].reverse()) {
    const expected = ['manifest', ...OPERATION_INTERFACES].map((name) => `${CONTRACT_PACKAGE}/${name}@${version}`);
    const absent = expected.filter((name) => !world.exports.includes(name));
    if (absent.length === 0) return { version, missing: [] };
    if (!closest || absent.length < closest.length) closest = absent;
  }
  return { missing: closest ?? [] };
}

/**
 * A manager exports every operation interface of one loadable version of
 * berth:datastore (the current one or an older one the host still loads) and
 * imports nothing Berth never grants (sockets, HTTP...). Types are right by
 * construction for `berth build` output; `describe()` and the function check
 * at instantiation cover the rest.
 */
export function checkManagerWorld(world: WorldSummary, file: string): void {
  const { version, missing } = exportedVersion(world);
  if (version === undefined) {
    const other = world.exports.find((name) => name.startsWith(`${CONTRACT_PACKAGE}/`));
    const why = other
      ? `it exports ${other} but not ${missing.join(', ')}: it was built against another version of the contract`
      : `it exports ${world.exports.length ? world.exports.join(', ') : 'no interfaces'} instead of the ${CONTRACT} interfaces`;
    throw new BerthError(
      'BERTH_ERR_WASM_WRONG_WORLD',
      `${file} is a WebAssembly component but not a Berth datastore manager: ${why}`,
      'build the manager with `berth build <entry.ts>` against wit/ (world berth:datastore/manager)',
    );
  }
  const ungrantable = world.imports.filter(
    (name) => !GRANTABLE_IMPORTS.some((pattern) => pattern.test(name)) || (name.startsWith(`${CONTRACT_PACKAGE}/`) && !name.endsWith(`@${version}`)),
  );
  if (ungrantable.length > 0) {
    throw new BerthError(
      'BERTH_ERR_WASM_UNGRANTABLE_IMPORT',
      `${file} imports ${ungrantable.join(', ')}, which Berth never grants to a manager`,
      'remove the dependency that pulls these in (network access goes through granted connections only)',
    );
  }
}
