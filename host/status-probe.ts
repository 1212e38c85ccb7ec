import type { OperationName } from '../datastores/sdk/operations.js';
import { changesStatus } from './rpc/status-changing-operations.js';

export interface ProbeAnswer {
  status: 'running' | 'unknown';
  detail?: string;
}

type Probe = () => Promise<ProbeAnswer>;

/** How many times a probe overtaken by an operation is run again before the heartbeat says "unknown". */
const MAX_OVERTAKEN = 3;

/**
 * The heartbeat's status probe, answered only with what the datastore was
 * after the last operation that may change the service. A probe that began
 * while PostgreSQL was down for a restart answers "shutdown" after the restart
 * ended: reported then, it would turn the ACTIVE the restart's end gave into
 * SHUTDOWN or ERROR until the next heartbeat. So each such operation's start
 * and end open a new epoch, and an answer from an older one is dropped and
 * the datastore probed again.
 *
 * One probe at a time (the quick lane runs one call at a time anyway); a
 * heartbeat that comes while one runs shares it, if it is of the current epoch.
 */
export class StatusProbe {
  private epoch = 0;
  private running: { epoch: number; answer: Promise<ProbeAnswer> } | undefined;

  constructor(private readonly probe: Probe) {}

  /** Around each call the host runs: the calls that may change the service open an epoch as they start and end. */
  async around<T>(operation: OperationName, run: () => Promise<T>): Promise<T> {
    if (!changesStatus(operation)) return run();
    this.epoch++;
    try {
      return await run();
    } finally {
      this.epoch++;
    }
  }

  async current(): Promise<ProbeAnswer> {
    for (let attempt = 0; attempt < MAX_OVERTAKEN; attempt++) {
      const { epoch, answer } = this.ofCurrentEpoch();
      const answered = await answer;
      if (epoch === this.epoch) return answered;
    }
    return { status: 'unknown', detail: 'the service kept changing while it was probed' };
  }

  private ofCurrentEpoch(): { epoch: number; answer: Promise<ProbeAnswer> } {
    if (this.running?.epoch === this.epoch) return this.running;
    const started = { epoch: this.epoch, answer: this.probe() };
    this.running = started;
    const done = () => {
      if (this.running === started) this.running = undefined;
    };
    started.answer.then(done, done);
    return started;
  }
}
