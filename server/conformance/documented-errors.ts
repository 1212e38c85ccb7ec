import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../../datastores/toolchain/paths.js';

const VARIANTS = ['unsupported', 'invalid-argument', 'not-found', 'already-exists', 'denied', 'unavailable', 'failed'] as const;
export type ErrorVariant = (typeof VARIANTS)[number];

/**
 * The error cases each operation's WIT documentation lists ("Errors:
 * not-found, failed."), read from the contract itself so the check and the
 * contract cannot drift apart. An operation whose documentation lists none
 * may answer any case.
 */
export function documentedErrors(witDir: string = join(PACKAGE_ROOT, 'wit')): Map<string, Set<ErrorVariant>> {
  const documented = new Map<string, Set<ErrorVariant>>();
  for (const file of readdirSync(witDir).filter((name) => name.endsWith('.wit'))) {
    let doc: string[] = [];
    for (const line of readFileSync(join(witDir, file), 'utf8').split('\n')) {
      const trimmed = line.trim();
      if (trimmed.startsWith('///')) {
        doc.push(trimmed.slice(3));
        continue;
      }
      const operation = /^([a-z][a-z0-9-]*): func\(/.exec(trimmed)?.[1];
      const text = doc.join(' ');
      doc = [];
      if (!operation) continue;
      const at = text.indexOf('Errors:');
      if (at < 0) continue;
      const listed = text.slice(at + 'Errors:'.length);
      documented.set(operation, new Set(VARIANTS.filter((variant) => new RegExp(`(^|[^a-z-])${variant}([^a-z-]|$)`).test(listed))));
    }
  }
  return documented;
}
