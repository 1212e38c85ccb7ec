import { describe, expect, it } from 'vitest';
import { StatusProbe, type ProbeAnswer } from '../../host/status-probe.js';

/** A probe whose answers the test hands out one by one, as a datastore going down and up would. */
function controlledProbe() {
  const pending: Array<(answer: ProbeAnswer) => void> = [];
  let started = 0;
  const probe = () => {
    started++;
    return new Promise<ProbeAnswer>((resolve) => pending.push(resolve));
  };
  return { probe, pending, started: () => started };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('the heartbeat status probe', () => {
  it('drops the answer of a probe that began while a restart was running and probes again after it', async () => {
    const { probe, pending, started } = controlledProbe();
    const status = new StatusProbe(probe);
    let endRestart!: () => void;
    const restart = status.around('restart', () => new Promise<void>((resolve) => (endRestart = resolve)));
    const heartbeat = status.current();
    await tick();
    expect(started()).toBe(1);
    endRestart();
    await restart;
    // the datastore was down when this probe looked: said after the restart ended, it would be a lie
    pending[0]!({ status: 'unknown', detail: 'mid-restart' });
    await tick();
    expect(started()).toBe(2);
    pending[1]!({ status: 'running' });
    expect(await heartbeat).toEqual({ status: 'running' });
  });

  it('shares one probe between heartbeats, and operations that do not change the service keep it', async () => {
    const { probe, pending, started } = controlledProbe();
    const status = new StatusProbe(probe);
    const first = status.current();
    const second = status.current();
    await status.around('list-databases', async () => undefined);
    pending[0]!({ status: 'running' });
    expect(await Promise.all([first, second])).toEqual([{ status: 'running' }, { status: 'running' }]);
    expect(started()).toBe(1);
  });

  it('gives up with "unknown" when the service keeps changing under every probe', async () => {
    const { probe, pending } = controlledProbe();
    const status = new StatusProbe(probe);
    const heartbeat = status.current();
    for (let i = 0; i < 3; i++) {
      await tick();
      await status.around('stop-db', async () => undefined);
      pending[i]!({ status: 'running' });
    }
    expect((await heartbeat).status).toBe('unknown');
  });
});
