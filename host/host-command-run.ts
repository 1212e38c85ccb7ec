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

/** Serves until SIGTERM or SIGINT, then stops the host in order. */
export function serveUntilSignalled(host: GuestHost): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => void host.stop().then(resolve);
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
}
