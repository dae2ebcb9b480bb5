/**
 * Config generators for the benchmarks (and for anyone who needs a large, valid Istio config in
 * a test). Every generator returns plain Istio objects (the shape users write), the same objects
 * as multi-document YAML (what `loadConfig` reads), and probes: requests whose expected route
 * is known, so a benchmark can check it measures the decision it claims to measure.
 *
 * Route shapes follow the mix real configs use (ISTIO-SEMANTICS §1.2 HTTPMatchRequest): uri
 * prefix, uri exact, a header condition and an RE2 uri regex, in rotation. Each shape is built so
 * that no earlier route of the same host can shadow a probe for a later one (prefixes end in "/",
 * regexes are anchored by Envoy's full-match rule, header routes need a header no other probe
 * sends), so "matches the last route" really means every earlier route was tried and failed.
 */
import { stringify } from "yaml";

export interface IstioObject {
  apiVersion: "networking.istio.io/v1" | "edge-gateway.dev/v1alpha1";
  kind: "Gateway" | "VirtualService" | "DestinationRule" | "ServiceEntry" | "Canary";
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

/** Where the ServiceEntry's endpoints point (the bench's local origin). */
export interface OriginAddress {
  address: string;
  port: number;
}

/** A request whose route is known in advance. */
export interface Probe {
  method: string;
  host: string;
  path: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** Expected Envoy-style route name (the rule `name`, see RouteTable Route.name). */
  route: string;
}

export interface BenchConfig {
  /** Short label used in reports. */
  label: string;
  objects: IstioObject[];
  /** Number of http routes (match entries) the config produces. */
  routes: number;
  hosts: number;
  probes: Probe[];
}

export const NAMESPACE = "bench";
export const GATEWAY_NAME = "edge";
/** The ServiceEntry host every generated route forwards to. */
export const ORIGIN_HOST = "origin.bench.internal";
const DEFAULT_ORIGIN: OriginAddress = { address: "127.0.0.1", port: 8080 };
const API = "networking.istio.io/v1" as const;

/** Multi-document YAML of the objects, as `routes/*.yaml` would hold them. */
export function toYaml(objects: IstioObject[]): string {
  // No anchors/aliases: shared sub-objects (the same destination list) are written out in full.
  return objects.map((o) => stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join("---\n");
}

/** The shared Gateway: one plain-HTTP server for every host (Cloudflare terminates TLS). */
export function gateway(): IstioObject {
  return {
    apiVersion: API,
    kind: "Gateway",
    metadata: { name: GATEWAY_NAME, namespace: NAMESPACE },
    spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }] },
  };
}

/**
 * The origin as a ServiceEntry. With `subsets`, one endpoint per subset label (all at the same
 * address), so a weighted split between subsets exercises subset → endpoint selection.
 */
export function originEntry(origin: OriginAddress = DEFAULT_ORIGIN, subsets: string[] = []): IstioObject {
  const endpoints =
    subsets.length === 0
      ? [{ address: origin.address }]
      : subsets.map((s) => ({ address: origin.address, labels: { version: s } }));
  return {
    apiVersion: API,
    kind: "ServiceEntry",
    metadata: { name: "origin", namespace: NAMESPACE },
    spec: {
      hosts: [ORIGIN_HOST],
      ports: [{ number: origin.port, name: "http", protocol: "HTTP" }],
      location: "MESH_EXTERNAL",
      resolution: "STATIC",
      endpoints,
    },
  };
}

export function virtualService(name: string, hosts: string[], http: unknown[]): IstioObject {
  return {
    apiVersion: API,
    kind: "VirtualService",
    metadata: { name, namespace: NAMESPACE },
    spec: { hosts, gateways: [GATEWAY_NAME], http },
  };
}

const toOrigin = [{ destination: { host: ORIGIN_HOST } }];

/**
 * The i-th rule of the prefix / exact / header / regex rotation, and a request that matches it
 * and none of the rules before it.
 */
export function mixRule(i: number, host: string): { rule: Record<string, unknown>; probe: Probe } {
  const name = `r${i}`;
  const base = { method: "GET", host, headers: {} as Record<string, string>, route: name };
  switch (i % 4) {
    case 0:
      return {
        rule: { name, match: [{ uri: { prefix: `/svc${i}/` } }], route: toOrigin },
        probe: { ...base, path: `/svc${i}/items/42` },
      };
    case 1:
      return {
        rule: { name, match: [{ uri: { exact: `/api/v1/item${i}` } }], route: toOrigin },
        probe: { ...base, path: `/api/v1/item${i}` },
      };
    case 2:
      return {
        rule: { name, match: [{ uri: { prefix: "/" }, headers: { "x-tenant": { exact: `t${i}` } } }], route: toOrigin },
        probe: { ...base, path: "/anything", headers: { "x-tenant": `t${i}` } },
      };
    default:
      return {
        rule: { name, match: [{ uri: { regex: `/r${i}/[0-9]+(/.*)?` } }], route: toOrigin },
        probe: { ...base, path: `/r${i}/12345/detail` },
      };
  }
}

