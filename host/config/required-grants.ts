import { basename } from 'node:path';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import type { GuestConfig } from './guest-config.js';

/** "{mount_point}/data" with the option's value (or the manager's default) in place of the key. */
function resolvePath(path: string, config: Pick<GuestConfig, 'options'>, manifest: ManagerManifest): string | undefined {
  let unresolved = false;
  const resolved = path.replace(/\{([a-z0-9_]+)\}/gi, (_, key: string) => {
    const value = config.options[key] ?? manifest.options.find((option) => option.key === key)?.defaultValue;
    if (value === undefined) unresolved = true;
    return String(value ?? '');
  });
  return unresolved ? undefined : resolved;
}

function covers(grantPath: string, path: string): boolean {
  return path === grantPath || path.startsWith(grantPath.endsWith('/') ? grantPath : `${grantPath}/`);
}

/** One grant a manifest asks for that a config does not give: what it is, what it is for, how to give it (in guest.toml's terms). */
export interface MissingGrant {
  kind: 'program' | 'directory' | 'connection' | 'environment' | 'option';
  /** The program, path, connection name, variable or option as the manifest names it (a path resolved). */
  name: string;
  /** The missing grant in words, e.g. "program tinydb-ctl (start and stop tinydb)". */
  what: string;
  /** How to give it in a guest config. */
  guestFix: string;
  /** A directory's access, a connection's kind. */
  access?: 'read-only' | 'read-write';
  connectionKind?: string;
}

/** What missingGrants() reads of a config: its options, and its grants (of a connection, only the kind). */
export interface GrantsToCheck {
  options: GuestConfig['options'];
  grants: Omit<GuestConfig['grants'], 'connections'> & { connections: Readonly<Record<string, { kind: string }>> };
}

/** The grants the manager's manifest asks for that `config` lacks, in manifest order. */
export function missingGrants(manifest: ManagerManifest, config: GrantsToCheck): MissingGrant[] {
  const missing: MissingGrant[] = [];
  const { grants } = config;
  for (const request of manifest.capabilities.programs) {
    const granted = request.program.startsWith('/')
      ? grants.programs.includes(request.program)
      : grants.programs.filter((program) => basename(program) === request.program).length === 1;
    if (!granted) missing.push({ kind: 'program', name: request.program, what: `program ${request.program} (${request.purpose})`, guestFix: 'add its absolute path to grants.programs' });
  }
  for (const request of manifest.capabilities.directories) {
    const path = resolvePath(request.path, config, manifest);
    if (path === undefined) {
      missing.push({ kind: 'option', name: request.path, what: `directory ${request.path} (${request.purpose})`, guestFix: 'set the option it names in [options]' });
      continue;
    }
    const grant = grants.directories.find((d) => covers(d.guest ?? d.host, path) && (request.access === 'read-only' || d.access === 'read-write'));
    if (!grant) {
      missing.push({ kind: 'directory', name: path, access: request.access, what: `directory ${path} ${request.access} (${request.purpose})`, guestFix: `add it to grants.directories with access = "${request.access}"` });
    }
  }
  for (const request of manifest.capabilities.connections) {
    const grant = grants.connections[request.name];
    const connection = { kind: 'connection' as const, name: request.name, connectionKind: request.kind };
    if (!grant) missing.push({ ...connection, what: `connection "${request.name}" (${request.kind}, ${request.purpose})`, guestFix: `add [grants.connections.${request.name}] with kind = "${request.kind}"` });
    else if (grant.kind !== request.kind) missing.push({ ...connection, what: `connection "${request.name}" of kind "${request.kind}" (${request.purpose}), not "${grant.kind}"`, guestFix: `make [grants.connections.${request.name}] kind = "${request.kind}"` });
  }
  for (const name of manifest.capabilities.environment) {
    if (!(name in grants.environment)) missing.push({ kind: 'environment', name, what: `environment variable ${name}`, guestFix: 'add it to [grants.environment]' });
  }
  return missing;
}

/**
 * Every grant the manager's manifest asks for must be in the config; the host
 * refuses to start otherwise, naming each missing one and what it is for.
 */
export function checkRequiredGrants(manifest: ManagerManifest, config: GuestConfig, file: string): void {
  const missing = missingGrants(manifest, config);
  if (missing.length > 0) {
    throw new BerthError(
      'BERTH_ERR_GRANTS_MISSING',
      `${manifest.name} needs grants that ${file} does not give:\n  - ${missing.map((m) => `${m.what}: ${m.guestFix}`).join('\n  - ')}`,
      'add the grants listed above (`berth inspect` shows everything the manager asks for)',
    );
  }
}
