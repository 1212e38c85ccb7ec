import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { BerthError } from '../datastores/errors/berth-error.js';
import { parseManifest } from '../datastores/toolchain/manifest.js';
import { loadGuestConfig } from './config/load-config.js';
import { optionsForConfigStore, type GuestConfig } from './config/guest-config.js';
import { checkedManager } from './component/checked-manager.js';
import { becomeRunAsUser } from './os-user.js';
import { datastoreAddresses } from './capabilities/datastore-listeners.js';
import { createProgramTable, ProgramSlots } from './capabilities/exec-slots.js';
import { endSpawnedPrograms } from './capabilities/exec-stop.js';
import { Sandbox } from './sandbox/sandbox.js';
import { DatastoreAutostart } from './datastore-autostart.js';
import { StatusProbe } from './status-probe.js';
import { WriteLease } from './write-lease.js';
import type { CallOutcome, SandboxSpec } from './sandbox/spec.js';
import { hostDeadline, serverDeadline } from './sandbox/call-deadline.js';
import type { OperationName } from '../datastores/sdk/operations.js';
import type { GuestLink } from './rpc/guest-link.js';
import { EventGate } from './rpc/event-gate.js';
import { ManagerLogLimiter } from './rpc/manager-log-limiter.js';
import type { Transport } from './rpc/transport.js';
import { ReplicationSourceRecord } from './replication-source.js';
import { datastoreKind, sourceAnswers } from './source-probe.js';

export const HOST_VERSION = '0.1.0';

/**
 * Log output waits in memory until stderr takes it; a reader that stops
 * (a stuck pipe, a paused journal) must not grow the host without bound.
 * Past this much waiting, lines are dropped.
 */
const LOG_BUFFER_BYTES = 8 * 1024 * 1024;

/** How often the lines and events a manager had dropped or coalesced are counted in the log. */
const OUTPUT_REPORT_MS = 5000;

export interface GuestHost {
  readonly config: GuestConfig;
  readonly sandbox: Sandbox;
  readonly link: GuestLink;
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /** Replaces the WebSocket dialer (tests). */
  dial?(url: string): Promise<Transport>;
  /** The quick lane's worker, booted ahead by host-main.ts (which ends it if the host does not start). */
  quickWorker?: Worker;
}

/** What the sandbox is given from a guest config: its options and grants, nothing else. */
export function sandboxSpec(config: GuestConfig, programTable: SharedArrayBuffer): SandboxSpec {
  const { grants, host } = config;
  return {
    options: optionsForConfigStore(config.options),
    directories: grants.directories.map((d) => ({ hostPath: d.host, guestPath: d.guest ?? d.host, access: d.access })),
    programs: grants.programs,
    environment: grants.environment,
    connections: grants.connections,
    exec: { defaultTimeoutMs: host.exec_timeout * 1000, maxTimeoutMs: host.exec_timeout * 1000, outputLimitBytes: host.exec_output_limit, programTable },
    connectionTimeoutMs: host.call_timeout * 1000,
    resultLimitBytes: host.result_limit,
  };
}

/**
 * Start a guest host from its config: check everything before running
 * anything (config, sha256, world, grants), then start the sandbox and dial
 * the server.
 */
