import { wallClock } from '../capabilities/engine.js';
import type { ImportObject } from '../generated/manager.js';
import type * as Types from '../generated/interfaces/berth-datastore-types.js';
import { createConfigStore } from '../capabilities/config-store.js';
import { createLogging, type ManagerLogEntry } from '../capabilities/logging.js';
import { createFiles, type DirectoryGrant } from '../capabilities/files.js';
import { createIoImports } from '../capabilities/wasi-io.js';
import {
  createDeniedArtifacts,
  createDeniedConnections,
  createDeniedExec,
  createDroppedEvents,
} from '../capabilities/denied.js';

/**
 * The capabilities one manager instance gets. Every field is optional and an
 * absent one is the empty grant: no options, no directories, programs,
 * connections or artifacts; log lines and events go nowhere.
 */
export interface SandboxGrant {
  options?: Readonly<Record<string, string>>;
  directories?: readonly DirectoryGrant[];
  /** Told of every refusal a host-side capability makes, for the operator's log. */
  onDenied?(capability: string, what: string): void;
  log?: (entry: ManagerLogEntry) => void;
  exec?: ImportObject['berth:datastore/exec@0.2.0'];
  connections?: ImportObject['berth:datastore/connections@0.2.0'];
  events?: ImportObject['berth:datastore/events@0.2.0'];
  artifacts?: ImportObject['berth:datastore/artifacts@0.2.0'];
}

/** The contract's imports for one instance, each built from its grant. */
export function createSandboxImports(grant: SandboxGrant = {}): ImportObject {
  const files = createFiles(grant.directories ?? [], grant.onDenied);
  const io = createIoImports();
  return {
    'wasi:config/store@0.2.0-draft': createConfigStore(grant.options ?? {}),
    'wasi:logging/logging@0.1.0-draft': createLogging(grant.log ?? (() => undefined)),
    'wasi:filesystem/preopens@0.2.12': files.preopens,
    'wasi:filesystem/types@0.2.12': files.types,
    // the streams files hand out; the engine's stdio streams are the same classes (engine.ts)
    'wasi:io/error@0.2.12': io.error,
    'wasi:io/poll@0.2.12': io.poll,
    'wasi:io/streams@0.2.12': io.streams,
    'wasi:clocks/wall-clock@0.2.12': wallClock,
    // An interface of types only: nothing to supply.
    'berth:datastore/types@0.2.0': {} as typeof Types,
    'berth:datastore/exec@0.2.0': grant.exec ?? createDeniedExec(),
    'berth:datastore/connections@0.2.0': grant.connections ?? createDeniedConnections(),
    'berth:datastore/events@0.2.0': grant.events ?? createDroppedEvents(),
    'berth:datastore/artifacts@0.2.0': grant.artifacts ?? createDeniedArtifacts(),
  };
}
