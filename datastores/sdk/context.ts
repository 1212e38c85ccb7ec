import { getAll } from 'wasi:config/store@0.2.0-draft';
import type { z } from 'zod';
import { ManagerError, payloadOf } from './errors.js';
import { parseOptions, type OptionsSchema } from './options.js';
import { check, run, signal, spawn, status } from './capabilities/exec.js';
import { redis, sql } from './capabilities/connections.js';
import { files } from './capabilities/files.js';
import { logger, type Logger } from './capabilities/log.js';
import { events, type Events } from './capabilities/events.js';
import { artifactWriter, readArtifact } from './capabilities/artifacts.js';
import type { OperationName } from './operations.js';

/** What every operation receives first: its options and its capabilities. */
export interface ManagerContext<Options> {
  /** The contract name of the running operation. */
  readonly operation: OperationName;
  /** Guest options, validated by the manager's schema (an `invalid-argument` naming the key otherwise). */
  readonly options: Options;
  readonly log: Logger;
  readonly events: Events;
  readonly exec: { run: typeof run; check: typeof check; spawn: typeof spawn; signal: typeof signal; status: typeof status };
  readonly sql: typeof sql;
  readonly redis: typeof redis;
  readonly files: typeof files;
  readonly artifacts: { writer: typeof artifactWriter; read: typeof readArtifact };
}

export type OptionsOf<S extends OptionsSchema | undefined> = S extends OptionsSchema ? z.infer<S> : Record<string, never>;

function readConfigStore(): Array<[string, string]> {
  try {
    return getAll();
  } catch (thrown) {
    const payload = payloadOf(thrown) as { tag?: string; val?: string } | undefined;
    throw ManagerError.unavailable(`guest options could not be read: ${payload?.val ?? String(thrown)}`);
  }
}

/**
 * Options are parsed on first use in each call, so an operation that needs no
 * option still works when an unrelated option is wrong; the parse is cached
 * per instance because the config store is read-only.
 */
export function createOptionsReader<S extends OptionsSchema | undefined>(schema: S): () => OptionsOf<S> {
  let cached: { value: OptionsOf<S> } | undefined;
  return () => {
    if (cached) return cached.value;
    const value = (schema ? parseOptions(schema, readConfigStore()) : {}) as OptionsOf<S>;
    cached = { value };
    return value;
  };
}

const execCapability = { run, check, spawn, signal, status };
const artifactsCapability = { writer: artifactWriter, read: readArtifact };

/**
 * Built per call, so it must cost next to nothing inside an interpreter:
 * the logger and events are made only when an operation asks for them.
 */
class OperationContext<Options> implements ManagerContext<Options> {
  readonly exec = execCapability;
  readonly sql = sql;
  readonly redis = redis;
  readonly files = files;
  readonly artifacts = artifactsCapability;
  #log: Logger | undefined;
  #events: Events | undefined;

  constructor(
    readonly operation: OperationName,
    private readonly readOptions: () => Options,
  ) {}

  get options(): Options {
    return this.readOptions();
  }
  get log(): Logger {
    return (this.#log ??= logger(this.operation));
  }
  get events(): Events {
    return (this.#events ??= events(this.operation));
  }
}

export function createContext<Options>(operation: OperationName, readOptions: () => Options): ManagerContext<Options> {
  return new OperationContext(operation, readOptions);
}
