import type * as Events from '../generated/interfaces/berth-datastore-events.js';

export type ManagerEvent = Events.Event;

/**
 * berth:datastore/events: what the manager publishes goes to `sink` (the
 * sandbox forwards it to the guest link, which casts it to the server in
 * order). Publishing never fails or blocks the manager, by contract.
 */
export function createEvents(sink: (event: ManagerEvent) => void): typeof Events {
  return {
    publish: (event) => {
      try {
        sink(event);
      } catch {
        // a sink that fails must not become the manager's problem
      }
    },
  };
}
