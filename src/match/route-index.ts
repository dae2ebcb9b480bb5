/**
 * Candidate index over one virtual host's routes. It PRUNES, it never REORDERS: Istio/Envoy
 * take the first route (in table order) whose matchers all hold, so we collect the ascending
 * lists of routes that COULD match and evaluate the full matcher on them in ascending index
 * order (a k-way merge that stops at the first match).
 *
 * Every route lands in exactly one bucket, chosen by its most selective indexable condition:
 * - uri exact ⇒ `exact` (or `exactLower` with ignoreUriCase), keyed by the path;
 * - uri prefix ⇒ `prefix` (or `prefixLower`), keyed by the prefix; lookup tries every distinct
 *   prefix length against the start of path+query, so cost grows with the number of distinct
 *   lengths, not with the number of routes;
 * - uri regex with a literal prefix (string-match.ts literalRegexPrefix) ⇒ `prefix` under it;
 * - otherwise (or when the only uri condition is the unselective prefix "/"), when the route
 *   requires a header ⇒ `byHeader` under that header's name;
 * - otherwise ⇒ `always` (a candidate for every request).
 * A bucket only holds routes for which its key is a NECESSARY condition, so pruning is sound.
 */
import type { Route } from "../table/types.ts";
import type { MatchInput } from "./route-match.ts";
import { asciiLower, literalRegexPrefix } from "./string-match.ts";

interface PrefixBuckets {
  byKey: Map<string, number[]>;
  /** Distinct key lengths, ascending. */
  lengths: number[];
}

export interface RouteIndex {
  exact: Map<string, number[]>;
  exactLower: Map<string, number[]>;
  prefix: PrefixBuckets;
  prefixLower: PrefixBuckets;
  /** [header name, routes] pairs: checked with `headers.has`. */
  byHeader: Array<[string, number[]]>;
  always: number[];
}

function push<K>(map: Map<K, number[]>, key: K, index: number): void {
  const list = map.get(key);
  if (list) list.push(index);
  else map.set(key, [index]);
}

function finishPrefix(byKey: Map<string, number[]>): PrefixBuckets {
  const lengths = [...new Set([...byKey.keys()].map((k) => k.length))].sort((a, b) => a - b);
  return { byKey, lengths };
}

export function buildRouteIndex(routes: readonly Route[]): RouteIndex {
  const exact = new Map<string, number[]>();
  const exactLower = new Map<string, number[]>();
  const prefix = new Map<string, number[]>();
  const prefixLower = new Map<string, number[]>();
  const byHeader = new Map<string, number[]>();
  const always: number[] = [];

  routes.forEach((route, i) => {
    const m = route.match;
    const uri = m?.uri;
    const ci = m?.ignoreUriCase === true;
    if (uri && "exact" in uri) return push(ci ? exactLower : exact, ci ? asciiLower(uri.exact) : uri.exact, i);
    const firstHeader = m?.headers?.[0];
    // Every path starts with "/": a "/" prefix selects nothing, so a route that also requires a
    // header is bucketed by that header instead (bench/ANALYSIS.md: 250 such routes were
    // candidates for every request of a 1,000-route host).
    if (uri && "prefix" in uri && uri.prefix !== "" && !(uri.prefix === "/" && firstHeader)) {
      return push(ci ? prefixLower : prefix, ci ? asciiLower(uri.prefix) : uri.prefix, i);
    }
    if (uri && "regex" in uri) {
      const lit = literalRegexPrefix(uri.regex, uri.flags);
      if (lit !== "") return push(prefix, lit, i);
    }
    if (firstHeader) return push(byHeader, firstHeader[0], i);
    always.push(i);
  });

  return {
    exact,
    exactLower,
    prefix: finishPrefix(prefix),
    prefixLower: finishPrefix(prefixLower),
    byHeader: [...byHeader.entries()],
    always,
  };
}

function collectPrefix(b: PrefixBuckets, value: string, out: number[][]): void {
  const lengths = b.lengths;
  for (let k = 0; k < lengths.length; k++) {
    const len = lengths[k]!;
    if (len > value.length) break;
    const list = b.byKey.get(value.slice(0, len));
    if (list) out.push(list);
  }
}

/** Ascending candidate lists for this request (each list ascending, lists disjoint). */
export function candidateLists(index: RouteIndex, input: MatchInput): number[][] {
  const out: number[][] = [];
  if (index.always.length) out.push(index.always);
  const e = index.exact.get(input.facts.path);
  if (e) out.push(e);
  if (index.exactLower.size) {
    const l = index.exactLower.get(input.lowerPath);
    if (l) out.push(l);
  }
  if (index.prefix.lengths.length) collectPrefix(index.prefix, input.fullPath, out);
  if (index.prefixLower.lengths.length) collectPrefix(index.prefixLower, input.lowerFullPath, out);
  const headers = input.facts.headers;
  for (let h = 0; h < index.byHeader.length; h++) {
    const [name, list] = index.byHeader[h]!;
    if (headers.has(name)) out.push(list);
  }
  return out;
}

/**
 * Walk the candidate lists in ascending route index (k-way merge) and return the first index
 * for which `accept` holds, or -1.
 */
export function firstAccepted(lists: number[][], accept: (routeIndex: number) => boolean): number {
  if (lists.length === 0) return -1;
  if (lists.length === 1) {
    const only = lists[0]!;
    for (let j = 0; j < only.length; j++) if (accept(only[j]!)) return only[j]!;
    return -1;
  }
  const cursor = new Array<number>(lists.length).fill(0);
  for (;;) {
    let best = -1;
    let bestList = -1;
    for (let l = 0; l < lists.length; l++) {
      const list = lists[l]!;
      const c = cursor[l]!;
      if (c < list.length && (best === -1 || list[c]! < best)) {
        best = list[c]!;
        bestList = l;
      }
    }
    if (bestList === -1) return -1;
    cursor[bestList] = cursor[bestList]! + 1;
    if (accept(best)) return best;
  }
}
