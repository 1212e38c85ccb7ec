/**
 * Argument policies of the programs Berth's own managers run, by the file
 * name of the granted program: which options and words a manager may pass.
 * An option outside the policy is refused, because each of these programs
 * has options that hand a string to a shell (pg_ctl -o, its postgres
 * command line, run through /bin/sh), run another program (pg_ctl -p) or
 * load code and settings from a directory the manager chose (initdb -L).
 * A program without a policy here takes any arguments: granting it is the
 * image builder's choice (docs/security.md, "Programs").
 */
interface ArgumentPolicy {
  /** Options that stand alone. */
  flags: readonly string[];
  /** Options that take a value, as `--name=value`, `--name value`, `-x value` or `-xvalue`. */
  valued: readonly string[];
  /** Words that are not options (pg_ctl's subcommand). */
  words?: readonly string[];
}

const POLICIES: Record<string, ArgumentPolicy> = {
  pg_ctl: {
    flags: ['-w', '--wait', '-W', '--no-wait', '-s', '--silent', '-c', '--core-files'],
    valued: ['-D', '--pgdata', '-l', '--log', '-t', '--timeout', '-m', '--mode'],
    words: ['start', 'stop', 'restart', 'reload', 'status', 'promote', 'logrotate'],
  },
  initdb: {
    flags: ['--no-instructions', '-k', '--data-checksums', '--no-data-checksums', '-N', '--no-sync', '-S', '--sync-only', '-n', '--no-clean'],
    valued: ['-D', '--pgdata', '-U', '--username', '--pwfile', '-A', '--auth', '--auth-host', '--auth-local', '-E', '--encoding', '--locale', '--lc-collate', '--lc-ctype', '--lc-messages', '--lc-monetary', '--lc-numeric', '--lc-time', '--locale-provider', '-X', '--waldir', '--wal-segsize'],
  },
};

// pg_ctl writes -D and -l into the command line it hands to /bin/sh, inside double quotes:
// a value with a quote, $, ` or \ would end the quoting. No value of these programs needs them.
const SAFE_VALUE = /^[A-Za-z0-9_.\/:@%+=,-]*$/;

/** Why these arguments are refused for `program` (its file name), or undefined when they are allowed. */
export function refusedArgument(program: string, args: readonly string[]): string | undefined {
  const policy = POLICIES[program];
  if (!policy) return undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('-') || arg === '-') {
      if (policy.words && !policy.words.includes(arg)) return `${program} takes no argument ${JSON.stringify(arg)} here (only ${policy.words.join(', ')})`;
      if (!policy.words) return `${program} takes no argument ${JSON.stringify(arg)} that is not an option`;
      continue;
    }
    const name = arg.startsWith('--') ? arg.split('=')[0]! : arg.slice(0, 2);
    if (policy.flags.includes(arg)) continue;
    if (policy.valued.includes(name)) {
      const inline = arg.startsWith('--') ? arg.includes('=') : arg.length > 2;
      const value = inline ? (arg.startsWith('--') ? arg.slice(name.length + 1) : arg.slice(2)) : args[++i];
      if (value === undefined) return `${program} option ${name} needs a value`;
      if (!SAFE_VALUE.test(value)) return `${program} option ${name}: the value ${JSON.stringify(value)} has characters a shell would read (letters, digits and _ . / : @ % + = , - only)`;
      continue;
    }
    return `${program} option ${JSON.stringify(name)} is not allowed to a manager (allowed: ${[...policy.flags, ...policy.valued].join(' ')})`;
  }
  return undefined;
}
