/** Rows under a header, each column as wide as its widest cell, two spaces apart. */
export function table(headers: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)));
  return [headers, ...rows]
    .map((row) =>
      headers
        .map((_, column) => (row[column] ?? '').padEnd(widths[column]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Labelled values one per line, the values aligned; undefined values are left out. */
export function fields(pairs: ReadonlyArray<readonly [string, string | undefined]>, indent = ''): string {
  const shown = pairs.filter((pair): pair is readonly [string, string] => pair[1] !== undefined);
  const width = Math.max(0, ...shown.map(([label]) => label.length));
  return shown.map(([label, value]) => `${indent}${label.padEnd(width)}  ${value}`).join('\n');
}
