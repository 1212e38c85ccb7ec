/**
 * A share of the server's memory (prepare's memory-mb, the flavor's RAM) in
 * whole MB, never below `floorMb`; undefined when the server gave no size
 * (memory-mb 0), so the datastore keeps its own default.
 */
export function memoryShareMb(memoryMb: number, fraction: number, floorMb: number): number | undefined {
  if (!Number.isFinite(memoryMb) || memoryMb <= 0) return undefined;
  return Math.max(floorMb, Math.floor(memoryMb * fraction));
}
