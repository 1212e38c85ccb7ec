import type { GuestPlacement } from '../instances/guest-config.js';

export interface LocalProvisionerOptions {
  /** Instances live in <dataDir>/instances/<id>: the guest config, the log and the volume. */
  dataDir: string;
  /** Extra grants every local guest gets (programs and connections of this machine). */
  grants?: Partial<GuestPlacement['grants']>;
  /** Longest wait before restarting a guest host that exited, ms. */
  maxRestartDelayMs?: number;
  /** First wait before restarting a guest host that exited, ms (doubling from there); default 250. */
  firstRestartDelayMs?: number;
  onExit?(instanceId: string, code: number | null): void;
  /**
   * The guest host refused its config (exit 2 or 3): restarting cannot help. Also called, once per run of
   * failures, when it exits at start again and again (a crash loop): restarts go on, the operator sees why.
   */
  onFailed?(instanceId: string, reason: string): void;
  /**
   * Stop the guests when the server stops (a first run: `berth up`). Otherwise
   * they keep running like real servers and the next server process adopts
   * them, so an operation interrupted by the restart is answered from the
   * guest's record, never run twice.
   */
  stopGuestsOnClose?: boolean;
  /**
   * What starts a guest host, after `node`: by default this package's
   * `berth host`; a packed guest's `lib/host.js --config <file>` runs the
   * bundle `berth pack` writes instead (the tests' BERTH_TEST_HOST=bundle).
   */
  hostCommand?: (configPath: string) => string[];
  /** The Node.js executable that runs each guest host (the hostCommand); by default the server's own, process.execPath. */
  nodePath?: string;
  /**
   * The cgroup2 directory under which each instance gets a cgroup of its own
   * (provisioner.cgroup_parent); by default `<cgroup2 mount>/berth`. Where
   * none can be made, instances run without (see `containment`).
   */
  cgroupParent?: string;
}
