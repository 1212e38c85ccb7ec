import type { Command } from 'commander';

/** `berth new-manager`: the SDK package's scaffold (datastores/toolchain/new-manager.ts), from a clone too. */
export function registerNewManager(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('new-manager')
    .description('scaffold a manager in its own npm project (package.json, tsconfig.json, manager.ts, README, test)')
    .argument('<dir>', 'a new or empty directory')
    .option('--name <name>', 'the manager and datastore name (default: from the directory)')
    .option('--json', 'print the result as JSON')
    .action((dir: string, flags: { name?: string; json?: boolean }) =>
      run(async () => {
        const { newManager } = await import('../../datastores/toolchain/new-manager.js');
        const result = await newManager({ dir, name: flags.name });
        process.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `created ${result.name} in ${result.dir}: ${result.files.join(', ')}\n`);
      }, flags.json),
    );
}
