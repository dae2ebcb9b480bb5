/**
 * Stable, platform-independent hashing for consistent-hash load balancing.
 * FNV-1a (32-bit) over UTF-16 code units, then a murmur3 finalizer for avalanche: the same
 * input gives the same value in the Worker and the CLI, across isolates and versions.
 */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** Murmur3 finaliser: full avalanche of a 32-bit word. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A value in (0, 1) derived from `s` (never 0 or 1, so it is safe under a logarithm). */
export function unitHash(s: string): number {
  return (hash32(s) + 0.5) / 4294967296;
}
