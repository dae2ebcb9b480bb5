/**
 * Endpoint choice inside the already chosen cluster (ISTIO-SEMANTICS §1.3 loadBalancer, §2.13).
 * Endpoint weights are WorkloadEntry weights.
 *
 * - LEAST_REQUEST (Istio default, also UNSPECIFIED/PASSTHROUGH here): power of two choices —
 *   two weighted random draws, the one with fewer in-flight requests per unit of weight wins
 *   (ties: the first draw). Without SelectState every count is 0, so the first draw wins.
 * - RANDOM: one weighted random draw.
 * - ROUND_ROBIN: smooth weighted round robin per cluster in SelectState; stateless (CLI) it
 *   degrades to one weighted random draw.
 * - consistentHash: weighted rendezvous hashing of the key (stable when endpoints come and go);
 *   a missing key ⇒ one random draw (Envoy: no hash ⇒ random host). httpCookie with a ttl and
 *   no cookie ⇒ a new value is generated, used for this request and returned as Set-Cookie
 *   `name="<16 hex>"; Max-Age=<ttl, omitted when 0>; Path=<path>; HttpOnly` (vector #43).
 *
 * rand() calls (documented for reproducible CLI decisions), in this order:
 *   1. cookie generation: 2 calls when an httpCookie with ttl is configured and absent;
 *   2. the choice: 0 when a single endpoint is eligible; otherwise LEAST_REQUEST 2,
 *      RANDOM 1, ROUND_ROBIN 0 with state / 1 without, consistentHash 0 with a key / 1 without.
 *
 * `exclude` (endpoint URLs) lets retries reselect away from previous hosts (Envoy
 * previous_hosts predicate); when every endpoint is excluded the full list is used again,
 * as Envoy accepts a previous host once host-selection retries are exhausted.
 */
import { cookieValues } from "./visitor.ts";
import { clusterKey, type Cluster, type Endpoint, type LoadBalancer } from "../table/types.ts";
import type { DecideOptions, RequestFacts, SelectState } from "../decision.ts";
import { unitHash } from "./hash.ts";
import { weightedIndex } from "./weighted.ts";
import { parseQuery } from "../match/query.ts";
import { outlierDetector } from "./outlier.ts";

export interface EndpointPick {
  endpoint: Endpoint;
  /** Set-Cookie values for the response (consistent-hash cookie generated on this request). */
  setCookies: string[];
}

export interface ClusterLbState {
  /** Smooth weighted round robin current weights, by endpoint URL. */
  rrCurrent: Map<string, number>;
  /** In-flight requests by endpoint URL (the forwarder increments/decrements). */
  inFlight: Map<string, number>;
}

const LB_STATE_KEY = "lb";

/** Per-cluster LB state inside the opaque SelectState (created on first use). */
export function clusterLbState(state: SelectState, key: string): ClusterLbState {
  let all = state[LB_STATE_KEY] as Map<string, ClusterLbState> | undefined;
  if (!all) state[LB_STATE_KEY] = all = new Map();
  let s = all.get(key);
  if (!s) all.set(key, (s = { rrCurrent: new Map(), inFlight: new Map() }));
  return s;
}

/**
 * clusterKey of a table's Cluster object, built once per object: the forwarder asks twice per
 * attempt, and a template string with a number is an allocation and a conversion each time.
 */
const keyOfCluster = new WeakMap<Cluster, string>();
function clusterKeyOf(cluster: Cluster): string {
  let key = keyOfCluster.get(cluster);
  if (key === undefined) keyOfCluster.set(cluster, (key = clusterKey(cluster.host, cluster.subset, cluster.port)));
  return key;
}

/** Forwarder hook: +1 when a request to `endpoint` starts, −1 when it ends. */
export function trackInFlight(state: SelectState, cluster: Cluster, endpointUrl: string, delta: 1 | -1): void {
  const s = clusterLbState(state, clusterKeyOf(cluster));
  const n = (s.inFlight.get(endpointUrl) ?? 0) + delta;
  if (n <= 0) s.inFlight.delete(endpointUrl);
  else s.inFlight.set(endpointUrl, n);
}

function totalWeight(eps: readonly Endpoint[]): number {
  let t = 0;
  for (const e of eps) t += e.weight > 0 ? e.weight : 0;
  return t > 0 ? t : eps.length;
}

function randomPick(eps: readonly Endpoint[], rand: () => number): Endpoint {
  const t = totalWeight(eps);
  if (t === eps.length) return eps[Math.min(Math.floor(rand() * eps.length), eps.length - 1)]!;
  return eps[weightedIndex(eps, t, rand())]!;
}

/**
 * The hash cookie's value: the first one, surrounding double quotes stripped as Envoy does. The
 * same parser as the sticky split's (visitor.ts cookieValues), which also splits at `, `: the
 * runtime joins repeated Cookie header lines (HTTP/2 cookie crumbs) that way, and a parser that
 * split at `;` only missed the visitor cookie and issued a new one over it (issue #18 item 3).
 */
