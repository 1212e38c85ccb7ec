import { join } from 'node:path';
import { BerthError } from '../datastores/errors/berth-error.js';
import { isOperationName, type OperationName } from '../datastores/sdk/operations.js';
import type { ArtifactGrant } from './capabilities/artifacts.js';
import { createProgramTable } from './capabilities/exec-slots.js';
import { checkedManager } from './component/checked-manager.js';
import { loadGuestConfig } from './config/load-config.js';
import { sandboxSpec } from './guest-host.js';
import { becomeRunAsUser } from './os-user.js';
import { ReplicationSourceRecord } from './replication-source.js';
import { reviveWire } from './rpc/wire-values.js';
import { Sandbox } from './sandbox/sandbox.js';
import type { CallOutcome } from './sandbox/spec.js';

export interface OneCall {
  operation: OperationName;
  args: unknown[];
  artifacts: ArtifactGrant[];
}

/**
 * `--call <operation> [--args <json>] [--artifact name=file:read|write]`
 * read into one call, every mistake named with its flag and fix. Arguments
 * are a JSON array, u64 fields as {"$bigint": "123"} and bytes as
 * {"$bytes": "<base64>"}, as on the guest channel.
 */
export function parseOneCall(operation: string, args: string | undefined, artifacts: readonly string[]): OneCall {
  if (!isOperationName(operation)) {
    throw new BerthError('BERTH_ERR_USAGE', `--call ${operation} is not an operation of the contract`, 'name one as wit/ spells it, e.g. --call get-filesystem-stats (berth inspect lists what a manager implements)');
  }
  let parsed: unknown = [];
  if (args !== undefined) {
    try {
      parsed = JSON.parse(args, reviveWire);
    } catch (error) {
      throw new BerthError('BERTH_ERR_USAGE', `--args is not JSON: ${error instanceof Error ? error.message : String(error)}`, `give the arguments as a JSON array, e.g. --args '[""]'`);
    }
  }
  if (!Array.isArray(parsed)) throw new BerthError('BERTH_ERR_USAGE', '--args must be a JSON array (one element per argument of the operation)', `e.g. --args '[""]'`);
  const grants = artifacts.map((spec): ArtifactGrant => {
    const found = /^([^=]+)=(.+):(read|write)$/.exec(spec);
    if (!found) throw new BerthError('BERTH_ERR_USAGE', `--artifact ${spec} is not name=file:read or name=file:write`, 'e.g. --artifact backup-1=/tmp/backup-1.tar:read for a restore-backup whose source id is backup-1');
    return { name: found[1]!, path: found[2]!, access: found[3] as 'read' | 'write' };
  });
  return { operation, args: parsed, artifacts: grants };
}

/**
 * One operation of the config's manager, in its sandbox, with the config's
 * grants and deadlines, and no server: for an author trying an operation
 * the control plane does not drive (an in-place restore-backup, say), or an
 * operator checking one by hand. The host becomes host.run_as first, as it
 * does before it serves.
 */
export async function callManagerOnce(configFile: string, call: OneCall, onLog: (line: string) => void): Promise<CallOutcome> {
  const config = loadGuestConfig(configFile);
  const { component } = await checkedManager(config, configFile);
  becomeRunAsUser(config.host.run_as, configFile);
  // the host's record of the replication grant, as a serving host keeps it; an attach-replica by hand names a new one
  const replicationSource = new ReplicationSourceRecord(join(config.host.state_dir, config.guest.instance_id));
  replicationSource.note(call.operation, call.args);
  const sandbox = await Sandbox.start({
    component,
    spec: sandboxSpec(config, createProgramTable(config.host.spawn_limit)),
    quickTimeoutMs: config.host.call_timeout * 1000,
    slowTimeoutMs: config.host.slow_call_timeout * 1000,
    onLog: (entry) => onLog(`${entry.level}: ${entry.message}`),
    onDenied: (capability, what) => onLog(`denied: ${capability} ${what}`),
    replicationSource: () => replicationSource.current(),
  });
  try {
    return await sandbox.call(call.operation, call.args, undefined, call.artifacts);
  } finally {
    await sandbox.close();
  }
}
