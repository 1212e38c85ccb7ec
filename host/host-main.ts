import { bootSandboxWorker } from './sandbox/boot.js';
import { collectStartupGarbage } from './startup-garbage.js';
import type { GuestHost } from './guest-host.js';

/** Longest wait for the first handshake before the start-up garbage is collected anyway. */
const COLLECT_UNCONNECTED_AFTER_MS = 5000;

/**
 * `berth host` (bundled as dist/host/bundled/host.js). The quick lane's
 * worker thread is started first, with no component and no grants, so that
 * its boot (Node's own and its code's) runs on the other core while this
 * thread loads the rest of the host and checks the config; the worker
 * instantiates nothing until the sandbox hands it the checked component.
 */
export async function runGuestHost(configFile: string): Promise<GuestHost> {
  const quickWorker = bootSandboxWorker();
  let host: GuestHost;
  try {
    const { startGuestHost } = await import('./guest-host.js');
    host = await startGuestHost(configFile, { quickWorker });
  } catch (error) {
    await quickWorker.terminate();
    throw error;
  }
  collectWhenSettled(host);
  return host;
}

/**
 * The start-up garbage goes once the host is connected, halfway between its
 * first two heartbeats (at most a second on): off the way to ready, and
 * clear of the status probe, which a heartbeat waits for only half an
 * interval.
 */
function collectWhenSettled(host: GuestHost): void {
  let scheduled = false;
  const schedule = (delayMs: number) => {
    if (scheduled) return;
    scheduled = true;
    clearTimeout(unconnected);
    setTimeout(collectStartupGarbage, delayMs).unref();
  };
  const unconnected = setTimeout(() => schedule(0), COLLECT_UNCONNECTED_AFTER_MS);
  unconnected.unref();
  host.link.onReady(() => schedule(Math.min(1000, (host.config.host.report_interval * 1000) / 2)));
}
