import type { GuestHost } from './guest-host.js';

/**
 * What `berth host` and the packed host (host-cli.ts) both do with their
 * command line: one place, so the two entry points cannot drift apart.
 */

/** `--check`: the config and the manager checked, the transpile cache filled, one line said. */
export async function printHostCheck(configFile: string): Promise<void> {
  // loaded only for --check: a running host never needs it
  const { checkGuestHost } = await import('./host-check.js');
  const checked = await checkGuestHost(configFile);
  process.stdout.write(`${configFile}: ${checked.manager} ${checked.version} (sha256 ${checked.sha256}) is ready to run; transpile cache in ${checked.cacheDir}\n`);
}

/**
 * `--call`: one operation of the config's manager, no server; the outcome
 * ({"ok": ...} or {"err": ...}, as on the guest channel) on stdout, the
 * manager's log lines on stderr, exit status 1 when it answered err.
 */
export async function printOneCall(configFile: string, operation: string, args: string | undefined, artifacts: readonly string[]): Promise<void> {
  const { callManagerOnce, parseOneCall } = await import('./host-call.js');
  const { encodeWire } = await import('./rpc/wire-values.js');
  const call = parseOneCall(operation, args, artifacts);
  const outcome = await callManagerOnce(configFile, call, (line) => process.stderr.write(`${line}\n`));
  // an operation that answers nothing (result<_, ...>) prints {"ok":null}, not {}
  process.stdout.write(`${encodeWire('ok' in outcome ? { ok: outcome.ok ?? null } : outcome)}\n`);
  if ('err' in outcome) process.exitCode = 1;
}

/** How long an orderly stop may take before the host exits anyway (systemd's own stop timeout is longer). */
export const STOP_DEADLINE_MS = 10_000;
/** After an orderly stop, how long the event loop may take to drain before the host exits on its own. */
export const DRAIN_GRACE_MS = 2_000;

export interface ServeOptions {
  stopDeadlineMs?: number;
  drainGraceMs?: number;
  exit?: (code: number) => void;
  report?: (line: string) => void;
}

/**
 * Serves until SIGTERM or SIGINT, then stops the host in order, bounded: a
 * stop that hangs (a datastore that never answers its quit) exits after
 * STOP_DEADLINE_MS, and a handle left open after the stop (a socket a driver
 * still holds) cannot keep the process alive past DRAIN_GRACE_MS; a second
 * signal exits at once. A supervisor's stop or a delete must never wait on
 * a host that has already stopped everything it owns.
 */
export function serveUntilSignalled(host: GuestHost, options: ServeOptions = {}): Promise<void> {
  const stopDeadlineMs = options.stopDeadlineMs ?? STOP_DEADLINE_MS;
  const drainGraceMs = options.drainGraceMs ?? DRAIN_GRACE_MS;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const report = options.report ?? ((line: string) => process.stderr.write(`${line}\n`));
  return new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals) => {
      if (stopping) {
        report(`berth host: second ${signal} while stopping; exiting now`);
        exit(1);
        return;
      }
      stopping = true;
      const deadline = setTimeout(() => {
        report(`berth host: the stop did not finish within ${stopDeadlineMs / 1000} s; exiting (open: ${openResources()})`);
        exit(1);
      }, stopDeadlineMs);
      deadline.unref();
      void host.stop().then(
        () => {
          clearTimeout(deadline);
          // unref'd: it fires only when something the stop missed still holds the loop open
          setTimeout(() => {
            report(`berth host: stopped, but ${openResources()} kept the process alive ${drainGraceMs / 1000} s later; exiting`);
            exit(0);
          }, drainGraceMs).unref();
          resolve();
        },
        (error: unknown) => {
          clearTimeout(deadline);
          report(`berth host: the stop failed: ${error instanceof Error ? error.message : String(error)}; exiting`);
          exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}

function openResources(): string {
  const open = process.getActiveResourcesInfo().filter((kind) => kind !== 'TTYWrap');
  return open.length === 0 ? 'nothing' : open.join(', ');
}
