import { publish } from 'berth:datastore/events@0.2.0';
import type { ServiceStatus } from 'berth:datastore/types@0.2.0';

export interface Events {
  /** Progress of the running operation; percent 0-100 when known. */
  progress(message: string, percent?: number): void;
  /** The datastore's status changed outside a heartbeat. */
  status(status: ServiceStatus): void;
}

export function events(operation: string): Events {
  return {
    progress(message, percent) {
      const clamped = percent === undefined ? undefined : Math.max(0, Math.min(100, Math.round(percent)));
      publish({ tag: 'progress', val: { operation, percent: clamped, message } });
    },
    status(status) {
      publish({ tag: 'status', val: status });
    },
  };
}
