import { readFile } from 'node:fs/promises';
import { readEmbeddedManifest } from '../../datastores/toolchain/inspect.js';
import { sha256 } from '../../datastores/toolchain/digest.js';
import type { ManagerManifest } from '../../datastores/toolchain/manifest.js';
import type { ParameterRuleManifest } from '../../datastores/toolchain/parameter-rules.js';
import { BerthError } from '../../datastores/errors/berth-error.js';
import type { DatastoreRegistry, DatastoreVersion } from './registry.js';

const key = (version: DatastoreVersion) => `${version.datastore}/${version.name}`;

/**
 * Each version's manager manifest, read once at start from the pinned .wasm
 * (checked against its sha256). The server refuses an operation the manager
 * does not support from this, without asking the guest.
 */
export class ManifestCatalog {
  private constructor(private readonly manifests: ReadonlyMap<string, ManagerManifest>) {}

  static async load(registry: DatastoreRegistry): Promise<ManifestCatalog> {
    const manifests = new Map<string, ManagerManifest>();
    for (const datastore of registry.list()) {
      for (const version of datastore.versions) {
        const bytes = await readFile(version.manager.path).catch((error: NodeJS.ErrnoException) => {
          throw new BerthError('BERTH_ERR_CONFIG_INVALID', `datastore ${key(version)}: manager ${version.manager.path}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`, 'build it with `berth build` or correct manager.path');
        });
        const digest = sha256(bytes);
        if (digest !== version.manager.sha256) {
          throw new BerthError('BERTH_ERR_WASM_SHA256_MISMATCH', `datastore ${key(version)}: ${version.manager.path} has sha256 ${digest}, the config pins ${version.manager.sha256}`, 'update manager.sha256 after checking the new file');
        }
        const manifest = readEmbeddedManifest(bytes, version.manager.path);
        if (!manifest.datastores.includes(version.datastore)) {
          throw new BerthError('BERTH_ERR_CONFIG_INVALID', `datastore ${key(version)}: ${manifest.name} serves ${manifest.datastores.join(', ')}, not ${version.datastore}`, 'point manager.path at the manager for this datastore');
        }
        manifests.set(key(version), manifest);
      }
    }
    return new ManifestCatalog(manifests);
  }

  of(version: DatastoreVersion): ManagerManifest {
    const manifest = this.manifests.get(key(version));
    if (!manifest) throw new BerthError('BERTH_ERR_INTERNAL', `no manifest loaded for ${key(version)}`);
    return manifest;
  }

  /**
   * The configuration parameters the version's manager declares. Empty for a
   * manager built for berth:datastore@0.1.0 or one that declares none: then
   * nothing is known and a group's keys are the manager's to refuse.
   */
  parameters(version: DatastoreVersion): readonly ParameterRuleManifest[] {
    return this.of(version).parameters;
  }
}
