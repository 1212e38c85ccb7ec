import { z } from 'zod';
import { connectionGrantFields, directoryGrantSchema } from '../../host/config/guest-config.js';

const optionKey = z.string().regex(/^[a-z][a-z0-9_]{0,62}$/, 'must be a guest option key (lowercase letters, digits, _)');
const absolutePath = z.string().refine((p) => p.startsWith('/'), 'must be an absolute path');
/** Connection fields may name guest options, e.g. url = "postgres://berth:{admin_password}@127.0.0.1:{port}/postgres" (bootstrap_url too). */
const connectionTemplate = connectionGrantFields.extend({ url: z.string().optional(), bootstrap_url: z.string().optional(), secure_file_priv: z.string().optional() });

/**
 * What the local provisioner gives a version's guests on this machine, read
 * by it alone (like the server-side options, it never reaches a guest as
 * such): the programs and connections its manager needs, which guest options
 * get a free port or a fresh secret per instance, and which OS user runs the
 * guest host when the server runs as root (PostgreSQL refuses to run as root,
 * and a guest host needs no root anyway).
 */
export const localPlacementSchema = z.strictObject({
  run_as: z.string().regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'must be a user name of this machine').optional(),
  programs: z.array(absolutePath).optional(),
  directories: z.array(directoryGrantSchema).optional(),
  connections: z.record(z.string(), connectionTemplate).optional(),
  environment: z.record(z.string(), z.string()).optional(),
  /** Guest options that get a free TCP port of this machine each; the first is where clients connect. */
  ports: z.array(optionKey).optional(),
  /** Guest options that get a fresh random secret each (the manager's own admin password, say). */
  secrets: z.array(optionKey).optional(),
});

export type LocalPlacementConfig = z.output<typeof localPlacementSchema>;

export interface LocalPlacement {
  runAs: string | undefined;
  programs: string[];
  directories: Array<z.output<typeof directoryGrantSchema>>;
  connections: Record<string, z.output<typeof connectionTemplate>>;
  environment: Record<string, string>;
  ports: string[];
  secrets: string[];
}

/** The datastore's block, then the version's on top of it, field by field. */
export function mergeLocalPlacement(datastore: LocalPlacementConfig | undefined, version: LocalPlacementConfig | undefined): LocalPlacement {
  const pick = <K extends keyof LocalPlacementConfig>(key: K) => version?.[key] ?? datastore?.[key];
  return {
    runAs: pick('run_as'),
    programs: pick('programs') ?? [],
    directories: pick('directories') ?? [],
    connections: pick('connections') ?? {},
    environment: pick('environment') ?? {},
    ports: pick('ports') ?? [],
    secrets: pick('secrets') ?? [],
  };
}

/**
 * "{port}" and friends replaced by the instance's option values (secrets are
 * URL-safe, so they fit in a URL as they are); an unknown key is left in
 * place, for the host's own validation to name.
 */
export function fillTemplate(text: string, values: Readonly<Record<string, unknown>>): string {
  return text.replace(/\{([a-z][a-z0-9_]*)\}/g, (whole, key: string) => (values[key] === undefined ? whole : String(values[key])));
}
