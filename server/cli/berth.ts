#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerBuild } from './build-command.js';
import { registerInspect } from './inspect-command.js';
import { registerHost } from './host-command.js';
import { registerServer } from './server-command.js';
import { registerUp } from './up-command.js';
import { registerOperatorCommands } from './operator-commands.js';
import { reportError } from './output.js';

const program = new Command('berth')
  .description('Berth: sandboxed datastore managers and the control plane that drives them')
  .version('0.1.0')
  .exitOverride()
  .configureOutput({ writeErr: (text) => process.stderr.write(text) });

async function run(action: () => Promise<void>, json = false): Promise<void> {
  try {
    await action();
  } catch (error) {
    process.exitCode = reportError(error, json);
  }
}

registerBuild(program, run);
registerInspect(program, run);
registerHost(program, run);
registerServer(program, run);
registerUp(program, run);
registerOperatorCommands(program, run);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // help and version exit 0; a usage error exits 2 (BERTH_ERR_USAGE), commander already said why
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(error, false);
  }
}
