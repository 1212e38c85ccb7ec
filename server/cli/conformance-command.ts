import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { BerthError } from '../../datastores/errors/berth-error.js';

interface ConformanceFlags {
  datastore: string;
  serverConfig?: string;
  json?: string;
  markdown?: string;
  probeWrite?: string;
  probeRead?: string;
  keep?: boolean;
}

export function registerConformance(program: Command, run: (action: () => Promise<void>, json?: boolean) => Promise<void>): void {
  program
    .command('conformance')
    .description('run the standard scenario against a manager and a real datastore, on a private server; print the feature matrix')
    .argument('<manager.wasm>', 'the manager component under test')
    .requiredOption('--datastore <name>', 'the datastore it runs (postgresql, mysql, mariadb, percona, redis and directory have grants built in; others need --server-config)')
    .option('--server-config <file>', "a server config whose [[datastores]] entry of that name gives the grants (the manager's path in it is replaced)")
    .option('--json <file>', 'also write the report as JSON to this file')
    .option('--markdown <file>', 'also write the matrix as docs/conformance.md holds it')
    .option('--probe-write <argv>', 'a command that writes {marker} to the datastore at {host}:{port} as {user}/{password} in {database} (JSON array or space-separated words)')
    .option('--probe-read <argv>', 'a command that prints the markers the datastore holds, one per line')
    .option('--keep', "keep the private server's data directory (instances, host logs) and print where")
    .action((file: string, flags: ConformanceFlags) =>
      run(async () => {
        const { runConformance } = await import('../conformance/scenario.js');
        const { markdownMatrix, renderReport } = await import('../conformance/matrix.js');
        const report = await runConformance({
          managerPath: file,
          datastore: flags.datastore,
          serverConfig: flags.serverConfig,
          probe: { write: flags.probeWrite, read: flags.probeRead },
          keep: flags.keep,
          onResult: (result) => process.stderr.write(`  ${result.status.padEnd(11)} [${result.group}] ${result.check}${result.detail ? `: ${result.detail}` : ''}\n`),
        });
        if (flags.json) writeFileSync(flags.json, `${JSON.stringify(report, null, 2)}\n`);
        if (flags.markdown) writeFileSync(flags.markdown, markdownMatrix(report));
        process.stdout.write(renderReport(report));
        if (report.dataDir) process.stdout.write(`kept: ${report.dataDir}\n`);
        const failed = report.checks.filter((check) => check.status === 'failed');
        if (failed.length > 0) {
          throw new BerthError('BERTH_ERR_CONFORMANCE_FAILED', `${failed.length} check(s) failed: ${failed.map((check) => check.check).join('; ')}`, 'see FAILED CHECKS above; --keep keeps the instances\' host logs');
        }
      }),
    );
}
