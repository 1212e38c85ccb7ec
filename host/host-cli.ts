import { parseArgs } from 'node:util';
import { BerthError } from '../datastores/errors/berth-error.js';
import { reportError } from '../datastores/errors/report-error.js';
import { printHostCheck, printOneCall, serveUntilSignalled } from './host-command-run.js';

const USAGE = `usage: node host.js [--config /etc/berth/guest.toml] [--check]

The Berth guest host, packed by \`berth pack\`: runs the one manager its config
names, in its sandbox, with only the grants the config gives, and dials the server.

  -c, --config <file>  guest config (TOML or JSON)        default /etc/berth/guest.toml
      --check          check the config and the manager, fill the transpile cache, exit
      --call <op>      run one operation of the manager (no server), print its outcome as JSON
      --args <json>    the operation's arguments, a JSON array (u64 as {"$bigint": "1"})
      --artifact <a>   name=file:read|write, a backup artifact the call may read or write (repeatable)
  -h, --help           this text
`;

/**
 * The entry point of a packed guest (`berth pack`): what `berth host` does,
 * without the rest of the berth command, whose other commands need the
 * control plane and the build toolchain a database server does not carry.
 */
async function main(argv: string[]): Promise<void> {
  let flags: { config: string; check: boolean; help: boolean; call?: string; args?: string; artifact: string[] };
  try {
    const { values } = parseArgs({
      args: argv,
      options: {
        config: { type: 'string', short: 'c', default: '/etc/berth/guest.toml' },
        check: { type: 'boolean', default: false },
        call: { type: 'string' },
        args: { type: 'string' },
        artifact: { type: 'string', multiple: true, default: [] },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
    });
    flags = { config: values.config ?? '/etc/berth/guest.toml', check: values.check ?? false, help: values.help ?? false, call: values.call, args: values.args, artifact: values.artifact ?? [] };
  } catch (error) {
    throw new BerthError('BERTH_ERR_USAGE', error instanceof Error ? error.message : String(error), 'run with --help for the options');
  }
  if (flags.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (flags.check) return printHostCheck(flags.config);
  if (flags.call !== undefined) return printOneCall(flags.config, flags.call, flags.args, flags.artifact);
  const { runGuestHost } = await import('./host-main.js');
  await serveUntilSignalled(await runGuestHost(flags.config));
}

try {
  await main(process.argv.slice(2));
} catch (error) {
  process.exitCode = reportError(error, false);
}
