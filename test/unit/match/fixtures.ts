/** Hand-written RouteTable fixtures and request builders for the data-plane unit tests. */
import {
  TABLE_VERSION,
  clusterKey,
  type Cluster,
  type Listener,
  type RetryPolicy,
  type Route,
  type RouteTable,
  type VirtualHost,
  type WeightedDestination,
} from "../../../src/table/types.ts";
import type { RequestFacts } from "../../../src/decision.ts";
import { factsFromParts } from "../../../src/match/facts.ts";
import { headersFromObject } from "../../../src/match/headers.ts";

export const DEFAULT_RETRIES: RetryPolicy = {
  attempts: 2,
  retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"],
  retriableStatusCodes: [],
  backoffBaseMs: 25,
  retryIgnorePreviousHosts: true,
};

export function dest(host: string, extra: Partial<WeightedDestination> = {}): WeightedDestination {
  return { host, cluster: clusterKey(host, extra.subset, extra.port), weight: 1, ...extra };
}

let routeCounter = 0;
export function route(p: Partial<Route> = {}): Route {
  const n = routeCounter++;
  return {
    name: p.name ?? `r${n}`,
    virtualService: "default/vs",
    ruleIndex: n,
    matchIndex: 0,
    match: null,
    action: { kind: "route", destinations: [dest("s1")], totalWeight: 1 },
    retries: DEFAULT_RETRIES,
    ...p,
  };
}

export function to(...hosts: string[]): Route["action"] {
  const destinations = hosts.map((h) => dest(h));
  return { kind: "route", destinations, totalWeight: destinations.length };
}

export function cluster(host: string, urls: string[] = [`http://${host}.test`], extra: Partial<Cluster> = {}): Cluster {
  return { host, endpoints: urls.map((url) => ({ url, weight: 1 })), external: false, ...extra };
}

function listener(vhosts: VirtualHost[], port: number | null): Listener {
  const l: Listener = { port, fallback: false, exact: {}, suffix: {}, suffixLengths: [], star: null };
  vhosts.forEach((v, i) => {
    if (v.domain === "*") l.star = i;
    else if (v.domain.startsWith("*")) l.suffix[v.domain.slice(1)] = i;
    else l.exact[v.domain] = i;
  });
  l.suffixLengths = [...new Set(Object.keys(l.suffix).map((k) => k.length))].sort((a, b) => b - a);
  return l;
}

export interface VhostSpec {
  domain: string;
  routes: Route[];
  httpsRedirect?: boolean;
  port?: number;
}

/** One listener layout for both schemes (as the `fallback` listener would give). */
export function table(vhosts: VhostSpec[], clusters: Cluster[] = ["s1", "s2", "s3"].map((h) => cluster(h))): RouteTable {
  const vs: VirtualHost[] = vhosts.map((v) => ({
    domain: v.domain,
    port: v.port ?? 80,
    httpsRedirect: v.httpsRedirect ?? false,
    routes: v.routes,
  }));
  const byKey: Record<string, Cluster> = {};
  for (const c of clusters) byKey[clusterKey(c.host, c.subset, c.port)] = c;
  return {
    tableVersion: TABLE_VERSION,
    hash: "",
    istio: "1.28",
    listeners: { http: listener(vs, 80), https: { ...listener(vs, 80), fallback: true } },
    vhosts: vs,
    clusters: byKey,
  };
}

/** Facts for `method url` with headers (Host defaults to the URL's host). */
export function req(url: string, init: { method?: string; headers?: Record<string, string | string[]>; clientIp?: string } = {}): RequestFacts {
  const u = new URL(url);
  const headers = { host: u.host, ...(init.headers ?? {}) };
  const f = factsFromParts({
    method: init.method ?? "GET",
    scheme: u.protocol === "https:" ? "https" : "http",
    authority: typeof headers.host === "string" ? headers.host : headers.host[0]!,
    path: u.pathname,
    query: u.search,
    headers: headersFromObject(headers),
    ...(init.clientIp !== undefined ? { clientIp: init.clientIp } : {}),
  });
  if ("error" in f) throw new Error(`bad test request ${url}: ${f.reason}`);
  return f;
}

/** A scripted rand(): returns the given values in order, then fails loudly if over-consumed. */
export function scripted(...values: number[]): { rand: () => number; calls: () => number } {
  let i = 0;
  return {
    rand: () => {
      if (i >= values.length) throw new Error(`rand() called ${i + 1} times, only ${values.length} scripted`);
      return values[i++]!;
    },
    calls: () => i,
  };
}
