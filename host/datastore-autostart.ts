import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { OperationName } from '../datastores/sdk/operations.js';
import { replaceStateFile } from './state-file.js';

type Outcome = { ok?: unknown } | { err: unknown };
type Call = (operation: OperationName, args: unknown[]) => Promise<Outcome>;

/** What the operator last asked of the datastore: what a host that starts must restore. */
export type WantedState = 'running' | 'stopped';

/** Statuses after which a datastore that should run is started again. */
const DOWN = new Set(['shutdown', 'crashed', 'failed']);
/** Waits between attempts to start it (about half a minute in all). */
const RETRY_DELAYS_MS = [500, 1000, 2000, 4000, 8000, 16_000];

/**
 * The datastore comes back when its guest host starts (a reboot, a crash of
 * the host, `berth up` again) if it was running before, the way an enabled
 * system service does; one stopped on purpose (stop-db with
 * disable-autostart) stays down.
 *
 * This lives in the host, not the server or the manager: it must work when
 * the control plane is unreachable after a reboot, as systemd's would; the
 * host is the one that sees every operation's outcome on the machine; and no
 * manager has to write boot logic for it (start-db-with-conf-changes with no
 * new configuration is the contract's start). The record is a file in the
 * host's state directory, which no grant reaches: a manager cannot switch it.
 */
export class DatastoreAutostart {
  private readonly file: string;

  constructor(stateDir: string) {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    this.file = join(stateDir, 'datastore-wanted');
  }

  wanted(): WantedState | undefined {
    try {
      const recorded = readFileSync(this.file, 'utf8').trim();
      return recorded === 'running' || recorded === 'stopped' ? recorded : undefined;
    } catch {
      return undefined;
    }
  }

  /** After each call: an operation that succeeded may change what the operator wants. */
  record(operation: OperationName, args: unknown[], outcome: Outcome): void {
    if (!('ok' in outcome)) return;
    const wanted = wantedAfter(operation, args);
    if (wanted && wanted !== this.wanted()) {
      replaceStateFile(this.file, `${wanted}\n`);
    }
  }

  /**
   * At host start: probe, and start the datastore if it should run and does
   * not. Says what it did, for the log; never throws (a datastore that will
   * not start is reported by the heartbeats).
   */
  async bringBack(operations: readonly OperationName[], call: Call, log: Logger, retryDelaysMs: readonly number[] = RETRY_DELAYS_MS): Promise<string> {
    if (this.wanted() !== 'running') return this.wanted() === 'stopped' ? 'stopped on purpose: left down' : 'never started: nothing to bring back';
    if (!operations.includes('status') || !operations.includes('start-db-with-conf-changes')) return 'the manager cannot say its status or start the datastore';
    // what died with the host may still be letting go (a dying postmaster's shared memory): tried again, as a service manager would
    for (let attempt = 0; ; attempt++) {
      try {
        const probed = await call('status', []);
        const status = 'ok' in probed ? String(probed.ok) : 'unknown';
        if (!DOWN.has(status)) return attempt === 0 ? `the datastore is ${status}: left as it is` : 'started';
        log.info({ status, attempt }, 'the datastore was running before this host started and is down: starting it');
        const started = await call('start-db-with-conf-changes', ['']);
        if (!('err' in started)) return 'started';
        log.warn({ err: started.err, attempt }, 'could not bring the datastore back');
      } catch (error) {
        log.warn({ err: (error as Error).message, attempt }, 'could not bring the datastore back');
      }
      const delay = retryDelaysMs[attempt];
      if (delay === undefined) {
        log.error({ attempts: attempt + 1 }, 'gave up bringing the datastore back: the heartbeats report it down');
        return 'start failed';
      }
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function wantedAfter(operation: OperationName, args: unknown[]): WantedState | undefined {
  switch (operation) {
    case 'prepare':
    case 'restart':
    case 'start-db-with-conf-changes':
    case 'restore-backup':
    case 'post-upgrade':
      return 'running';
    case 'stop-db':
      // without disable-autostart the datastore is down now but comes back at boot (Trove's do_not_start_on_reboot)
      return args[0] === true ? 'stopped' : undefined;
    default:
      return undefined;
  }
}
