import fc from 'fast-check';

/**
 * Every property runs from one seed: random by default, BERTH_FC_SEED=<n> to
 * replay a run. fast-check prints the seed and the shrunk counterexample of a
 * failure; `npx vitest run ... -t <name>` with that seed reproduces it.
 */
const fromEnvironment = process.env.BERTH_FC_SEED;
export const SEED = fromEnvironment !== undefined ? Number(fromEnvironment) : Date.now() ^ (Math.random() * 0x100000000);

/**
 * `shrink: false` for properties over large batches: shrinking thousands of
 * frames, each try a round trip, would take minutes, and the failure already
 * names the frame that broke the rule.
 */
export function runs<T>(numRuns: number, { shrink = true }: { shrink?: boolean } = {}): fc.Parameters<T> {
  return { numRuns, seed: SEED, endOnFailure: !shrink };
}

/** A short description of a long generated value, for fast-check's failure report. */
export function described<T extends object>(value: T, text: () => string): T {
  Object.defineProperty(value, fc.toStringMethod, { value: text, enumerable: false });
  return value;
}

/** Text cut to `max` characters, with the length of what was cut. */
export function clip(text: string, max = 160): string {
  return text.length <= max ? text : `${text.slice(0, max)}...(${text.length} chars)`;
}
