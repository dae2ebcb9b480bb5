/**
 * Sticky, monotone weighted assignment (DESIGN.md §4): weighted rendezvous hashing.
 *
 * Istio/Envoy roll the weighted-cluster die before any consistent hash (ISTIO-SEMANTICS.md §2.13,
 * §3 first row; istio/istio#9764, envoyproxy/envoy#24741), so a visitor cannot stay on a variant.
 * Here the visitor id is hashed with the split's identity and each destination's *key*:
 *
 *   u_i   = H(visitorId, splitId, key_i) ∈ (0, 1)         (uniform, independent per key)
 *   score = -ln(u_i) / weight_i                           (an Exp(weight_i) variable)
 *   pick  = argmin score
 *
 * The minimum of independent exponentials with rates w_i is i with probability w_i / Σw, so the
 * split honours the weights. Each score depends only on its own key and weight, which gives
 * monotonicity for free: raising w_j lowers only score_j (visitors can only move *into* j),
 * lowering it raises only score_j (only j's visitors move out), a new variant can only win
 * visitors (≈ w/(W+w) of them) and never reshuffles the old ones, and removing one moves only its
 * own visitors. Contiguous bucket ranges ("hash mod Σw") have this only for two variants.
 *
 * Keys are the destination's identity (`host/subset`), never its position, so reordering
 * destinations or pushing a new table version keeps assignments.
 *
 * The hash is our own two-lane, Murmur3-style 32-bit × 2 construction on Math.imul: synchronous,
 * allocation-free, fast in a Worker; not cryptographic (it need not be: ids are random and the
 * only adversary is a visitor choosing their own variant, which forced-variant rules allow anyway).
 */
import { destinationLabel, type StickySplit, type WeightedDestination } from "../table/types.ts";
import { fmix32 } from "./hash.ts";

/** One candidate of a split: a version-stable key and a relative weight (≤ 0 ⇒ never chosen). */
export interface VariantCandidate {
  key: string;
  weight: number;
}

// ---------------------------------------------------------------- hash (two 32-bit lanes)

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;
// Lane B uses other odd multipliers so the two lanes are not the same function with a new seed.
const D1 = 0x85ebca6b;
const D2 = 0xc2b2ae35;
const SEED_A = 0x9747b28c;
const SEED_B = 0x3c6ef372;
/** Field separator: ids and keys never contain U+0000, so (a, b) ≠ (a', b') ⇒ different streams. */
const SEP = 0;

/** Hash state after absorbing some UTF-16 code units: [laneA, laneB, length]. */
export type HashState = readonly [number, number, number];

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}


/** Absorb `s` then a separator; one code unit per round keeps the state resumable (prefix reuse). */
export function absorb(state: HashState, s: string): HashState {
  let a = state[0];
  let b = state[1];
  const n = s.length;
  for (let i = 0; i <= n; i++) {
    const c = i < n ? s.charCodeAt(i) : SEP;
    let k = Math.imul(c, C1);
    k = rotl(k, 15);
    k = Math.imul(k, C2);
    a ^= k;
    a = rotl(a, 13);
    a = (Math.imul(a, 5) + 0xe6546b64) | 0;
    let m = Math.imul(c ^ 0x5bd1e995, D1);
    m = rotl(m, 17);
    m = Math.imul(m, D2);
    b ^= m;
    b = rotl(b, 11);
    b = (Math.imul(b, 9) + 0x7f4a7c15) | 0;
  }
  return [a, b, state[2] + n + 1];
}

export const INITIAL_STATE: HashState = [SEED_A, SEED_B, 0];

/**
 * Finalise to a uniform double in the open interval (0, 1) with 53 random bits.
 * The lanes are cross-mixed first so that each output bit depends on both lanes.
 */
