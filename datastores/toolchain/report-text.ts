import type { InspectReport } from './inspect.js';
import type { BuildResult } from './build.js';
import { unsupportedOperations } from './manifest.js';

/** What `berth build` and `berth inspect` print, shared by the repository's CLI and the SDK package's. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/** Operation names wrapped to the terminal width, indented under a heading. */
export function wrapList(items: readonly string[], indent = '    ', width = 100): string {
  if (items.length === 0) return `${indent}(none)`;
  const lines: string[] = [];
  let line = indent;
  for (const item of items) {
    const next = line === indent ? `${line}${item}` : `${line}, ${item}`;
    if (next.length > width && line !== indent) {
      lines.push(`${line},`);
      line = `${indent}${item}`;
    } else line = next;
  }
  lines.push(line);
  return lines.join('\n');
}

export function buildJson(out: string, result: BuildResult): string {
  return `${JSON.stringify({ out, size: result.bytes.length, sha256: result.sha256, backend: result.backend, cached: result.cached, supported: result.manifest.operations, timings: result.timings })}\n`;
}

export function buildText(out: string, result: BuildResult): string {
  const t = result.timings;
  const took = result.cached ? 'from cache' : `in ${((t.bundleMs + t.typecheckMs + t.componentizeMs + t.checkMs) / 1000).toFixed(1)} s`;
  return [
    `built ${out} (${formatBytes(result.bytes.length)}, ${result.backend}, ${took})`,
    `  ${result.manifest.name} ${result.manifest.version} for ${result.manifest.datastores.join(', ')}`,
    `  sha256 ${result.sha256}`,
    `  supported (${result.manifest.operations.length}):`,
    wrapList(result.manifest.operations),
    `  unsupported: ${unsupportedOperations(result.manifest).length} more operations answer "unsupported"`,
    '',
  ].join('\n');
}

export function inspectText(report: InspectReport): string {
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
