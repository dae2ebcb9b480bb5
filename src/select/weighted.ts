/**
 * Weighted destination choice (ISTIO-SEMANTICS §2.13, Envoy pickWeightedCluster): a random
 * value mod Σweights walked over the destinations IN ORDER. Relative weights (Istio ≥ 1.15).
 * A single destination takes all traffic whatever its weight and consumes no randomness.
 *
 * `pickDestination` is the one entry point decide() uses. A sticky split (DESIGN.md §4,
 * `action.sticky`) is assigned by src/select/sticky.ts from the visitor id: the request's cookie,
 * else `opts.visitorId` (CLI `--visitor`), else a fresh id from `opts.newVisitorId` (Worker), in
 * which case the visitor cookie is returned to be set. An application-owned cookie
 * (`sticky.appOwned`) is never minted nor set. No visitor id at all ⇒ the plain roll below.
 *
 * rand() calls: 0 for a single destination or a sticky assignment, else exactly 1.
 */
import type { RouteAction, WeightedDestination } from "../table/types.ts";
import type { DecideOptions, RequestFacts } from "../decision.ts";
import { assignSticky } from "./sticky.ts";
import { mintVisitorId, normalizeVisitorId, visitorIdFromRequest, visitorSetCookie } from "./visitor.ts";

type RouteKind = Extract<RouteAction, { kind: "route" }>;

export interface DestinationPick {
  destination: WeightedDestination;
  index: number;
  /** Set-Cookie values to add to the response (sticky assignment). */
  setCookies: string[];
  /**
   * Sticky split: the visitor id this request minted (its cookie is in setCookies). A
   * DestinationRule httpCookie of the same name must hash this id instead of minting a second
   * cookie (decide() passes it on through visitor.ts `withVisitorCookie`).
   */
  minted?: { cookie: string; id: string };
  /** Sticky split: the visitor id the assignment used (from the request, or minted). */
  visitor?: string;
  /** Header session (StickySplit.header): the response header that returns the id. */
  responseHeader?: [string, string];
  /** Header session: the id was minted by this request (an assignment, like a Set-Cookie). */
  headerMinted?: true;
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

function pickSticky(action: RouteKind, facts: RequestFacts, opts: DecideOptions): DestinationPick | null {
  const sticky = action.sticky!;
  // A Header session (GEP-1619) reads the id from its request header: same id rules as the cookie.
  let id = sticky.header !== undefined ? normalizeVisitorId(facts.headers.get(sticky.header)) : visitorIdFromRequest(facts.headers, sticky);
  const setCookies: string[] = [];
  let minted: DestinationPick["minted"];
  const fromRequest = id !== undefined;
  if (id === undefined && !sticky.appOwned) {
    id = normalizeVisitorId(opts.visitorId) ?? (opts.newVisitorId ? mintVisitorId(opts.newVisitorId) : undefined);
    if (id !== undefined && sticky.header === undefined) {
      setCookies.push(visitorSetCookie(sticky, id, facts.scheme === "https"));
      minted = { cookie: sticky.cookie, id };
    }
  }
  if (id === undefined) return null;
  const index = assignSticky(id, sticky, action.destinations);
  if (index < 0) return null;
  const pick: DestinationPick = { destination: action.destinations[index]!, index, setCookies, visitor: id, ...(minted ? { minted } : {}) };
  // The gateway returns the session header on every response, so a client can always echo it back.
  if (sticky.header !== undefined) {
    pick.responseHeader = [sticky.header, id];
    if (!fromRequest) pick.headerMinted = true;
  }
  return pick;
}

export function pickDestination(action: RouteKind, facts: RequestFacts, opts: DecideOptions): DestinationPick {
  const ds = action.destinations;
  if (ds.length === 1) return { destination: ds[0]!, index: 0, setCookies: [] };
  if (action.sticky) {
    const picked = pickSticky(action, facts, opts);
    if (picked) return picked;
  }
  let total = action.totalWeight;
  if (!(total > 0)) total = ds.reduce((s, d) => s + d.weight, 0);
  const index = weightedIndex(ds, total, opts.rand());
  return { destination: ds[index]!, index, setCookies: [] };
}
