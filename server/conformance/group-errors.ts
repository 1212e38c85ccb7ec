import type { OperationName } from '../../datastores/sdk/operations.js';
import { CheckFailure } from './checks.js';
import { claimedCheck, type ScenarioContext } from './context.js';
import { documentedErrors } from './documented-errors.js';

const ABSENT = 'conformance_absent';
const absentUser = { name: ABSENT, host: undefined };

interface AbsentCall {
  operation: OperationName;
  args: unknown[];
  /** Deleting what is not there may also succeed (idempotent); asking about it may not. */
  okAllowed: boolean;
}

const CALLS: AbsentCall[] = [
  { operation: 'delete-database', args: [ABSENT], okAllowed: true },
  { operation: 'get-user', args: [absentUser], okAllowed: false },
  { operation: 'delete-user', args: [absentUser], okAllowed: true },
  { operation: 'change-passwords', args: [[{ user: absentUser, password: 'Conformance-absent-1' }]], okAllowed: false },
  { operation: 'update-attributes', args: [absentUser, { name: `${ABSENT}_renamed`, host: undefined, password: undefined }], okAllowed: false },
  { operation: 'grant-access', args: [absentUser, [ABSENT]], okAllowed: false },
  { operation: 'list-access', args: [absentUser], okAllowed: false },
  { operation: 'revoke-access', args: [absentUser, ABSENT], okAllowed: true },
];

/**
 * Each claimed operation asked about an object that does not exist, on the
 * live instance through its guest channel: it must answer an error case its
 * WIT documentation lists ("Errors: not-found, failed."), not one it does
 * not, not a trap, and not success where success would be a lie.
 */
export async function documentedErrorChecks(context: ScenarioContext): Promise<void> {
  const documented = documentedErrors();
  for (const call of CALLS) {
    await claimedCheck(context, 'errors', [call.operation], `${call.operation} of an absent object answers a documented error`, async () => {
      const outcome = await context.server.running.hub.call(context.instanceId, call.operation, call.args, context.timeouts.taskMs);
      if (!('err' in outcome)) {
        if (call.okAllowed) return;
        throw new CheckFailure(`${call.operation} of ${ABSENT}, which does not exist, answered ok`, 'BERTH_CONFORMANCE_ERROR_UNDOCUMENTED');
      }
      const tag = (outcome.err as { tag?: string } | undefined)?.tag ?? 'none';
      const allowed = documented.get(call.operation);
      if (allowed && !allowed.has(tag as never)) {
        throw new CheckFailure(`${call.operation} answered ${tag}, which its contract does not list (it lists ${[...allowed].join(', ')}): ${JSON.stringify(outcome.err).slice(0, 200)}`, 'BERTH_CONFORMANCE_ERROR_UNDOCUMENTED');
      }
    });
  }
}
