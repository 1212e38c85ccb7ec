/**
 * Where a process's resident memory goes, from /proc/<pid>/smaps: the bench's
 * answer to "what would a cut save" (the binary's pages, V8's and malloc's
 * anonymous pages, wasm memories), summed by kind with the largest mappings.
 */
import { readFileSync } from 'node:fs';

interface Mapping {
  start: bigint;
  sizeKiB: number;
  rssKiB: number;
  name: string;
}

function mappings(pid: number): Mapping[] {
  const found: Mapping[] = [];
  let current: Mapping | undefined;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const start = BigInt(`0x${header[1]}`);
      current = { start, sizeKiB: Number((BigInt(`0x${header[2]}`) - start) / 1024n), rssKiB: 0, name: header[3] || '[anon]' };
      found.push(current);
    } else if (current && line.startsWith('Rss:')) {
      current.rssKiB = Number(line.split(/\s+/)[1]);
    }
  }
  return found;
}

/** Lines naming each kind's resident MiB and the `top` largest mappings. */
export function smapsBreakdown(pid: number, top = 12): string[] {
  const all = mappings(pid);
  const byName = new Map<string, number>();
  for (const m of all) byName.set(m.name, (byName.get(m.name) ?? 0) + m.rssKiB);
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  const lines = [...byName].sort((a, b) => b[1] - a[1]).slice(0, top).map(([name, kib]) => `${mib(kib).padStart(7)} MiB  ${name}`);
  lines.push('largest mappings (resident / size):');
  for (const m of [...all].sort((a, b) => b.rssKiB - a.rssKiB).slice(0, top)) {
    lines.push(`${mib(m.rssKiB).padStart(7)} / ${mib(m.sizeKiB).padStart(9)} MiB  ${m.name}`);
  }
  return lines;
}
