import { join } from 'node:path';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import { missingGrants, type GrantsToCheck, type MissingGrant } from '../../host/config/required-grants.js';
import type { GuestPlacement } from '../instances/guest-config.js';
import type { LocalPlacement } from '../registry/local-placement.js';
import type { DatastoreRegistry, DatastoreVersion } from '../registry/registry.js';
import { INSTANCE_MARKER } from './local-machine.js';

type Grants = GuestPlacement['grants'];
type Connections<C> = Readonly<Record<string, C>>;

/**
 * The grants a local instance's guest config gets: its volume, the version's
 * [datastores.local] block, the provisioner's extra grants, and the instance
 * marker. `connections`: the version's, filled in for the instance (or as
 * templates, where only their kinds matter).
 */
export function localGuestGrants<C extends { kind: string }>(
  local: LocalPlacement,
  extra: Partial<Grants>,
  volume: string,
  connections: Connections<C>,
  instanceId: string,
): Omit<Grants, 'connections'> & { connections: Connections<C | Grants['connections'][string]> } {
  return {
    directories: [{ host: volume, guest: volume, access: 'read-write' }, ...local.directories, ...(extra.directories ?? [])],
    programs: [...local.programs, ...(extra.programs ?? [])],
    connections: { ...connections, ...(extra.connections ?? {}) },
    // granted, so no manager may override it: every program its host runs or spawns, and what those start
    // (a daemon that forked itself away, one orphaned by a host killed with SIGKILL), carries it; delete looks for it
    environment: { ...local.environment, ...(extra.environment ?? {}), [INSTANCE_MARKER]: instanceId },
  };
}

/** The server config's key that gives a missing grant, and how. */
function serverFix(missing: MissingGrant, datastore: string): string {
  const block = `[datastores.local] of the [[datastores]] entry with name = "${datastore}"`;
  switch (missing.kind) {
    case 'program':
      return missing.name.startsWith('/')
        ? `add "${missing.name}" to programs in ${block}`
        : `add the absolute path of ${missing.name} on this machine to programs in ${block} (install it first if it is not)`;
    case 'directory':
      return `add { host = "${missing.name}", access = "${missing.access ?? 'read-only'}" } to directories in ${block}`;
    case 'connection':
      return `add [datastores.local.connections.${missing.name}] with kind = "${missing.connectionKind ?? ''}" and its url to that entry (or correct its kind)`;
    case 'environment':
      return `add ${missing.name} to [datastores.local.environment] of that entry`;
    case 'option':
      return `set the option the path names in [datastores.guest] of that entry`;
  }
}

/** What one version's guests would be granted: a stand-in instance whose volume is where the provisioner puts one. */
function versionGrants(version: DatastoreVersion, extra: Partial<Grants>, dataDir: string): GrantsToCheck {
  const { local } = version;
  const volume = join(dataDir, 'instances', '<instance>', 'volume');
  const options: GrantsToCheck['options'] = { ...version.guest, mount_point: volume };
  for (const key of [...local.ports, ...local.secrets]) options[key] = `<${key}>`;
  return { options, grants: localGuestGrants(local, extra, volume, local.connections, '<instance>') };
}

/**
 * At server start, with the local provisioner: each datastore version's
 * manager must get from the server config every grant its manifest asks for.
 * A gap would only show when an instance is created (its guest host refusing
 * its config); it fails the start instead, naming the datastore, the missing
 * grant and the server config key that gives it.
 */
export function checkLocalGrants(registry: DatastoreRegistry, manifestOf: (version: DatastoreVersion) => ManagerManifest, extra: Partial<Grants>, dataDir: string): void {
  for (const datastore of registry.list()) {
    for (const version of datastore.versions) {
      const manifest = manifestOf(version);
      const missing = missingGrants(manifest, versionGrants(version, extra, dataDir));
      if (missing.length === 0) continue;
      const first = missing[0]!;
      const lines = missing.map((m) => `${m.what}: ${serverFix(m, datastore.name)}`);
      throw new BerthError(
        'BERTH_ERR_LOCAL_GRANTS_MISSING',
        `datastore ${datastore.name} (version ${version.name}): its manager ${manifest.name} needs grants the server config does not give its instances:\n  - ${lines.join('\n  - ')}`,
        `give them in the datastore's [datastores.local] block (programs, directories, connections, environment; a version's [datastores.versions.local] replaces a field of it), or leave the datastore out (\`berth inspect ${version.manager.path}\` lists what the manager asks for)`,
        { details: { datastore: datastore.name, version: version.name, grant: first.kind, name: first.name, key: keyOf(first) } },
      );
    }
  }
}

/** The server config key of a missing grant, as docs/server-config.md spells it. */
function keyOf(missing: MissingGrant): string {
  switch (missing.kind) {
    case 'program':
      return 'datastores.local.programs';
    case 'directory':
      return 'datastores.local.directories';
    case 'connection':
      return `datastores.local.connections.${missing.name}`;
    case 'environment':
      return 'datastores.local.environment';
    case 'option':
      return 'datastores.guest';
  }
}
