import type * as Lifecycle from 'berth:datastore/lifecycle@0.2.0';
import type * as Databases from 'berth:datastore/databases@0.2.0';
import type * as Users from 'berth:datastore/users@0.2.0';
import type * as Root from 'berth:datastore/root@0.2.0';
import type * as Backup from 'berth:datastore/backup@0.2.0';
import type * as Volume from 'berth:datastore/volume@0.2.0';
import type * as Configuration from 'berth:datastore/configuration@0.2.0';
import type * as Replication from 'berth:datastore/replication@0.2.0';
import type * as GuestLog from 'berth:datastore/guest-log@0.2.0';
import type {
  Manifest,
  ProgramRequest,
  DirectoryRequest,
  ConnectionRequest,
  ParameterRule,
} from 'berth:datastore/manifest@0.2.0';
import './no-network.js';
import { toManagerError, type ResultErrorThrow } from './errors.js';
import { fromWireArguments, toWire } from './engine.js';
import { describeOptions, type OptionsSchema } from './options.js';
import { createContext, createOptionsReader, type ManagerContext, type OptionsOf } from './context.js';
import {
  ALL_OPERATIONS,
  CONTRACT,
  OPERATIONS_BY_INTERFACE,
  OPERATION_INTERFACES,
  camelName,
  type OperationName,
} from './operations.js';

/** Every contract function, by its JavaScript name, as jco types it from wit/. */
type ContractFunctions = typeof Lifecycle &
  typeof Databases &
  typeof Users &
  typeof Root &
  typeof Backup &
  typeof Volume &
  typeof Configuration &
  typeof Replication &
  typeof GuestLog;

type Handler<F, Options> = F extends (...args: infer A) => infer R ? (ctx: ManagerContext<Options>, ...args: A) => R : never;

/** The operations an author may supply: any subset, each typed from the WIT. */
export type Operations<Options> = { [K in keyof ContractFunctions]?: Handler<ContractFunctions[K], Options> };

export interface ManagerDefinition<S extends OptionsSchema | undefined> {
  name: string;
  version: string;
  /** Datastores this manager serves, e.g. ["mysql", "percona", "mariadb"]. */
  datastores: string[];
  /** Guest options, with defaults; read from wasi:config/store. */
  options?: S;
  /** Capabilities the guest config must grant; `berth inspect` lists them. */
  needs?: {
    programs?: ProgramRequest[];
    directories?: DirectoryRequest[];
    connections?: ConnectionRequest[];
    environment?: string[];
  };
  /**
   * The configuration parameters `update-overrides` accepts, built with
   * `parameter.integer(...)` and its siblings (parameters.ts). The server
   * refuses a configuration group with any other key, or a value out of
   * range, before calling the guest; Trove clients list them.
   */
  parameters?: readonly ParameterRule[];
  operations: Operations<OptionsOf<S>>;
}

type AnyFunction = (...args: never[]) => unknown;
export type ManagerExports = Record<string, Record<string, AnyFunction>>;

function rejectUnknownOperations(operations: object): void {
  const known = new Set(ALL_OPERATIONS.map(camelName));
  const unknown = Object.keys(operations).filter((key) => !known.has(key));
  if (unknown.length > 0) {
    throw new TypeError(
      `defineManager: unknown operation(s) ${unknown.join(', ')}; the contract's operations are ${[...known].join(', ')}`,
    );
  }
}

function isThenable(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * Define a datastore manager. Supply only the operations the datastore
 * supports: every other one answers `unsupported`, `describe()` lists exactly
 * the supplied ones, and nothing an operation throws can trap the component.
 * The module's default export must be the result.
 */
export function defineManager<S extends OptionsSchema | undefined = undefined>(definition: ManagerDefinition<S>): ManagerExports {
  rejectUnknownOperations(definition.operations);
  const readOptions = createOptionsReader(definition.options);
  const handlers = definition.operations as Record<string, ((ctx: unknown, ...args: unknown[]) => unknown) | undefined>;
  const supported = ALL_OPERATIONS.filter((operation) => typeof handlers[camelName(operation)] === 'function');

  const manifest: Manifest = {
    name: definition.name,
    version: definition.version,
    datastores: [...definition.datastores],
    contract: CONTRACT,
    operations: supported,
    options: describeOptions(definition.options),
    capabilities: {
      programs: definition.needs?.programs ?? [],
      directories: definition.needs?.directories ?? [],
      connections: definition.needs?.connections ?? [],
      environment: definition.needs?.environment ?? [],
    },
    parameters: [...(definition.parameters ?? [])],
  };

  const dispatch = (operation: OperationName) => {
    const handler = handlers[camelName(operation)];
    return (...args: unknown[]): unknown => {
      if (!handler) throw { payload: { tag: 'unsupported', val: operation } } satisfies ResultErrorThrow;
      try {
        const result = handler(createContext(operation, readOptions), ...fromWireArguments(operation, args));
        if (isThenable(result)) {
          throw new Error(`${camelName(operation)} returned a Promise; manager operations must be synchronous`);
        }
        return toWire(result);
      } catch (thrown) {
        throw { payload: toManagerError(operation, thrown) } satisfies ResultErrorThrow;
      }
    };
  };

  const exports: ManagerExports = { manifest: { describe: () => toWire(manifest) } };
  for (const iface of OPERATION_INTERFACES) {
    const functions: Record<string, AnyFunction> = {};
    for (const operation of OPERATIONS_BY_INTERFACE[iface]) functions[camelName(operation)] = dispatch(operation);
    exports[camelName(iface)] = functions;
  }
  return exports;
}
