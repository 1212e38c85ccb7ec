import { z } from 'zod';
import { explainConfigIssues } from '../../host/config/config-file.js';
import { timerSeconds } from '../../host/config/timer-seconds.js';
import { DATASTORE_DEFAULTS, GLOBAL_USAGE_TIMEOUT } from '../registry/defaults.js';
import { guestOptionsSchema, serverOptionsSchema } from '../registry/options.js';
import { parseOsloIni, type OsloAssignment } from './oslo-ini.js';
import { serverConfigSchema } from './server-config.js';
import { DATASTORE_OPTIONS, DEFAULT_TIMEOUTS, TROVE_DATASTORE_GROUPS, TROVE_FROM_DEFAULT, whyNotImported, type TroveType } from './trove-conf-options.js';
import { optionError, substitute, typedValue, type OptionRef, type TroveConfValue } from './trove-conf-values.js';

/** A manager component given on the command line for one version of a datastore. */
export interface ManagerPin {
  datastore: string;
  version: string;
  path: string;
  sha256: string;
}

export type ServerConfigInput = z.input<typeof serverConfigSchema>;
type DatastoreInput = NonNullable<ServerConfigInput['datastores']>[number];

/** A datastore group's imported options, for a datastore that has no manager yet. */
export interface LeftOutDatastore {
  name: string;
  server: Record<string, TroveConfValue>;
  guest: Record<string, TroveConfValue>;
}

export interface NotImported {
  section: string;
  option: string;
  why: string;
}

export interface TroveImport {
  /** The server config (its schema's input: only what the file said, Berth's defaults fill the rest). */
  config: ServerConfigInput;
  /** Datastore groups with options of their own but no manager: no datastore without one. */
  leftOut: LeftOutDatastore[];
  /** Every option set in the file that has no place in Berth's config, with the reason. */
  notImported: NotImported[];
  /** "[section] option" of every option that was imported. */
  imported: string[];
}

const BERTH_DEFAULTS = serverConfigSchema.parse({});
/** Trove's defaults for the [DEFAULT] options Berth maps, as text: what a ${...} reference to an unset one stands for. */
const DEFAULT_TEXT: Readonly<Record<string, string>> = {
  bind_host: '0.0.0.0',
  bind_port: '8779',
  usage_timeout: String(GLOBAL_USAGE_TIMEOUT),
  ...Object.fromEntries(Object.entries(DEFAULT_TIMEOUTS).map(([trove, berth]) => [trove, String(BERTH_DEFAULTS.timeouts[berth])])),
};

function troveDefaultText(section: string, option: string): string | undefined {
  if (section === 'DEFAULT') return DEFAULT_TEXT[option];
  const defaults = DATASTORE_DEFAULTS[section];
  const mapped = DATASTORE_OPTIONS[option];
  if (!defaults || !mapped) return undefined;
  const value = mapped.server ? (defaults.server as Record<string, unknown>)[mapped.server] : mapped.guest ? defaults.guest[mapped.guest] : undefined;
  return value === undefined ? undefined : Array.isArray(value) ? value.join(',') : String(value);
}

/** The first problem zod finds with `input` (the value, or the option table it goes in), after the option's name and value. */
function check(schema: z.ZodType, input: unknown, value: unknown, ref: OptionRef, line: number): void {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw optionError(ref, line, `${JSON.stringify(value)}: ${parsed.error.issues[0]!.message}`);
}

/**
 * A trove.conf as the Berth server config it maps to: [DEFAULT]'s listen
 * address and deadlines into [server] and [timeouts], each datastore
 * group's options split into its datastore's server and guest tables (a
 * datastore for each group or manager given; one without a manager is left
 * out, its options kept for the operator), and every other option listed
 * with the reason it has no place. A value Berth or oslo would refuse is an
 * error naming its section and option.
 */
