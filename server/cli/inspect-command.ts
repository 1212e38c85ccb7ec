import type { Command } from 'commander';
import { inspectText } from '../../datastores/toolchain/report-text.js';

export function registerInspect(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('inspect')
    .description('print what a manager .wasm is and which grants it asks for, without running it')
    .argument('<file>', 'a manager component')
    .option('--json', 'print the report as JSON')
    .action((file: string, flags: { json?: boolean }) =>
      run(async () => {
        const { inspectManager } = await import('../../datastores/toolchain/inspect.js');
        const report = await inspectManager(file);
        process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : inspectText(report));
      }, flags.json),
    );
}
