import { z } from 'zod';
import { BerthError } from '../errors/berth-error.js';
import { ALL_OPERATIONS, LOADABLE_CONTRACTS, type OperationName } from '../sdk/operations.js';
import { parameterRulesSchema } from './parameter-rules.js';

/** The custom section `berth build` embeds the manifest in, so it can be read without running anything. */
export const MANIFEST_SECTION = 'berth:manifest';

const text = z.string().min(1);

/** The datastore kinds a connection grant may be of: the host has a client for each. */
export const CONNECTION_KINDS = ['postgresql', 'mysql', 'redis'] as const;
export type ConnectionKind = (typeof CONNECTION_KINDS)[number];

/**
 * The manifest as `describe()` returns it (jco's camelCase), checked wherever
 * it is read. A manager built for berth:datastore@0.1.0 has no `parameters`:
 * it reads as declaring none, and the server then checks no configuration
 * key (as before 0.2.0) and leaves that to the manager.
 */
export const manifestSchema = z.object({
  name: text,
  version: text,
  datastores: z.array(text).min(1, 'a manager serves at least one datastore'),
  contract: z.enum(LOADABLE_CONTRACTS),
  operations: z.array(z.enum(ALL_OPERATIONS as [OperationName, ...OperationName[]])),
  options: z.array(z.object({ key: text, required: z.boolean(), defaultValue: z.string().optional() })),
  capabilities: z.object({
    programs: z.array(z.object({ program: text, purpose: z.string() })),
    directories: z.array(z.object({ path: text, access: z.enum(['read-only', 'read-write']), purpose: z.string() })),
    connections: z.array(z.object({ name: text, kind: z.enum(CONNECTION_KINDS), purpose: z.string() })),
    environment: z.array(text),
  }),
  parameters: parameterRulesSchema.default([]),
}).refine((manifest) => manifest.contract !== 'berth:datastore@0.1.0' || manifest.parameters.length === 0, {
  path: ['parameters'],
  message: 'a berth:datastore@0.1.0 manifest has no parameters',
});

export type ManagerManifest = z.infer<typeof manifestSchema>;

export function encodeManifest(manifest: ManagerManifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest));
}

export function unsupportedOperations(manifest: ManagerManifest): OperationName[] {
  const supported = new Set<string>(manifest.operations);
  return ALL_OPERATIONS.filter((operation) => !supported.has(operation));
}

export function parseManifest(raw: unknown, where: string): ManagerManifest {
  const parsed = manifestSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new BerthError(
    'BERTH_ERR_MANIFEST_INVALID',
    `${where} returned an invalid manifest: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`,
    'define the manager with defineManager() from datastores/sdk',
  );
}
