export { reportError } from '../../datastores/errors/report-error.js';

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
