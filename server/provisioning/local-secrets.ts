import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parse } from 'smol-toml';

/**
 * The values of a local instance's `[datastores.local] secrets`: the ones
 * inherited from the backup it is restored from (its data holds credentials
 * made with them), a fresh random one for every other name.
 */
export function localSecretValues(names: readonly string[], inherited: Readonly<Record<string, string>> = {}): Record<string, string> {
  const values: Record<string, string> = {};
  for (const name of names) values[name] = Object.hasOwn(inherited, name) ? (inherited[name] as string) : randomBytes(24).toString('base64url');
  return values;
}

/** The secrets among the options of the guest config the local provisioner wrote ({} when it has none). */
export async function readLocalSecrets(configPath: string, names: readonly string[]): Promise<Record<string, string>> {
  let options: unknown;
  try {
    options = parse(await readFile(configPath, 'utf8')).options;
  } catch {
    return {};
  }
  if (typeof options !== 'object' || options === null) return {};
  const found: Record<string, string> = {};
  for (const name of names) {
    const value = (options as Record<string, unknown>)[name];
    if (typeof value === 'string') found[name] = value;
  }
  return found;
}
