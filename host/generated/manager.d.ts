// world berth:datastore/manager@0.2.0
import type * as BerthDatastoreArtifacts from './interfaces/berth-datastore-artifacts.js'; // berth:datastore/artifacts@0.2.0
import type * as BerthDatastoreConnections from './interfaces/berth-datastore-connections.js'; // berth:datastore/connections@0.2.0
import type * as BerthDatastoreEvents from './interfaces/berth-datastore-events.js'; // berth:datastore/events@0.2.0
import type * as BerthDatastoreExec from './interfaces/berth-datastore-exec.js'; // berth:datastore/exec@0.2.0
import type * as BerthDatastoreTypes from './interfaces/berth-datastore-types.js'; // berth:datastore/types@0.2.0
import type * as WasiClocksWallClock from './interfaces/wasi-clocks-wall-clock.js'; // wasi:clocks/wall-clock@0.2.12
import type * as WasiConfigStore from './interfaces/wasi-config-store.js'; // wasi:config/store@0.2.0-draft
import type * as WasiFilesystemPreopens from './interfaces/wasi-filesystem-preopens.js'; // wasi:filesystem/preopens@0.2.12
import type * as WasiFilesystemTypes from './interfaces/wasi-filesystem-types.js'; // wasi:filesystem/types@0.2.12
import type * as WasiIoError from './interfaces/wasi-io-error.js'; // wasi:io/error@0.2.12
import type * as WasiIoPoll from './interfaces/wasi-io-poll.js'; // wasi:io/poll@0.2.12
import type * as WasiIoStreams from './interfaces/wasi-io-streams.js'; // wasi:io/streams@0.2.12
import type * as WasiLoggingLogging from './interfaces/wasi-logging-logging.js'; // wasi:logging/logging@0.1.0-draft
import type * as BerthDatastoreManifest from './interfaces/berth-datastore-manifest.js'; // berth:datastore/manifest@0.2.0
import type * as BerthDatastoreBackup from './interfaces/berth-datastore-backup.js'; // berth:datastore/backup@0.2.0
import type * as BerthDatastoreLifecycle from './interfaces/berth-datastore-lifecycle.js'; // berth:datastore/lifecycle@0.2.0
import type * as BerthDatastoreDatabases from './interfaces/berth-datastore-databases.js'; // berth:datastore/databases@0.2.0
import type * as BerthDatastoreUsers from './interfaces/berth-datastore-users.js'; // berth:datastore/users@0.2.0
import type * as BerthDatastoreRoot from './interfaces/berth-datastore-root.js'; // berth:datastore/root@0.2.0
import type * as BerthDatastoreVolume from './interfaces/berth-datastore-volume.js'; // berth:datastore/volume@0.2.0
import type * as BerthDatastoreConfiguration from './interfaces/berth-datastore-configuration.js'; // berth:datastore/configuration@0.2.0
import type * as BerthDatastoreReplication from './interfaces/berth-datastore-replication.js'; // berth:datastore/replication@0.2.0
import type * as BerthDatastoreGuestLog from './interfaces/berth-datastore-guest-log.js'; // berth:datastore/guest-log@0.2.0
export interface ImportObject {
  'berth:datastore/artifacts@0.2.0': typeof BerthDatastoreArtifacts,
  'berth:datastore/connections@0.2.0': typeof BerthDatastoreConnections,
  'berth:datastore/events@0.2.0': typeof BerthDatastoreEvents,
  'berth:datastore/exec@0.2.0': typeof BerthDatastoreExec,
  'berth:datastore/types@0.2.0': typeof BerthDatastoreTypes,
  'wasi:clocks/wall-clock@0.2.12': typeof WasiClocksWallClock,
  'wasi:config/store@0.2.0-draft': typeof WasiConfigStore,
  'wasi:filesystem/preopens@0.2.12': typeof WasiFilesystemPreopens,
  'wasi:filesystem/types@0.2.12': typeof WasiFilesystemTypes,
  'wasi:io/error@0.2.12': typeof WasiIoError,
  'wasi:io/poll@0.2.12': typeof WasiIoPoll,
  'wasi:io/streams@0.2.12': typeof WasiIoStreams,
  'wasi:logging/logging@0.1.0-draft': typeof WasiLoggingLogging,
}
export interface Manager {
  'berth:datastore/manifest@0.2.0': typeof BerthDatastoreManifest,
  manifest: typeof BerthDatastoreManifest,
  'berth:datastore/backup@0.2.0': typeof BerthDatastoreBackup,
  backup: typeof BerthDatastoreBackup,
  'berth:datastore/lifecycle@0.2.0': typeof BerthDatastoreLifecycle,
  lifecycle: typeof BerthDatastoreLifecycle,
  'berth:datastore/databases@0.2.0': typeof BerthDatastoreDatabases,
  databases: typeof BerthDatastoreDatabases,
  'berth:datastore/users@0.2.0': typeof BerthDatastoreUsers,
  users: typeof BerthDatastoreUsers,
  'berth:datastore/root@0.2.0': typeof BerthDatastoreRoot,
  root: typeof BerthDatastoreRoot,
  'berth:datastore/volume@0.2.0': typeof BerthDatastoreVolume,
  volume: typeof BerthDatastoreVolume,
  'berth:datastore/configuration@0.2.0': typeof BerthDatastoreConfiguration,
  configuration: typeof BerthDatastoreConfiguration,
  'berth:datastore/replication@0.2.0': typeof BerthDatastoreReplication,
  replication: typeof BerthDatastoreReplication,
  'berth:datastore/guest-log@0.2.0': typeof BerthDatastoreGuestLog,
  guestLog: typeof BerthDatastoreGuestLog,
}

/**
* Instantiates this component with the provided imports and
* returns a map of all the exports of the component.
*
* This function is intended to be similar to the
* `WebAssembly.Instantiate` constructor. The second `imports`
* argument is the "import object" for wasm, except here it
* uses component-model-layer types instead of core wasm
* integers/numbers/etc.
*
* The first argument to this function, `getCoreModule`, is
* used to compile core wasm modules within the component.
* Components are composed of core wasm modules and this callback
* will be invoked per core wasm module. The caller of this
* function is responsible for reading the core wasm module
* identified by `path` and returning its compiled
* `WebAssembly.Module` object. This would use the
* `WebAssembly.Module` constructor on the web, for example.
*/
export function instantiate(
getCoreModule: (path: string) => WebAssembly.Module,
imports: ImportObject,
instantiateCore?: (module: WebAssembly.Module, imports: Record<string, any>) => WebAssembly.Instance
): Manager;
export function instantiate(
getCoreModule: (path: string) => WebAssembly.Module | Promise<WebAssembly.Module>,
imports: ImportObject,
instantiateCore?: (module: WebAssembly.Module, imports: Record<string, any>) => WebAssembly.Instance | Promise<WebAssembly.Instance>
): Manager | Promise<Manager>;

