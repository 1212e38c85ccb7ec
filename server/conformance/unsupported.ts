import { ALL_OPERATIONS } from '../../datastores/sdk/operations.js';
import { CheckFailure } from './checks.js';
import type { ScenarioContext } from './context.js';
import { OPERATION_ARGUMENTS } from './operation-arguments.js';

/**
 * Every operation the manifest does not claim, asked of the live instance
 * through its guest channel with well-typed arguments: each must answer
 * unsupported (the SDK's default), not succeed, fail otherwise or trap.
 */
export async function unclaimedChecks(context: ScenarioContext): Promise<void> {
  for (const operation of ALL_OPERATIONS) {
    if (context.claims.has(operation)) continue;
    await context.log.run('unclaimed', operation, `${operation} (not in the manifest) answers unsupported`, async () => {
      const outcome = await context.server.running.hub.call(context.instanceId, operation, OPERATION_ARGUMENTS[operation], 15_000);
      if (!('err' in outcome)) throw new CheckFailure(`${operation} is not in the manifest but answered ok`, 'BERTH_CONFORMANCE_UNCLAIMED_ANSWERED');
      const error = outcome.err as { tag?: string } | undefined;
      if (error?.tag !== 'unsupported') throw new CheckFailure(`${operation} is not in the manifest but answered ${JSON.stringify(outcome.err).slice(0, 200)}`, 'BERTH_CONFORMANCE_UNCLAIMED_ANSWERED');
    });
  }
}