function cookieValue(cookieHeader: string | null, name: string): string | null {
  return cookieValues(cookieHeader, name)[0] ?? null;
}

function hex32(r: number): string {
  return Math.floor(r * 4294967296).toString(16).padStart(8, "0");
}

/** The consistent-hash key, or null (⇒ random). May generate a cookie (2 rand calls). */
function hashKey(
  ch: NonNullable<LoadBalancer["consistentHash"]>,
  facts: RequestFacts,
  opts: DecideOptions,
  setCookies: string[],
): string | null {
  if ("httpHeaderName" in ch) return facts.headers.get(ch.httpHeaderName);
  if ("useSourceIp" in ch) return facts.clientIp ?? null;
  if ("httpQueryParameterName" in ch) return parseQuery(facts.query).get(ch.httpQueryParameterName) ?? null;
  const c = ch.httpCookie;
  const have = cookieValue(facts.headers.get("cookie"), c.name);
  if (have !== null) return have;
  if (c.ttlSeconds === undefined) return null;
  const value = hex32(opts.rand()) + hex32(opts.rand());
  let cookie = `${c.name}="${value}"`;
  if (c.ttlSeconds > 0) cookie += `; Max-Age=${c.ttlSeconds}`;
  if (c.path) cookie += `; Path=${c.path}`;
  setCookies.push(cookie + "; HttpOnly");
  return value;
}

/** Weighted rendezvous (highest random weight) hashing: score = w / −ln(u). */
function rendezvous(eps: readonly Endpoint[], key: string): Endpoint {
  let best = eps[0]!;
  let bestScore = -Infinity;
  for (const e of eps) {
    const w = e.weight > 0 ? e.weight : 1;
    const score = w / -Math.log(unitHash(key + "\n" + e.url));
    if (score > bestScore) {
      bestScore = score;
      best = e;
    }
  }
  return best;
}

function smoothRoundRobin(eps: readonly Endpoint[], s: ClusterLbState): Endpoint {
  let total = 0;
  let best: Endpoint | undefined;
  let bestCurrent = -Infinity;
  for (const e of eps) {
    const w = e.weight > 0 ? e.weight : 1;
    total += w;
    const cur = (s.rrCurrent.get(e.url) ?? 0) + w;
    s.rrCurrent.set(e.url, cur);
    if (cur > bestCurrent) {
      bestCurrent = cur;
      best = e;
    }
  }
  s.rrCurrent.set(best!.url, bestCurrent - total);
  return best!;
}

function leastRequest(eps: readonly Endpoint[], opts: DecideOptions, s: ClusterLbState | undefined): Endpoint {
  const a = randomPick(eps, opts.rand);
  const b = randomPick(eps, opts.rand);
  if (!s || a === b) return a;
  const load = (e: Endpoint) => (s.inFlight.get(e.url) ?? 0) / (e.weight > 0 ? e.weight : 1);
  return load(b) < load(a) ? b : a;
}

/** Choose an endpoint of `cluster`, or null when it has none. */
export function pickEndpoint(
  cluster: Cluster,
  facts: RequestFacts,
  opts: DecideOptions,
  exclude?: ReadonlySet<string>,
): EndpointPick | null {
  // Outlier detection (resilience, src/select/outlier.ts): ejected endpoints are not candidates
  // (panic threshold applied there); none left ⇒ null ⇒ 503 `no healthy upstream`.
  const all = opts.state ? outlierDetector(opts.state).available(cluster, opts.now) : cluster.endpoints;
  if (all.length === 0) return null;
  let eps: readonly Endpoint[] = all;
  if (exclude && exclude.size > 0) {
    const left = all.filter((e) => !exclude.has(e.url));
    if (left.length > 0) eps = left;
  }
  const setCookies: string[] = [];
  const lb = cluster.trafficPolicy?.loadBalancer;
  const ch = lb?.consistentHash;
  const key = ch ? hashKey(ch, facts, opts, setCookies) : null;
  if (eps.length === 1) return { endpoint: eps[0]!, setCookies };

  if (ch) return { endpoint: key !== null ? rendezvous(eps, key) : randomPick(eps, opts.rand), setCookies };
  const state = opts.state ? clusterLbState(opts.state, clusterKeyOf(cluster)) : undefined;
  switch (lb?.simple) {
    case "RANDOM":
      return { endpoint: randomPick(eps, opts.rand), setCookies };
    case "ROUND_ROBIN":
      return { endpoint: state ? smoothRoundRobin(eps, state) : randomPick(eps, opts.rand), setCookies };
    case "LEAST_REQUEST":
    case "PASSTHROUGH":
    case undefined:
      return { endpoint: leastRequest(eps, opts, state), setCookies };
  }
}