export async function startGuestHost(configFile: string, options: StartOptions = {}): Promise<GuestHost> {
  const config = loadGuestConfig(configFile);
  const log = options.logger ?? pino({ level: config.host.log_level, base: { instance: config.guest.instance_id } }, pino.destination({ dest: 2, minLength: 0, maxLength: LOG_BUFFER_BYTES }));
  const { digest, manifest, component } = await checkedManager(config, configFile);
  // nothing of the manager has run yet: from here on the host is the user its programs run as
  const privileges = becomeRunAsUser(config.host.run_as, configFile);
  if (privileges === 'root') log.warn('the guest host runs as root, and so does every program its manager runs: set host.run_as to the datastore\'s user');

  // one meter per manager, whichever lane a line or event comes from
  const { host } = config;
  const managerLog = new ManagerLogLimiter(
    { burst: host.log_burst, rate: host.log_rate, lineLimit: host.log_line_limit },
    (entry, lane) => log[entry.level === 'critical' ? 'fatal' : entry.level]({ manager: entry.context, lane }, entry.message),
    (dropped) => log.warn({ dropped }, `manager log lines dropped (more than ${host.log_burst} at once or ${host.log_rate} a second)`),
  );
  let link: GuestLink | undefined;
  const events = new EventGate(
    { burst: host.event_burst, rate: host.event_rate },
    (event) => link?.cast('guest.event', { event }),
    (coalesced) => log.warn({ coalesced }, `manager events coalesced (more than ${host.event_burst} at once or ${host.event_rate} a second): only the latest of each kind was sent`),
  );
  const reportOutput = setInterval(() => {
    managerLog.report();
    events.report();
  }, OUTPUT_REPORT_MS);
  reportOutput.unref();
  const stopOutput = () => {
    clearInterval(reportOutput);
    events.close();
    managerLog.report();
    events.report();
  };
  // one count of running programs for both lanes; the host ends the spawned ones at stop
  const programTable = createProgramTable(host.spawn_limit);
  const stateDir = join(config.host.state_dir, config.guest.instance_id);
  // the one source of the replication grant, sent with every call: a replaced lane or a restarted host grants the same
  const replicationSource = new ReplicationSourceRecord(stateDir);
  // the quick lane's worker instantiates the manager on the other core while this thread loads the link
  const starting = Sandbox.start({
    component,
    spec: sandboxSpec(config, programTable),
    quickTimeoutMs: config.host.call_timeout * 1000,
    slowTimeoutMs: config.host.slow_call_timeout * 1000,
    quickLaneIdleMs: config.host.quick_lane_idle_stop > 0 ? config.host.quick_lane_idle_stop * 1000 : undefined,
    slowLaneIdleMs: config.host.slow_lane_idle_stop * 1000,
    quickWorker: options.quickWorker,
    onLog: (entry, lane) => managerLog.log(entry, lane),
    onDenied: (capability, what) => log.warn({ capability, what }, 'manager denied'),
    onRestart: (lane, reason) => log.error({ lane }, reason),
    onEvent: (event) => events.publish(event),
    replicationSource: () => replicationSource.current(),
  });
  const { GuestLink: Link } = await import('./rpc/guest-link.js');
  const { ArtifactTransfer } = await import('./rpc/artifact-transfer.js');
  const { withArtifacts } = await import('./sandbox/artifact-calls.js');
  const { CallJournal } = await import('./rpc/call-journal.js');
  const { journalSeal } = await import('./rpc/journal-seal.js');
  const sandbox = await starting.catch((error: unknown) => {
    stopOutput();
    throw error;
  });
  // compared as the section stores it (JSON): describe() is the truth, the section is what inspect showed
  if (JSON.stringify(parseManifest(sandbox.manifest, 'describe()')) !== JSON.stringify(manifest)) {
    await sandbox.close();
    stopOutput();
    throw new BerthError('BERTH_ERR_MANIFEST_INVALID', `${config.manager.path}: describe() does not match the embedded manifest`, 'rebuild the manager with `berth build`');
  }

  const call = withArtifacts({
    spoolDir: config.host.spool_dir,
    claims: new Set(manifest.operations),
    transfer: new ArtifactTransfer({ serverUrl: config.guest.server_url, caFile: config.guest.ca_file, instanceId: config.guest.instance_id, token: config.guest.token }),
    call: (operation, args, deadlineMs, artifacts) => sandbox.call(operation, args, deadlineMs, artifacts),
  });
  const autostart = config.host.autostart ? new DatastoreAutostart(stateDir) : undefined;
  // the probe's answer is dropped when a call that may change the service overlapped it (status-probe.ts)
  const statusProbe = new StatusProbe(async () => {
    try {
      const outcome = await sandbox.call('status', [], hostDeadline('quick', config.host.call_timeout * 1000));
      return 'ok' in outcome ? { status: outcome.ok as 'running' } : { status: 'unknown' as const, detail: JSON.stringify(outcome.err) };
    } catch (error) {
      return { status: 'unknown' as const, detail: error instanceof Error ? error.message : String(error) };
    }
  });
  const lease = new WriteLease({
    stateDir,
    operations: manifest.operations,
    call: (operation, args) => statusProbe.around(operation, () => sandbox.call(operation, args, hostDeadline('quick', config.host.call_timeout * 1000))),
    log,
  });
  // until the host has looked whether its datastore must come back, the heartbeats say so rather than "shutdown"
  let bringingBack: Promise<string> | undefined = autostart?.bringBack(
    manifest.operations,
    (operation, args) => sandbox.call(operation, args),
    log,
  );
  // a lease on record fences the datastore once it is back, before the host serves any call (write-lease.ts)
  const leaseFenced = lease.recorded() ? (bringingBack ?? Promise.resolve('')).then(() => lease.atStart()) : Promise.resolve();
  // a call from the server runs within the deadline it sent (its timeouts.quick_call or slow_call, what is left of it)
  const recordedCall = (operation: OperationName, args: unknown[], deadlineMs: number): Promise<CallOutcome> =>
    statusProbe.around(operation, async () => {
      await leaseFenced;
      replicationSource.note(operation, args);
      const outcome = await call(operation, args, serverDeadline(operation, deadlineMs));
      autostart?.record(operation, args, outcome);
      lease.observe(operation, outcome);
      return outcome;
    });
  // A heartbeat waits for the probe half a report interval, then says it is still running; the
  // probe itself keeps its normal deadline and the next heartbeat picks up its answer. A slow
  // probe (a cold connection, a call running away ahead of it) must neither hold up the heartbeat
  // nor be killed for being slow, which would leave every next probe cold as well.
  const probeWaitMs = Math.max(100, (config.host.report_interval * 1000) / 2);
  const guestLink = new Link({
    url: config.guest.server_url,
    caFile: config.guest.ca_file,
    hello: () => ({ instanceId: config.guest.instance_id, token: config.guest.token, hostVersion: HOST_VERSION, manifest, sha256: digest }),
    call: recordedCall,
    lease: async (params) => {
      await leaseFenced;
      return 'release' in params ? lease.release(params.restoreWrites) : lease.renew(params);
    },
    // by the datastore's own first exchange, of the kind the config's grants name (never the manager's word)
    sourceReachable: async (timeoutMs) => {
      const source = replicationSource.current();
      return source ? { reachable: await sourceAnswers(source, datastoreKind(config.grants.connections), timeoutMs), source } : { reachable: false };
    },
    probe: async () => {
      if (!manifest.operations.includes('status')) return { status: 'running', detail: 'the manager has no status probe' };
      if (bringingBack) return { status: 'unknown', detail: 'the host has just started and is bringing the datastore back' };
      let waiting: NodeJS.Timeout | undefined;
      const stillRunning = new Promise<{ status: 'unknown'; detail: string }>((resolve) => {
        waiting = setTimeout(() => resolve({ status: 'unknown', detail: 'the status probe has not answered yet' }), probeWaitMs);
      });
      return Promise.race([statusProbe.current(), stillRunning]).finally(() => clearTimeout(waiting));
    },
    reportIntervalMs: config.host.report_interval * 1000,
    log,
    journal: new CallJournal(stateDir, journalSeal(config.guest.token, config.guest.instance_id)),
    dial: options.dial,
    resultLimit: config.host.result_limit,
  });
  link = guestLink;
  guestLink.start();
  void bringingBack?.then((what) => {
    bringingBack = undefined;
    log.info({ autostart: what }, 'datastore checked at host start');
    guestLink.beatNow();
  });
  log.info({ manager: manifest.name, version: manifest.version, sha256: digest }, 'guest host started');
  return {
    config,
    sandbox,
    link: guestLink,
    async stop() {
      lease.close();
      await guestLink.stop();
      await sandbox.close();
      // what the manager spawned goes with the host, but for the datastore, which a restarted host must find running
      const { ended, kept } = await endSpawnedPrograms(new ProgramSlots(programTable), datastoreAddresses(config.grants.connections));
      if (ended.length > 0 || kept.length > 0) log.info({ ended, kept }, `host stopping: ended ${ended.length} spawned program(s); left the datastore running (${kept.length})`);
      stopOutput();
    },
  };
}
