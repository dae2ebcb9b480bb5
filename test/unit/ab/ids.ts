/**
 * Visitor-id populations for the statistical tests: reproducible from a seed, shaped like real ids.
 * `randomIds` mimics gateway-minted ids (128 random bits, 32 hex digits); `counterIds` is a worst
 * case for a weak hash (ids that differ in a few low digits only).
 */

/** mulberry32: a small seeded PRNG (statistics need reproducibility, not cryptographic quality). */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

export function randomIds(n: number, seed: number): string[] {
  const next = prng(seed);
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) {
    let id = "";
    for (let w = 0; w < 4; w++) id += next().toString(16).padStart(8, "0");
    ids[i] = id;
  }
  return ids;
}

export function counterIds(n: number, offset = 0): string[] {
  const ids = new Array<string>(n);
  for (let i = 0; i < n; i++) ids[i] = (offset + i).toString(16).padStart(32, "0");
  return ids;
}

/** Share of each index in `assignments` (length `k`). */
export function shares(assignments: ArrayLike<number>, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (let i = 0; i < assignments.length; i++) counts[assignments[i]!]!++;
  return counts.map((c) => c / assignments.length);
}

/** Largest |observed − expected| over the variants, in share units (0.01 = 1 percentage point). */
export function maxDeviation(observed: number[], weights: number[]): number {
  const total = weights.reduce((a, b) => a + Math.max(0, b), 0);
  return Math.max(...observed.map((o, i) => Math.abs(o - Math.max(0, weights[i]!) / total)));
}