export function importTroveConf(text: string, file: string, managers: readonly ManagerPin[]): TroveImport {
  const ini = parseOsloIni(text, file);
  const imported: string[] = [];
  const notImported: NotImported[] = [];
  const used = new Set<string>();
  const last = (section: string, option: string): OsloAssignment | undefined => ini.get(section)?.get(option)?.at(-1);
  const read = (section: string, option: string, type: TroveType): { value: TroveConfValue; ref: OptionRef; line: number } | undefined => {
    const assigned = last(section, option);
    if (!assigned) return undefined;
    const ref = { file, section, option };
    used.add(`${section}\0${option}`);
    imported.push(`[${section}] ${option}`);
    return { value: typedValue(ref, substitute(ini, ref, assigned.value, assigned.line, troveDefaultText), assigned.line, type), ref, line: assigned.line };
  };

  const config: ServerConfigInput = { provisioner: { kind: 'external' } };
  const host = last('DEFAULT', 'bind_host');
  const ipv6 = host !== undefined && host.value.includes(':');
  const port = read('DEFAULT', 'bind_port', 'integer');
  if (port) check(z.number().int().min(0).max(65535, 'must be a port, 0 to 65535'), port.value, port.value, port.ref, port.line);
  // server.listen is host:port with one colon: an IPv6 bind_host (e.g. "::", every interface) becomes 0.0.0.0
  const hostName = host && !ipv6 ? read('DEFAULT', 'bind_host', 'string')!.value : undefined;
  if (host || port) config.server = { listen: `${hostName ?? DEFAULT_TEXT.bind_host}:${port?.value ?? DEFAULT_TEXT.bind_port}` };

  const timeouts: Record<string, number> = {};
  for (const [trove, berth] of Object.entries(DEFAULT_TIMEOUTS)) {
    const found = read('DEFAULT', trove, 'integer');
    if (!found) continue;
    // Trove's 0 (report_interval: never) has no counterpart: Berth's guests always report
    check(z.number().positive('must be a positive number of seconds: Berth has no "never" for it').pipe(timerSeconds()), found.value, found.value, found.ref, found.line);
    timeouts[berth] = found.value as number;
  }
  if (Object.keys(timeouts).length > 0) config.timeouts = timeouts;

  const named = [...ini.keys()].filter((section) => TROVE_DATASTORE_GROUPS.includes(section));
  const names = [...new Set([...named, ...managers.map((m) => m.datastore)])];
  const datastores: DatastoreInput[] = [];
  const leftOut: LeftOutDatastore[] = [];
  for (const name of names) {
    const server: Record<string, TroveConfValue> = {};
    const guest: Record<string, TroveConfValue> = {};
    const take = (section: string, option: string) => {
      const mapped = DATASTORE_OPTIONS[option]!;
      const found = read(section, option, mapped.type)!;
      if (mapped.server) check(serverOptionsSchema, { [mapped.server]: found.value }, found.value, found.ref, found.line);
      if (mapped.guest) check(guestOptionsSchema, { [mapped.guest]: found.value }, found.value, found.ref, found.line);
      if (mapped.server) server[mapped.server] = found.value;
      if (mapped.guest) guest[mapped.guest] = found.value;
    };
    const group = TROVE_DATASTORE_GROUPS.includes(name) ? ini.get(name) : undefined;
    for (const option of group?.keys() ?? []) {
      const mapped = DATASTORE_OPTIONS[option];
      if (mapped && (!mapped.groups || mapped.groups.includes(name))) take(name, option);
      else notImported.push({ section: name, option, why: whyNotImported(name, option) });
    }
    // what Trove takes from [DEFAULT] when the group has none of its own
    for (const [option, groups] of Object.entries(TROVE_FROM_DEFAULT)) {
      if (groups.includes(name) && !group?.has(option) && last('DEFAULT', option)) take('DEFAULT', option);
    }
    if (!group?.has('usage_timeout') && last('DEFAULT', 'usage_timeout')) take('DEFAULT', 'usage_timeout');

    const versions = managers.filter((m) => m.datastore === name).map((m) => ({ name: m.version, manager: { path: m.path, sha256: m.sha256 } }));
    const tables = { ...(Object.keys(server).length ? { server } : {}), ...(Object.keys(guest).length ? { guest } : {}) };
    if (versions.length > 0) datastores.push({ name, ...tables, versions } as DatastoreInput);
    else if (Object.keys(tables).length > 0) leftOut.push({ name, server, guest });
  }
  if (datastores.length > 0) config.datastores = datastores;

  for (const [section, options] of ini) {
    if (section !== 'DEFAULT' && TROVE_DATASTORE_GROUPS.includes(section)) continue;
    for (const option of options.keys()) {
      if (used.has(`${section}\0${option}`)) continue;
      const fromDefault = section === 'DEFAULT' ? TROVE_FROM_DEFAULT[option] : undefined;
      const why = fromDefault ? `Trove gives it to [${fromDefault.join('], [')}] only, and none of them was imported` : whyNotImported(section, option);
      const ipv6Host = ipv6 && section === 'DEFAULT' && option === 'bind_host';
      notImported.push({ section, option, why: ipv6Host ? `${JSON.stringify(host.value)}: server.listen takes an IPv4 address or a host name, so Berth listens on 0.0.0.0; write [server] listen by hand` : why });
    }
  }

  const checked = serverConfigSchema.safeParse(config);
  if (!checked.success) throw explainConfigIssues(`the config imported from ${file}`, checked.error);
  return { config, leftOut, notImported, imported: [...new Set(imported)] };
}