export function toUnit(state: HashState): number {
  const len = state[2];
  let a = state[0] ^ len;
  let b = state[1] ^ Math.imul(len, 0x27d4eb2f);
  a = (a + b) | 0;
  b = (b + a) | 0;
  a = fmix32(a);
  b = fmix32(b);
  a = (a + b) | 0;
  b = (b + a) | 0;
  const hi = (a >>> 0) * 2 ** 21; // 32 bits
  const lo = (b >>> 0) >>> 11; // 21 bits
  // +0.5 keeps u away from 0 and 1: -ln(u) is finite and > 0.
  return (hi + lo + 0.5) / 2 ** 53;
}

/**
 * H(parts…) ∈ (0, 1): the hash assignVariant scores with (absorb each part, then toUnit), as one
 * call so its tests can check field boundaries and uniformity; no production caller needs it.
 */
export function hashToUnit(...parts: string[]): number {
  let st = INITIAL_STATE;
  for (const p of parts) st = absorb(st, p);
  return toUnit(st);
}

// ---------------------------------------------------------------- assignment

/**
 * Index of the destination `visitorId` is assigned to in split `splitId`, or -1 when no
 * destination has a positive weight. Pure and deterministic; ties (probability ≈ 2^-53) go to the
 * lower index.
 */
export function assignVariant(visitorId: string, splitId: string, destinations: readonly VariantCandidate[]): number {
  // The (visitor, split) prefix is absorbed once and resumed for each key.
  const prefix = absorb(absorb(INITIAL_STATE, visitorId), splitId);
  let best = -1;
  let bestScore = Infinity;
  for (let i = 0; i < destinations.length; i++) {
    const d = destinations[i]!;
    if (!(d.weight > 0)) continue; // zero/negative/NaN weight: never chosen
    const score = -Math.log(toUnit(absorb(prefix, d.key))) / d.weight;
    if (score < bestScore) {
      bestScore = score;
      best = i;
    }
  }
  return best;
}

/**
 * The variant name of a destination (`host` or `host/subset`), as exposed in Decision.variant,
 * the `x-edge-variant` request header and analytics.
 */
export function variantName(d: { host: string; subset?: string }): string {
  return destinationLabel(d);
}

/**
 * Version-stable keys for a split's destinations: `host` or `host/subset`. The port joins the key
 * (`host/subset:port`) only when the split has the same host/subset on two ports: the compiler
 * fills a destination's port from its ServiceEntry, and adding a port there must not re-deal
 * every visitor. A destination repeated in one split (same host/subset/port, e.g. with different
 * header ops) gets `#2`, `#3`… by occurrence; otherwise the copies would share one hash value and
 * the lighter copy could never win.
 */
export function candidateKeys(destinations: readonly Pick<WeightedDestination, "host" | "subset" | "port">[]): string[] {
  const ports = new Map<string, Set<number | undefined>>();
  for (const d of destinations) {
    const name = variantName(d);
    if (!ports.has(name)) ports.set(name, new Set());
    ports.get(name)!.add(d.port);
  }
  const seen = new Map<string, number>();
  return destinations.map((d) => {
    const name = variantName(d);
    const base = ports.get(name)!.size > 1 ? `${name}:${d.port ?? ""}` : name;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return n === 1 ? base : `${base}#${n}`;
  });
}

/** Candidates of a compiled split, cached per destinations array (tables are immutable). */
const candidateCache = new WeakMap<readonly WeightedDestination[], VariantCandidate[]>();

export function candidatesOf(destinations: readonly WeightedDestination[]): VariantCandidate[] {
  let c = candidateCache.get(destinations);
  if (!c) {
    const keys = candidateKeys(destinations);
    c = destinations.map((d, i) => ({ key: keys[i]!, weight: d.weight }));
    candidateCache.set(destinations, c);
  }
  return c;
}

/** assignVariant over a compiled route action's destinations. */
export function assignSticky(visitorId: string, sticky: StickySplit, destinations: readonly WeightedDestination[]): number {
  return assignVariant(visitorId, sticky.splitId, candidatesOf(destinations));
}