/** Host name of the j-th generated host. */
export function hostName(j: number): string {
  return `h${j}.bench.example.com`;
}

/**
 * `routes` http routes spread over `routes / routesPerHost` hosts, one VirtualService per host,
 * every host with the same mix. Probes: `probeCount` requests spread evenly over the hosts and
 * over the route positions inside a host (the last position included), the same positions for
 * every size, so the decision cost of different sizes differs only by the number of hosts.
 */
export function manyHosts(opts: {
  routes: number;
  routesPerHost?: number;
  origin?: OriginAddress;
  probeCount?: number;
}): BenchConfig {
  const perHost = Math.min(opts.routesPerHost ?? 10, opts.routes);
  const hosts = Math.ceil(opts.routes / perHost);
  const objects: IstioObject[] = [gateway(), originEntry(opts.origin)];
  const probesByHost: Probe[][] = [];
  let made = 0;
  for (let j = 0; j < hosts; j++) {
    const host = hostName(j);
    const rules: unknown[] = [];
    const probes: Probe[] = [];
    for (let i = 0; i < perHost && made < opts.routes; i++, made++) {
      const { rule, probe } = mixRule(i, host);
      rules.push(rule);
      probes.push(probe);
    }
    objects.push(virtualService(`vs-${j}`, [host], rules));
    probesByHost.push(probes);
  }
  const probeCount = opts.probeCount ?? 16;
  const probes: Probe[] = [];
  for (let k = 0; k < probeCount; k++) {
    // Spread over hosts (first and last included) and rotate through positions.
    const j = probeCount === 1 ? hosts - 1 : Math.round((k * (hosts - 1)) / (probeCount - 1));
    const inHost = probesByHost[j]!;
    probes.push(inHost[(k * 3 + inHost.length - 1) % inHost.length]!);
  }
  return { label: `${opts.routes} routes / ${hosts} hosts`, objects, routes: made, hosts, probes };
}

/** The request that matches the very last route of a manyHosts config (last host, last rule). */
export function lastRouteProbe(cfg: { routes: number; routesPerHost?: number }): Probe {
  const perHost = Math.min(cfg.routesPerHost ?? 10, cfg.routes);
  const hosts = Math.ceil(cfg.routes / perHost);
  const inLast = cfg.routes - (hosts - 1) * perHost;
  return mixRule(inLast - 1, hostName(hosts - 1)).probe;
}

/**
 * One host with `routes` rules in the prefix/exact/header/regex rotation; the probe matches the
 * last rule, so a first-match scan must reject every earlier rule. `virtualServices` > 1 splits
 * the rules over that many VirtualServices for the same host (merged in name order, §1.2).
 */
export function singleHostMix(opts: { routes: number; origin?: OriginAddress; virtualServices?: number }): BenchConfig {
  const host = "mix.bench.example.com";
  const vsCount = Math.max(1, opts.virtualServices ?? 1);
  const perVs = Math.ceil(opts.routes / vsCount);
  const objects: IstioObject[] = [gateway(), originEntry(opts.origin)];
  let last: Probe | undefined;
  for (let v = 0; v < vsCount; v++) {
    const rules: unknown[] = [];
    for (let i = v * perVs; i < Math.min(opts.routes, (v + 1) * perVs); i++) {
      const { rule, probe } = mixRule(i, host);
      rules.push(rule);
      last = probe;
    }
    // Zero-padded names keep name order = generation order (merge order ties break by name).
    if (rules.length > 0) objects.push(virtualService(`mix-${String(v).padStart(4, "0")}`, [host], rules));
  }
  return { label: `1 host / ${opts.routes} routes (last)`, objects, routes: opts.routes, hosts: 1, probes: [last!] };
}

export const SMALL_HOST = "small.bench.example.com";

