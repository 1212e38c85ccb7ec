#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { registerHost } from './host-command.js';
import { reportError } from './output.js';

type Run = (action: () => Promise<void>, json?: boolean) => Promise<void>;

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

/**
 * Every command's registration, in the order help lists them. `berth host`
 * runs on every guest server, where start-up time and memory count, and
 * loads only its own: the others' modules reach the build toolchain, whose
 * preview2-shim starts an I/O thread of its own on import.
 */
async function registrations(): Promise<Array<(program: Command, run: Run) => void>> {
  if (process.argv[2] === 'host') return [registerHost];
  const [build, inspect, newManager, pack, server, up, operator, hashPassword, importTroveConf, conformance] = await Promise.all([
    import('./build-command.js'),
    import('./inspect-command.js'),
    import('./new-manager-command.js'),
    import('./pack-command.js'),
    import('./server-command.js'),
    import('./up-command.js'),
    import('./operator-commands.js'),
    import('./hash-password-command.js'),
    import('./import-trove-conf-command.js'),
    import('./conformance-command.js'),
  ]);
  return [build.registerBuild, inspect.registerInspect, newManager.registerNewManager, pack.registerPack, registerHost, server.registerServer, up.registerUp, operator.registerOperatorCommands, hashPassword.registerHashPassword, importTroveConf.registerImportTroveConf, conformance.registerConformance];
}

try {
  for (const register of await registrations()) register(program, run);
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // help and version exit 0; a usage error exits 2 (BERTH_ERR_USAGE), commander already said why
    process.exitCode = error.exitCode === 0 ? 0 : 2;
  } else {
    process.exitCode = reportError(error, false);
  }
}
