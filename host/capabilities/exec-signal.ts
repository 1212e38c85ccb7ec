import type { SpawnedSignal, SpawnedStatus } from '../generated/interfaces/berth-datastore-exec.js';
import type { ChildAnswer, ChildOwner } from './exec-children.js';
import { capabilityFailure, type DenialReporter } from './failure.js';

/**
 * berth:datastore/exec `signal` and `status`: a program `spawn` started, and
 * only such a program, by the pid spawn returned. The owner of spawned
 * children (exec-children.ts) decides: it knows each one by pid and start
 * time and reaps it itself, so a pid it holds as running is still that
 * program, and one that ended is never signalled (its pid may be another
 * process's by now). No pid is trusted from the manager but as a key into
 * that table: the host's own pid, pid 1 or anything not spawned here is denied.
 */
export function createSpawnedSignals(owner: ChildOwner, onDenied?: DenialReporter) {
  const refused = (answer: ChildAnswer): never => {
    if ('denied' in answer) {
      onDenied?.('exec', answer.denied);
      throw capabilityFailure({ tag: 'denied', val: answer.denied });
    }
    throw capabilityFailure({ tag: 'failed', val: 'failed' in answer ? answer.failed : 'the host answered nothing it understood' });
  };
  return {
    signal(pid: number, sig: SpawnedSignal): void {
      const answer = owner.request({ op: 'signal', pid, sig });
      if ('ok' in answer && answer.ok === 'signalled') return;
      refused(answer);
    },
    status(pid: number): SpawnedStatus {
      const answer = owner.request({ op: 'status', pid });
      if ('ok' in answer && answer.ok === 'status') return answer.status;
      return refused(answer);
    },
  };
}
