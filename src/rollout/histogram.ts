/**
 * A fixed-size latency histogram: what every isolate keeps per variant of a rollout and flushes to
 * the rollout's object (DESIGN.md §11: counters, not per-request records). Buckets grow
 * geometrically by 25 % from 1 ms to ~60 s (50 buckets + overflow), so a percentile read from it
 * is within 25 % of the true value, whatever the number of requests; two histograms add bucket
 * by bucket, so counts from many isolates merge exactly.
 */

/** Upper bounds (ms) of the buckets; the last bucket (index BOUNDS.length) is "above". */
export const BOUNDS_MS: readonly number[] = (() => {
  const out: number[] = [];
  for (let b = 1; b <= 60_000; b *= 1.25) out.push(b);
  return out;
})();

export const BUCKETS = BOUNDS_MS.length + 1;

export function emptyHistogram(): number[] {
  return new Array<number>(BUCKETS).fill(0);
}

export function bucketOf(ms: number): number {
  // Binary search: the first bound ≥ ms.
  let lo = 0;
  let hi = BOUNDS_MS.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (BOUNDS_MS[mid]! >= ms) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function record(h: number[], ms: number): void {
  h[bucketOf(ms)]! += 1;
}

export function addInto(into: number[], from: readonly number[]): void {
  for (let i = 0; i < BUCKETS; i++) into[i]! += from[i] ?? 0;
}

/**
 * The q-quantile (0–1) as the upper bound of the bucket holding it (an overestimate by at most
 * one bucket: conservative for a "p99 must stay below" check); null without samples. A quantile
 * in the overflow bucket is Infinity.
 */
export function quantile(h: readonly number[], q: number): number | null {
  const total = h.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.ceil(q * total);
  let seen = 0;
  for (let i = 0; i < BUCKETS; i++) {
    seen += h[i]!;
    if (seen >= rank) return i < BOUNDS_MS.length ? BOUNDS_MS[i]! : Infinity;
  }
  return Infinity;
}
