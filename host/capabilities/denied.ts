import type * as Exec from '../generated/interfaces/berth-datastore-exec.js';
import type * as Connections from '../generated/interfaces/berth-datastore-connections.js';
import type * as Artifacts from '../generated/interfaces/berth-datastore-artifacts.js';
import type * as Events from '../generated/interfaces/berth-datastore-events.js';
import { capabilityFailure } from './failure.js';

const deny = (what: string): never => {
  throw capabilityFailure({ tag: 'denied', val: `${what}: nothing is granted` });
};

/**
 * The empty grant for Berth's own capabilities, used when a manager runs with
 * nothing granted (`berth build` checking it, `berth inspect` describing it).
 */
export function createDeniedExec(): typeof Exec {
  return {
    run: (command) => deny(`program ${command.program}`),
    spawn: (command) => deny(`program ${command.program}`),
    signal: (pid) => deny(`pid ${pid}`),
    status: (pid) => deny(`pid ${pid}`),
  };
}

export function createDeniedConnections(): typeof Connections {
  return {
    sqlQuery: (connection) => deny(`connection ${connection}`),
    redisCommand: (connection) => deny(`connection ${connection}`),
  };
}

export function createDeniedArtifacts(): typeof Artifacts {
  return {
    write: (artifact) => deny(`artifact ${artifact}`),
    read: (artifact) => deny(`artifact ${artifact}`),
  };
}

/** Events with nowhere to go are dropped: publishing never fails by contract. */
export function createDroppedEvents(): typeof Events {
  return { publish: () => undefined };
}
