import { asBerthError } from '../../datastores/errors/berth-error.js';

/** Errors leave the CLI as one line with the catalogue code, a fix, and the exit code of their class. */
export function reportError(error: unknown, json: boolean): number {
  const berthError = asBerthError(error);
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: berthError.toJSON() })}\n`);
  } else {
    process.stderr.write(`error ${berthError.code}: ${berthError.message}\n`);
    if (berthError.fix) process.stderr.write(`  fix: ${berthError.fix}\n`);
    if (berthError.code === 'BERTH_ERR_INTERNAL' && process.env.BERTH_DEBUG && berthError.cause instanceof Error) {
      process.stderr.write(`${berthError.cause.stack}\n`);
    }
  }
  return berthError.exitCode;
}

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
