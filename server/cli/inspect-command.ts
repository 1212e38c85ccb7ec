import type { Command } from 'commander';
import type { InspectReport } from '../../datastores/toolchain/inspect.js';
import { formatBytes, wrapList } from './output.js';

function render(report: InspectReport): string {
  const { manifest } = report;
  const caps = manifest.capabilities;
  const lines = [
    `${report.file}`,
    `  manager      ${manifest.name} ${manifest.version}`,
    `  datastores   ${manifest.datastores.join(', ')}`,
    `  contract     ${manifest.contract}`,
    `  size         ${formatBytes(report.size)}`,
    `  sha256       ${report.sha256}`,
    `  supported (${report.supported.length}):`,
    wrapList(report.supported),
    `  unsupported (${report.unsupported.length}):`,
    wrapList(report.unsupported),
    `  configuration parameters (${manifest.parameters.length}):`,
    manifest.parameters.length ? wrapList(manifest.parameters.map((p) => p.name)) : '    (none declared: the server checks no setting)',
    `  guest options:`,
    ...(manifest.options.length
      ? manifest.options.map((o) => `    ${o.key}${o.required ? ' (required)' : ''}${o.defaultValue !== undefined ? ` = ${o.defaultValue}` : ''}`)
      : ['    (none)']),
    `  grants it asks for:`,
    ...caps.programs.map((p) => `    program     ${p.program}  (${p.purpose})`),
    ...caps.directories.map((d) => `    directory   ${d.path} ${d.access}  (${d.purpose})`),
    ...caps.connections.map((c) => `    connection  ${c.name} ${c.kind}  (${c.purpose})`),
    ...caps.environment.map((e) => `    env         ${e}`),
  ];
  if (caps.programs.length + caps.directories.length + caps.connections.length + caps.environment.length === 0) lines.push('    (none)');
  return `${lines.join('\n')}\n`;
}

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
        process.stdout.write(flags.json ? `${JSON.stringify(report)}\n` : render(report));
      }, flags.json),
    );
}
