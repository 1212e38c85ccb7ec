/// <reference path="./interfaces/berth-datastore-artifacts.d.ts" />
/// <reference path="./interfaces/berth-datastore-backup.d.ts" />
/// <reference path="./interfaces/berth-datastore-configuration.d.ts" />
/// <reference path="./interfaces/berth-datastore-connections.d.ts" />
/// <reference path="./interfaces/berth-datastore-databases.d.ts" />
/// <reference path="./interfaces/berth-datastore-events.d.ts" />
/// <reference path="./interfaces/berth-datastore-exec.d.ts" />
/// <reference path="./interfaces/berth-datastore-guest-log.d.ts" />
/// <reference path="./interfaces/berth-datastore-lifecycle.d.ts" />
/// <reference path="./interfaces/berth-datastore-manifest.d.ts" />
/// <reference path="./interfaces/berth-datastore-replication.d.ts" />
/// <reference path="./interfaces/berth-datastore-root.d.ts" />
/// <reference path="./interfaces/berth-datastore-types.d.ts" />
/// <reference path="./interfaces/berth-datastore-users.d.ts" />
/// <reference path="./interfaces/berth-datastore-volume.d.ts" />
/// <reference path="./interfaces/wasi-clocks-wall-clock.d.ts" />
/// <reference path="./interfaces/wasi-config-store.d.ts" />
/// <reference path="./interfaces/wasi-filesystem-preopens.d.ts" />
/// <reference path="./interfaces/wasi-filesystem-types.d.ts" />
/// <reference path="./interfaces/wasi-io-error.d.ts" />
/// <reference path="./interfaces/wasi-io-poll.d.ts" />
/// <reference path="./interfaces/wasi-io-streams.d.ts" />
/// <reference path="./interfaces/wasi-logging-logging.d.ts" />
declare module 'berth:datastore/manager@0.2.0' {
  import type * as BerthDatastoreArtifacts from 'berth:datastore/artifacts@0.2.0'; // berth:datastore/artifacts@0.2.0
  import type * as BerthDatastoreConnections from 'berth:datastore/connections@0.2.0'; // berth:datastore/connections@0.2.0
  import type * as BerthDatastoreEvents from 'berth:datastore/events@0.2.0'; // berth:datastore/events@0.2.0
  import type * as BerthDatastoreExec from 'berth:datastore/exec@0.2.0'; // berth:datastore/exec@0.2.0
  import type * as BerthDatastoreTypes from 'berth:datastore/types@0.2.0'; // berth:datastore/types@0.2.0
  import type * as WasiClocksWallClock from 'wasi:clocks/wall-clock@0.2.12'; // wasi:clocks/wall-clock@0.2.12
  import type * as WasiConfigStore from 'wasi:config/store@0.2.0-draft'; // wasi:config/store@0.2.0-draft
  import type * as WasiFilesystemPreopens from 'wasi:filesystem/preopens@0.2.12'; // wasi:filesystem/preopens@0.2.12
  import type * as WasiFilesystemTypes from 'wasi:filesystem/types@0.2.12'; // wasi:filesystem/types@0.2.12
  import type * as WasiIoError from 'wasi:io/error@0.2.12'; // wasi:io/error@0.2.12
  import type * as WasiIoPoll from 'wasi:io/poll@0.2.12'; // wasi:io/poll@0.2.12
  import type * as WasiIoStreams from 'wasi:io/streams@0.2.12'; // wasi:io/streams@0.2.12
  import type * as WasiLoggingLogging from 'wasi:logging/logging@0.1.0-draft'; // wasi:logging/logging@0.1.0-draft
  import type * as BerthDatastoreManifest from 'berth:datastore/manifest@0.2.0'; // berth:datastore/manifest@0.2.0
  import type * as BerthDatastoreBackup from 'berth:datastore/backup@0.2.0'; // berth:datastore/backup@0.2.0
  import type * as BerthDatastoreLifecycle from 'berth:datastore/lifecycle@0.2.0'; // berth:datastore/lifecycle@0.2.0
  import type * as BerthDatastoreDatabases from 'berth:datastore/databases@0.2.0'; // berth:datastore/databases@0.2.0
  import type * as BerthDatastoreUsers from 'berth:datastore/users@0.2.0'; // berth:datastore/users@0.2.0
  import type * as BerthDatastoreRoot from 'berth:datastore/root@0.2.0'; // berth:datastore/root@0.2.0
  import type * as BerthDatastoreVolume from 'berth:datastore/volume@0.2.0'; // berth:datastore/volume@0.2.0
  import type * as BerthDatastoreConfiguration from 'berth:datastore/configuration@0.2.0'; // berth:datastore/configuration@0.2.0
  import type * as BerthDatastoreReplication from 'berth:datastore/replication@0.2.0'; // berth:datastore/replication@0.2.0
  import type * as BerthDatastoreGuestLog from 'berth:datastore/guest-log@0.2.0'; // berth:datastore/guest-log@0.2.0
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
  
}
