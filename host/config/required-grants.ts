import { basename } from 'node:path';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import type { GuestConfig } from './guest-config.js';

/** "{mount_point}/data" with the option's value (or the manager's default) in place of the key. */
function resolvePath(path: string, config: GuestConfig, manifest: ManagerManifest): string | undefined {
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

/**
 * Every grant the manager's manifest asks for must be in the config; the host
 * refuses to start otherwise, naming each missing one and what it is for.
 */
export function checkRequiredGrants(manifest: ManagerManifest, config: GuestConfig, file: string): void {
  const missing: string[] = [];
  const { grants } = config;
  for (const request of manifest.capabilities.programs) {
    const granted = request.program.startsWith('/')
      ? grants.programs.includes(request.program)
      : grants.programs.filter((program) => basename(program) === request.program).length === 1;
    if (!granted) missing.push(`program ${request.program} (${request.purpose}): add its absolute path to grants.programs`);
  }
  for (const request of manifest.capabilities.directories) {
    const path = resolvePath(request.path, config, manifest);
    if (path === undefined) {
      missing.push(`directory ${request.path} (${request.purpose}): set the option it names in [options]`);
      continue;
    }
    const grant = grants.directories.find((d) => covers(d.guest ?? d.host, path) && (request.access === 'read-only' || d.access === 'read-write'));
    if (!grant) missing.push(`directory ${path} ${request.access} (${request.purpose}): add it to grants.directories with access = "${request.access}"`);
  }
  for (const request of manifest.capabilities.connections) {
    const grant = grants.connections[request.name];
    if (!grant) missing.push(`connection "${request.name}" (${request.kind}, ${request.purpose}): add [grants.connections.${request.name}] with kind = "${request.kind}"`);
    else if (grant.kind !== request.kind) missing.push(`connection "${request.name}" must be kind "${request.kind}", the config says "${grant.kind}"`);
  }
  for (const name of manifest.capabilities.environment) {
    if (!(name in grants.environment)) missing.push(`environment variable ${name}: add it to [grants.environment]`);
  }
  if (missing.length > 0) {
    throw new BerthError(
      'BERTH_ERR_GRANTS_MISSING',
      `${manifest.name} needs grants that ${file} does not give:\n  - ${missing.join('\n  - ')}`,
      'add the grants listed above (`berth inspect` shows everything the manager asks for)',
    );
  }
}
