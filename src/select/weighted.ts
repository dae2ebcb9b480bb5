/**
 * Weighted destination choice (ISTIO-SEMANTICS §2.13, Envoy pickWeightedCluster): a random
 * value mod Σweights walked over the destinations IN ORDER. Relative weights (Istio ≥ 1.15).
 * A single destination takes all traffic whatever its weight and consumes no randomness.
 *
 * `pickDestination` is the one entry point decide() uses: sticky splits (DESIGN.md §4) plug in
 * here — when `action.sticky` is set, src/select/sticky.ts will provide the assignment (a
 * visitor-id rendezvous hash, plus the Set-Cookie for a new visitor); until it exists a sticky
 * split falls back to the plain per-request roll below.
 */
import type { RouteAction, WeightedDestination } from "../compile/table.ts";
import type { DecideOptions, RequestFacts } from "../decision.ts";

type RouteKind = Extract<RouteAction, { kind: "route" }>;

export interface DestinationPick {
  destination: WeightedDestination;
  index: number;
  /** Set-Cookie values to add to the response (sticky assignment). */
  setCookies: string[];
}

/** Index chosen by `r` ∈ [0,1) among the weights (ordered walk of Σweights buckets). */
export function weightedIndex(items: ReadonlyArray<{ weight: number }>, total: number, r: number): number {
  // Envoy: random_value % total_weight; then the first destination whose cumulative weight
  // exceeds it. r × total (r uniform in [0,1)) is the same draw without the integer detour.
  const target = r * total;
  let acc = 0;
  for (let i = 0; i < items.length; i++) {
    acc += items[i]!.weight;
    if (target < acc) return i;
  }
  return items.length - 1;
}

/** rand calls: 0 for a single destination, else exactly 1. */
export function pickDestination(action: RouteKind, _facts: RequestFacts, opts: DecideOptions): DestinationPick {
  const ds = action.destinations;
  if (ds.length === 1) return { destination: ds[0]!, index: 0, setCookies: [] };
  // Sticky splits (action.sticky) plug in here: see the module comment.
  let total = action.totalWeight;
  if (!(total > 0)) total = ds.reduce((s, d) => s + d.weight, 0);
  const index = weightedIndex(ds, total, opts.rand());
  return { destination: ds[index]!, index, setCookies: [] };
}
