// A real `berth host` running a hostile manager with the grants the local provisioner gives a
// built-in datastore (server/registry/builtin-datastores.ts): the same programs, connections,
// volume and guest config, rendered as the server renders them, so what the manager meets is
// the exec capability exactly as a real instance's host builds it.
import { chmodSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildManager, type BuildResult } from '../../../datastores/toolchain/build.js';
import { PACKAGE_ROOT } from '../../../datastores/toolchain/paths.js';
import { describeComponent } from '../../../host/component/describe.js';
import { guestConfigToml, renderGuestConfig } from '../../../server/instances/guest-config.js';
import { LocalProvisioner } from '../../../server/provisioning/local.js';
import { datastoreConfigSchema, DatastoreRegistry, type DatastoreConfig } from '../../../server/registry/registry.js';
import type { InstanceRecord } from '../../../server/store/store.js';
import { runHost, startHub, TOKEN, until } from '../../support/guest-host.js';

/** What a run of a granted program came to, as managers/program-abuse.ts reports it. */
export interface RunOutcome {
  ok?: { exitCode?: number; stderr: string };
  err?: { tag: string; val: string };
}

export interface RunRequest {
  program: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
}

export interface BuiltinGuest {
  /** The instance's volume (guest path = host path, as the local provisioner mounts it). */
  volume: string;
  /** The guest options the provisioner chose for this instance (its port, its secrets). */
  options: Record<string, string | number | boolean | string[]>;
  /** The hostile manager runs a granted program; the host's answer. */
  run(request: RunRequest): Promise<RunOutcome>;
  close(): Promise<void>;
}

/** managers/program-abuse.ts, built once per test file. */
export function buildProgramAbuse(): Promise<BuildResult> {
  return buildManager({ describe: describeComponent, entry: join(PACKAGE_ROOT, 'test', 'security', 'managers', 'program-abuse.ts'), backend: 'quickjs' });
}

/**
 * `datastore` (a built-in's config, e.g. postgresqlDatastore(...)) with the hostile manager as its
 * manager, run as the shared OS user `runAs` (a root server would make one per instance: the
 * grants are the same), plus `extraPrograms` as an operator's extra grant.
 */
export async function startBuiltinGuest(datastore: DatastoreConfig, manager: BuildResult, runAs: string, extraPrograms: string[] = []): Promise<BuiltinGuest> {
  const cleanups: Array<() => Promise<unknown>> = [];
  const close = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const dataDir = await mkdtemp(join(tmpdir(), 'berth-sec-builtin-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    chmodSync(dataDir, 0o755);
    const wasm = join(dataDir, 'program-abuse.wasm');
    await writeFile(wasm, manager.bytes);
    const version = datastore.versions[0]!.name;
    const config = datastoreConfigSchema.parse({ ...datastore, local: { ...datastore.local, run_as: runAs }, versions: [{ name: version, manager: { path: wasm, sha256: manager.sha256 } }] });
    const placed = new DatastoreRegistry([config]).version(datastore.name, version)!;
    const hub = await startHub({});
    cleanups.push(() => hub.close());
    const provisioner = new LocalProvisioner({ dataDir, grants: { programs: extraPrograms } });
    // placement reads the record's id alone (the instance's directory)
    const placement = await provisioner.placement({ id: 'inst-1' } as InstanceRecord, placed);
    const guestConfig = renderGuestConfig(placed, { instanceId: 'inst-1', token: TOKEN, serverUrl: hub.url }, placement, 0.2);
    const configPath = join(dataDir, 'instances', 'inst-1', 'guest.toml');
    await writeFile(configPath, guestConfigToml(guestConfig), { mode: 0o600 });
    runHost(configPath, cleanups);
    await until(() => hub.hub.isConnected('inst-1'), 'the host to connect', 60_000);
    const run = async (request: RunRequest): Promise<RunOutcome> => {
      const paging = { limit: undefined, marker: JSON.stringify(request), includeMarker: false };
      const answer = (await hub.hub.call('inst-1', 'list-databases', [paging], 60_000)) as { ok?: { items: Array<{ name: string }> } };
      if (!answer.ok) throw new Error(`the manager did not answer: ${JSON.stringify(answer)}`);
      return JSON.parse(answer.ok.items[0]!.name) as RunOutcome;
    };
    return { volume: placement.grants.directories[0]!.host, options: placement.optionOverrides ?? {}, run, close };
  } catch (error) {
    await close();
    throw error;
  }
}
