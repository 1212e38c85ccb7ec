import { createProgramTable, DEFAULT_SPAWN_LIMIT } from '../../host/capabilities/exec-slots.js';
import { DEFAULT_RESULT_LIMIT } from '../../host/rpc/protocol.js';
import type { SandboxSpec } from '../../host/sandbox/spec.js';

/** A sandbox granted nothing but `options`: no directories, programs, environment or connections. */
export function bareSandboxSpec(options: Record<string, string> = {}): SandboxSpec {
  return {
    options,
    directories: [],
    programs: [],
    environment: {},
    connections: {},
    exec: { defaultTimeoutMs: 1000, maxTimeoutMs: 1000, outputLimitBytes: 1024, programTable: createProgramTable(DEFAULT_SPAWN_LIMIT) },
    connectionTimeoutMs: 1000,
    resultLimitBytes: DEFAULT_RESULT_LIMIT,
  };
}
