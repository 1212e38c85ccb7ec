/**
 * Argument policies of the programs Berth's own managers run, by the file
 * name of the granted program (or of what it resolves to: /usr/bin/mysqldump
 * is mariadb-dump): which options, values and words a manager may pass
 * (exec-argument-policies.ts). An option outside the policy is refused,
 * because each of these programs has options that hand a string to a shell
 * (pg_ctl -o, mariadb -e 'system ...'), run another program (pg_ctl -p,
 * mysqld_safe --mysqld), load code (--plugin-dir, --default-auth,
 * --loadmodule) or point a client at a server nobody granted (--host, --port,
 * --socket, --defaults-file). A program without a policy takes any arguments:
 * granting it is the image builder's choice (docs/security.md, "Programs").
 */
import { basename } from 'node:path';
import { POLICIES, type ArgumentPolicy, type ValueRule } from './exec-argument-policies.js';
import type { ReplicationSource } from './redis-command-policy.js';

export interface ArgumentContext {
  /** The servers of the granted connections: the only ones a client program may be pointed at. */
  servers: readonly { host: string; port: number }[];
  /** Guest paths of the granted directories: where a `path` value may point. */
  directories: readonly string[];
}

// pg_ctl writes -D and -l into the command line it hands to /bin/sh, inside double quotes, and
// mariadb-install-db is a shell script: a value with a quote, $, ` or \ would end the quoting.
const SAFE_VALUE = /^[A-Za-z0-9_.\/:@%+=,-]*$/;
const SAFE_TEXT = 'letters, digits and _ . / : @ % + = , - only';

const segments = (path: string) => path.split('/').filter((s) => s !== '' && s !== '.');

function inside(path: string, directory: string): boolean {
  const base = segments(directory);
  const own = segments(path);
  return base.length <= own.length && base.every((s, i) => s === own[i]);
}

/** Why `value` breaks `rule`, or undefined. */
function refusedValue(rule: ValueRule, value: string, context: ArgumentContext): string | undefined {
  if (rule === 'text') return undefined;
  if (Array.isArray(rule)) return rule.includes(value) ? undefined : `only ${rule.join(' or ')}`;
  if (!SAFE_VALUE.test(value)) return `it has characters a shell would read (${SAFE_TEXT})`;
  switch (rule) {
    case 'path':
      if (!value.startsWith('/') || segments(value).includes('..')) return "it must be an absolute path without '..'";
      return context.directories.some((directory) => inside(value, directory)) ? undefined : 'it is outside every granted directory';
    case 'relative':
      if (value === '' || value.startsWith('/') || segments(value).includes('..')) return "it must be a path under the working directory, without '..'";
      return undefined;
    case 'host':
      // a MariaDB client reads "localhost" as its default Unix socket: the machine's own server
      if (value === 'localhost') return 'localhost means the default socket to a MariaDB client: name the granted server by its address';
      return context.servers.some((server) => server.host === value) ? undefined : 'no granted connection has this host';
    case 'port':
      return /^[0-9]{1,5}$/.test(value) ? undefined : 'not a port number';
    default:
      return undefined;
  }
}

function policyOf(granted: string, real: string | undefined): { name: string; policy: ArgumentPolicy } | undefined {
  for (const name of [basename(granted), ...(real ? [basename(real)] : [])]) {
    const policy = Object.hasOwn(POLICIES, name) ? POLICIES[name] : undefined;
    if (policy) return { name, policy };
  }
  return undefined;
}

/** Why these arguments are refused for the program granted as `granted` (resolving to `real`), or undefined when they are allowed. */
export function refusedArgument(granted: string, args: readonly string[], context: ArgumentContext, real?: string): string | undefined {
  const found = policyOf(granted, real);
  if (!found) return undefined;
  const { name: program, policy } = found;
  const given = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      if (policy.words === 'any') continue;
      if (policy.words) {
        if (policy.words.includes(arg)) continue;
        return `${program} takes no argument ${JSON.stringify(arg)} here (only ${policy.words.join(', ')})`;
      }
      if (policy.file && i === 0 && arg !== '-') {
        const why = refusedValue(policy.file, arg, context);
        if (why) return `${program}: the file ${JSON.stringify(arg)} is refused: ${why}`;
        continue;
      }
      return `${program} takes no argument ${JSON.stringify(arg)} that is not an option${policy.file ? ' (only its config file, first)' : ''}`;
    }
    const name = arg.startsWith('--') ? arg.split('=')[0]! : arg.slice(0, 2);
    if (policy.flags.includes(arg)) {
      flags.add(arg);
      continue;
    }
    const rule = Object.hasOwn(policy.valued, name) ? policy.valued[name] : undefined;
    if (rule !== undefined) {
      const inline = arg.startsWith('--') ? arg.includes('=') : arg.length > 2;
      const value = inline ? (arg.startsWith('--') ? arg.slice(name.length + 1) : arg.slice(2)) : args[++i];
      if (value === undefined) return `${program} option ${name} needs a value`;
      const why = refusedValue(rule, value, context);
      if (why) return `${program} option ${name}: the value ${JSON.stringify(value)} is refused: ${why}`;
      if (given.has(name)) return `${program} option ${name} is given twice`;
      given.set(name, value);
      continue;
    }
    const allowed = [...policy.flags, ...Object.keys(policy.valued)];
    return `${program} option ${JSON.stringify(name)} is not allowed to a manager (${allowed.length > 0 ? `allowed: ${allowed.join(' ')}` : 'it takes none'})`;
  }
  for (const flag of policy.required ?? []) if (!flags.has(flag)) return `${program} runs only with ${flag}`;
  const connects = policy.connects;
  if (connects && !connects.offline.some((flag) => flags.has(flag))) {
    const host = given.get(connects.host);
    const port = Number(given.get(connects.port));
    if (host === undefined || !given.has(connects.port)) return `${program} must be given ${connects.host} and ${connects.port} of a granted connection (without them it reaches the machine's default server)`;
    if (!context.servers.some((server) => server.host === host && server.port === port)) return `${program}: ${host}:${port} is not the server of any granted connection`;
  }
  return undefined;
}

/**
 * A host name or address redis-server reads as one: no leading '-' (it would read "--name" as an
 * option), nothing a config line would have to quote. A grant's host that is not one follows nobody.
 */
const FOLLOWED_HOST = /^[A-Za-z0-9.:_][A-Za-z0-9.:_-]{0,252}$/;

/**
 * The arguments the program is started with: the manager's, plus what the host adds. A program
 * that can follow a primary from its config file (the policy's `follows`: redis-server) gets the
 * replication grant appended, last, so that a replicaof line the manager wrote into the file (or a
 * file it includes) never counts: `--replicaof <host> <port>` with a grant, `--replicaof no one`
 * without. Redis 7.0 reads the command line after the file, and the last replicaof wins.
 */
export function hostArguments(granted: string, args: readonly string[], source: ReplicationSource | undefined, real?: string): string[] {
  const follows = policyOf(granted, real)?.policy.follows;
  // first, as redis-server reads --version (anywhere else it is a config line, and the start fails)
  if (!follows || (args[0] !== undefined && follows.offline.includes(args[0]))) return [...args];
  const followed = source && FOLLOWED_HOST.test(source.host) && Number.isInteger(source.port) && source.port >= 1 && source.port <= 65535 ? source : undefined;
  return [...args, follows.option, ...(followed ? [followed.host, String(followed.port)] : ['no', 'one'])];
}