/** A typical small site: a few specific routes and a default route; the probe takes the default. */
export function smallConfig(origin?: OriginAddress): BenchConfig {
  const objects = [
    gateway(),
    originEntry(origin),
    virtualService("small", [SMALL_HOST], [
      { name: "static", match: [{ uri: { prefix: "/static/" } }], route: toOrigin },
      { name: "login", match: [{ uri: { exact: "/login" } }], route: toOrigin },
      { name: "default", route: toOrigin },
    ]),
  ];
  const probe: Probe = { method: "GET", host: SMALL_HOST, path: "/ok", headers: {}, route: "default" };
  return { label: "small config", objects, routes: 3, hosts: 1, probes: [probe] };
}

export const CANARY_HOST = "canary.bench.example.com";

/**
 * A 90/10 split of one rule between two subsets, with (`canary: true`) or without a Canary on that
 * rule (docs/canary.md): the same routes either way, so the difference is what a rollout costs a
 * request (the variant's counters, the weight read from the rollout's state).
 */
export function canaryConfig(origin: OriginAddress | undefined, canary: boolean): BenchConfig {
  const dr: IstioObject = {
    apiVersion: API,
    kind: "DestinationRule",
    metadata: { name: "origin", namespace: NAMESPACE },
    spec: { host: ORIGIN_HOST, subsets: [{ name: "v1", labels: { version: "v1" } }, { name: "v2", labels: { version: "v2" } }] },
  };
  const rule = {
    name: "checkout",
    route: [
      { destination: { host: ORIGIN_HOST, subset: "v1" }, weight: 90 },
      { destination: { host: ORIGIN_HOST, subset: "v2" }, weight: 10 },
    ],
  };
  const objects: IstioObject[] = [gateway(), originEntry(origin, ["v1", "v2"]), dr, virtualService("shop", [CANARY_HOST], [rule])];
  if (canary) {
    objects.push({
      apiVersion: "edge-gateway.dev/v1alpha1",
      kind: "Canary",
      metadata: { name: "checkout", namespace: NAMESPACE },
      spec: {
        target: { virtualService: "shop", rule: "checkout" },
        primary: { host: ORIGIN_HOST, subset: "v1" },
        canary: { host: ORIGIN_HOST, subset: "v2" },
        // Intervals far longer than the run: the bench measures serving, not judging.
        analysis: { interval: "1h", stepWeights: [10, 50], threshold: 3, minRequests: 100, successRate: { min: 99 } },
      },
    });
  }
  const probe: Probe = { method: "GET", host: CANARY_HOST, path: "/ok", headers: {}, route: "checkout" };
  return { label: canary ? "90/10 split with a Canary" : "90/10 split", objects, routes: 1, hosts: 1, probes: [probe] };
}

export const SPLIT_HOST = "split.bench.example.com";

/**
 * A weighted 80/20 split between two subsets, with explicit retries, a route timeout and header
 * operations at route and destination level (ISTIO-SEMANTICS §2.5, §2.8, §2.13).
 */
export function splitConfig(origin?: OriginAddress): BenchConfig {
  const dr: IstioObject = {
    apiVersion: API,
    kind: "DestinationRule",
    metadata: { name: "origin", namespace: NAMESPACE },
    spec: {
      host: ORIGIN_HOST,
      trafficPolicy: { loadBalancer: { simple: "ROUND_ROBIN" } },
      subsets: [
        { name: "v1", labels: { version: "v1" } },
        { name: "v2", labels: { version: "v2" } },
      ],
    },
  };
  const rule = {
    name: "canary-never",
    match: [{ uri: { prefix: "/" }, headers: { "x-canary": { exact: "never" } } }],
    route: toOrigin,
  };
  const split = {
    name: "weighted",
    timeout: "10s",
    retries: { attempts: 3, perTryTimeout: "2s", retryOn: "5xx,connect-failure,reset" },
    headers: {
      request: { set: { "x-bench-route": "weighted" }, add: { "x-bench-trace": "1" }, remove: ["x-drop-me"] },
      response: { set: { "x-bench-served-by": "gateway" }, remove: ["x-origin-internal"] },
    },
    route: [
      { destination: { host: ORIGIN_HOST, subset: "v1" }, weight: 80, headers: { request: { set: { "x-variant": "v1" } } } },
      { destination: { host: ORIGIN_HOST, subset: "v2" }, weight: 20, headers: { request: { set: { "x-variant": "v2" } } } },
    ],
  };
  const objects = [gateway(), originEntry(origin, ["v1", "v2"]), dr, virtualService("split", [SPLIT_HOST], [rule, split])];
  const probe: Probe = { method: "GET", host: SPLIT_HOST, path: "/ok", headers: { "x-drop-me": "1" }, route: "weighted" };
  return { label: "weighted split + retries + headers", objects, routes: 2, hosts: 1, probes: [probe] };
}
