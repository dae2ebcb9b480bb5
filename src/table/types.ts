/**
 * The compiled route table: the one contract between the control plane (CLI: config → compile → KV)
 * and the data plane (Worker: KV → match → decide → forward). src/table/ is its one home: these
 * types and TABLE_VERSION here, the stored form (encode/decode, content hash) in codec.ts; keys,
 * pointer and releases are src/store/'s.
 *
 * Plain JSON, immutable once compiled, every default already applied, every duration in ms
 * (fields carry their unit), header names lower-cased. Istio field names are kept where a value
 * is carried over unchanged. Nothing in here needs zod at run time: the Worker checks only
 * `tableVersion` and builds its indexes/RegExps once per table.
 *
 * Bump TABLE_VERSION on any incompatible change; a Worker refuses tables whose version it does not know.
 */
export const TABLE_VERSION = 1 as const;

export interface RouteTable {
  tableVersion: typeof TABLE_VERSION;
  /** sha-256 hex of the canonical JSON of the table with `hash` set to "" (content address in KV). */
  hash: string;
  /** Which Istio release's defaults were emulated (documented in README). */
  istio: "1.28";
  /**
   * One listener per downstream scheme. Cloudflare terminates TLS, so a Gateway `server` is
   * bound to the listener of its protocol (HTTP → http, HTTPS → https). A request whose
   * scheme has no server of its own falls back to the other listener (`fallback: true`),
   * so a Gateway with only `port: 80, HTTP` still serves the site over https at the edge.
   */
  listeners: { http: Listener; https: Listener };
  /** Flattened Envoy-style routes; virtual hosts refer to them by index. */
  vhosts: VirtualHost[];
  /** Upstream clusters keyed by ClusterKey (`host|subset|port`). */
  clusters: Record<string, Cluster>;
  /** Non-fatal findings of the compiler (also printed by the CLI). */
  warnings?: string[];
}

export interface Listener {
  /** Gateway server port (for derivePort: FROM_REQUEST_PORT, route names); null when no server. */
  port: number | null;
  /** true when this scheme had no server of its own and reuses the other listener's vhosts. */
  fallback: boolean;
  /** Lower-cased exact host → vhost index. */
  exact: Record<string, number>;
  /**
   * Wildcard hosts (`*.foo.com`, `*-bar.foo.com`) keyed by the part after `*` (`.foo.com`).
   * Longest suffix wins (Envoy vhost selection); wildcards never match the empty string.
   */
  suffix: Record<string, number>;
  /** Distinct key lengths of `suffix`, longest first: lookup tries host.slice(-len) for each. */
  suffixLengths: number[];
  /** vhost for `*`, or null. */
  star: number | null;
  /**
   * Gateway API listeners on other ports of this scheme (GATEWAY-API-SEMANTICS §2.4): a request
   * whose Host carries one of these ports is served by that port's listener; any other port
   * (or none) by this one. Absent for Istio-only tables.
   */
  ports?: Record<string, Listener>;
}

export interface VirtualHost {
  /** The domain as matched (`a.com`, `*.foo.com`, `*`). */
  domain: string;
  /** Gateway server port this vhost was built for. */
  port: number;
  /** Gateway `servers[].tls.httpsRedirect`: 301 to https before routing when the request is plain http. */
  httpsRedirect: boolean;
  /** Routes in Istio order (VS creation order, catch-alls moved last). Never reordered. */
  routes: Route[];
}

// ---------------------------------------------------------------- matching

export type StringMatch =
  | { exact: string }
  | { prefix: string }
  /** RE2 source as validated (`regex`) and its JS translation, anchored for a full match (`js`, `flags`). */
  | { regex: string; js: string; flags: string }
  /** `{}` or `regex: "*"` on headers/queryParams: presence only. */
  | { present: true };

export interface RouteMatch {
  /** Name of the `match[]` entry, if any. */
  name?: string;
  uri?: StringMatch;
  /** Affects exact and prefix uri only (Istio/Envoy), never regex. */
  ignoreUriCase?: boolean;
  scheme?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  /** [lower-cased name, matcher], sorted by name. */
  headers?: Array<[string, StringMatch]>;
  /** [lower-cased name, matcher]; a missing header counts as "" for value matchers. */
  withoutHeaders?: Array<[string, StringMatch]>;
  /** [case-sensitive name, matcher]. */
  queryParams?: Array<[string, StringMatch]>;
}

// ---------------------------------------------------------------- actions

export interface HeaderOps {
  /** Applied in this order: remove, then set (sorted by key), then add (sorted by key). */
  remove?: string[];
  set?: Array<[string, string]>;
  add?: Array<[string, string]>;
}

export interface HeaderPolicy {
  request?: HeaderOps;
  response?: HeaderOps;
}

export interface Destination {
  host: string;
  subset?: string;
  port?: number;
  /** ClusterKey into RouteTable.clusters; null when the cluster cannot exist (503, empty body). */
  cluster: string | null;
  /**
   * Gateway API backendRef the controller would flag `ResolvedRefs=False` (BackendNotFound,
   * InvalidKind, RefNotPermitted, UnsupportedProtocol): requests picked for it get 500 with an
   * empty body (GATEWAY-API-SEMANTICS §7.3). The value is the reason.
   */
  invalid?: string;
}

export interface WeightedDestination extends Destination {
  /** Relative weight (> 0; zero-weight entries of a multi-destination split are dropped). */
  weight: number;
  headers?: HeaderPolicy;
  /** Authority from destination-level `headers.request.set.host`/`:authority` (route-level wins). */
  authority?: string;
}

/** The Canary driving a two-destination split: its analysis, and which destination is which. */
export interface RouteRollout {
  /** `namespace/name` of the Canary: the rollout's identity in the state plane. */
  name: string;
  /** Index of the primary and of the canary in `destinations`. */
  primary: number;
  canary: number;
  /** sha-256 (hex, first 16) of the Canary's analysis and destinations: a change restarts the rollout. */
  specHash: string;
  steps: number[];
  intervalMs: number;
  threshold: number;
  minRequests: number;
  successRate?: { min?: number; maxDrop?: number };
  latencyP99?: { maxMs?: number; maxRatio?: number };
  /** What counts as a failed request of either variant. */
  failures: { statuses: Array<"5xx" | "4xx" | number>; gatewayErrors: boolean; timeouts: boolean };
}

export type RouteAction =
  | {
      kind: "route";
      destinations: WeightedDestination[];
      /** Sum of weights (≥ 1). A single destination always gets weight 1 here. */
      totalWeight: number;
      /** Sticky, monotone weighted assignment (DESIGN.md §4); absent = plain random per request. */
      sticky?: StickySplit;
      /**
       * A Canary drives this split (issue #14, src/rollout): while its rollout runs, the canary
       * weight comes from the state plane (decide's `rolloutWeights`); otherwise these weights.
       */
      rollout?: RouteRollout;
    }
  | {
      kind: "redirect";
      uri?: string;
      prefixRewrite?: string;
      authority?: string;
      port?: number;
      derivePort?: "FROM_REQUEST_PORT" | "FROM_PROTOCOL_DEFAULT";
      scheme?: "http" | "https";
      /**
       * HTTPRoute redirect: FROM_REQUEST_PORT means the request's effective listener port
       * (GATEWAY-API-SEMANTICS §2.4, §6.3) — the scheme's default port when the request is
       * served through the other scheme's listener (fallback), never `https://host:80`.
       */
      gatewayApi?: boolean;
      /** Gateway API ReplacePrefixMatch (element-wise, GATEWAY-API-SEMANTICS §6.4). */
      replacePrefixMatch?: PrefixReplacement;
      /** 301 default (Istio); 302 for HTTPRoute. */
      redirectCode: number;
    }
  | {
      kind: "directResponse";
      status: number;
      /** Body as UTF-8 text, or base64 when the YAML used `bytes`. */
      body?: { string: string } | { bytes: string };
    };

export interface StickySplit {
  /** Cookie that holds the visitor id. */
  cookie: string;
  /** Cookie Max-Age in seconds (0 = session cookie). */
  ttlSeconds: number;
  path: string;
  /** Stable identity of the split hashed with the visitor id (same across versions that keep the split). */
  splitId: string;
  /**
   * true when the cookie belongs to the application (DestinationRule `httpCookie` without `ttl`:
   * Envoy never generates it): hash its value when present, never set it; absent ⇒ plain
   * weighted random. Absent/false: the gateway mints and sets the visitor id.
   */
  appOwned?: boolean;
  /**
   * HTTPRoute sessionPersistence of type Header (GEP-1619): the id travels in this request header
   * (lower-case name) instead of a cookie, and the gateway returns it in the response header of
   * the same name. `cookie` then holds the same name and no cookie is read or set.
   */
  header?: string;
}

/** HTTPRoute `ReplacePrefixMatch`: the matched PathPrefix `prefix` (no trailing "/") becomes `replacement`. */
export interface PrefixReplacement {
  prefix: string;
  replacement: string;
}

export interface Rewrite {
  /** HTTPRoute URLRewrite ReplaceFullPath: the whole path (query kept). */
  fullPath?: string;
  /** HTTPRoute URLRewrite ReplacePrefixMatch (element-wise). */
  replacePrefixMatch?: PrefixReplacement;
  /** Envoy prefix_rewrite: replaces the matched prefix (or the whole path for exact/regex uri matches). */
  uri?: string;
  uriRegexRewrite?: { match: string; js: string; flags: string; rewrite: string };
  authority?: string;
  /**
   * HTTPRoute URLRewrite hostname: the origin should see `authority` as its Host (GATEWAY-API-
   * SEMANTICS §6.4, §7.6), so x-forwarded-host carries it too (where the platform cannot set Host,
   * e.g. IP endpoints, that is where the origin finds it). Istio's rewrite.authority keeps Envoy's
   * x-forwarded-host: the client's Host.
   */
  forwardedHost?: true;
}

/** Retry policy with Istio's default applied when `retries` was omitted (§2.5). */
export interface RetryPolicy {
  /** Number of retries (total attempts = 1 + attempts). 0 = no retries. */
  attempts: number;
  perTryTimeoutMs?: number;
  /** Envoy retry_on tokens (no integers; those are in retriableStatusCodes). */
  retryOn: string[];
  retriableStatusCodes: number[];
  /** Backoff base (Envoy default 25 ms); max = 10 × base. */
  backoffBaseMs: number;
  retryIgnorePreviousHosts: boolean;
}

/**
 * Istio's default retry policy (≥ 1.24, ISTIO-SEMANTICS §2.5) when `retries` is omitted:
 * 2 retries on connect-failure, refused-stream, unavailable, cancelled — no 5xx.
 */
export const ISTIO_DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  attempts: 2,
  retryOn: Object.freeze(["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"]) as string[],
  retriableStatusCodes: Object.freeze([]) as unknown as number[],
  backoffBaseMs: 25,
  retryIgnorePreviousHosts: true,
});

export function routeRetries(route: Pick<Route, "retries">): RetryPolicy {
  return route.retries ?? ISTIO_DEFAULT_RETRY_POLICY;
}

export interface Fault {
  delay?: { fixedDelayMs: number; /** 0–100 */ percentage: number };
  abort?: { httpStatus: number; percentage: number };
}

export interface Mirror {
  destination: Destination;
  /** 0–100, absent in YAML ⇒ 100. */
  percentage: number;
}

export interface CorsPolicy {
  allowOrigins: StringMatch[];
  allowMethods: string[];
  allowHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
  allowCredentials?: boolean;
  unmatchedPreflights: "FORWARD" | "IGNORE";
  /** HTTPRoute CORS: preflight answers carry Access-Control-Expose-Headers too (GATEWAY-API-SEMANTICS §6.6). */
  exposeOnPreflight?: boolean;
}

export interface Route {
  /** Envoy-style route name: `<rule name or http[i]>` plus `.<match name>` when the match is named. */
  name: string;
  /** `namespace/name` of the VirtualService the route came from (after delegate resolution: the root). */
  virtualService: string;
  /** Index of the rule in its VirtualService's `http[]`, and of the match entry (null: rule had no match). */
  ruleIndex: number;
  matchIndex: number | null;
  /** Source location of the rule, for explanations: `routes/shop.yaml:14`. */
  source?: string;
  /** null: matches every request (a rule without `match`). */
  match: RouteMatch | null;
  /**
   * HTTPRoute only: the rank that placed this route (GATEWAY-API-SEMANTICS §5), for `routes route`
   * and `analyze`. CLI-only like `source`: kept out of the stored bytes and the hash.
   */
  precedence?: Precedence;
  action: RouteAction;
  rewrite?: Rewrite;
  headers?: HeaderPolicy;
  /** Route timeout in ms; absent = no timeout (Istio default). */
  timeoutMs?: number;
  /**
   * Absent = Istio's default policy (ISTIO_DEFAULT_RETRY_POLICY): most routes use it, and
   * writing it out on each made it 38 % of a large table's bytes (bench/ANALYSIS.md).
   * Read it through `routeRetries(route)`.
   */
  retries?: RetryPolicy;
  fault?: Fault;
  mirrors?: Mirror[];
  corsPolicy?: CorsPolicy;
}

/** An HTTPRoute match's rank (GATEWAY-API-SEMANTICS §5; compared by compile/gateway-api/precedence.ts). */
export interface Precedence {
  /** `namespace/name` of the HTTPRoute. */
  route: string;
  pathType: "Exact" | "PathPrefix" | "RegularExpression";
  /** Characters of the path value as ranked (PathPrefix without its trailing "/"). */
  pathLength: number;
  method: boolean;
  headers: number;
  queryParams: number;
  /** metadata.creationTimestamp as ms since epoch, 0 when absent. */
  createdMs: number;
  ruleIndex: number;
  matchIndex: number;
}

// ---------------------------------------------------------------- upstreams

export type ClusterKey = string; // `${host}|${subset ?? ""}|${port ?? ""}`

export function clusterKey(host: string, subset?: string, port?: number): ClusterKey {
  return `${host}|${subset ?? ""}|${port ?? ""}`;
}

/**
 * How a destination is named to people and to origins: `host` or `host/subset` — the variant in
 * Decision.variant, `x-edge-variant` and analytics, the access log's destination, a rollout's
 * primary and canary. The one place that label is built.
 */
export function destinationLabel(d: { host: string; subset?: string }): string {
  return d.subset ? `${d.host}/${d.subset}` : d.host;
}

export interface Endpoint {
  /** Origin base URL without trailing slash: `http://127.0.0.1:8081`, `https://api.example.com`. */
  url: string;
  labels?: Record<string, string>;
  /** WorkloadEntry weight (LB weight), default 1. */
  weight: number;
}

export interface LoadBalancer {
  simple?: "ROUND_ROBIN" | "RANDOM" | "LEAST_REQUEST" | "PASSTHROUGH";
  consistentHash?:
    | { httpHeaderName: string }
    | { httpCookie: { name: string; path?: string; ttlSeconds?: number } }
    | { useSourceIp: true }
    | { httpQueryParameterName: string };
}

export interface OutlierDetection {
  consecutive5xxErrors: number;
  consecutiveGatewayErrors?: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionPercent: number;
  minHealthPercent: number;
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancer;
  outlierDetection?: OutlierDetection;
  /** DestinationRule tls.mode SIMPLE ⇒ https. */
  tls?: { mode: "DISABLE" | "SIMPLE" | "MUTUAL"; sni?: string };
}

export interface Cluster {
  host: string;
  subset?: string;
  port?: number;
  /** Endpoints after subset label selection; empty ⇒ 503 `no healthy upstream`. */
  endpoints: Endpoint[];
  /** Effective policy (subset overrides DR-level per top-level field). */
  trafficPolicy?: TrafficPolicy;
  /** true when no ServiceEntry names the host: public DNS name over https. */
  external: boolean;
  /** Active health check (edge-gateway.dev/health-check annotation; src/compile/health-check.ts). */
  healthCheck?: HealthCheck;
}

/**
 * An active health check (Envoy core.v3.HealthCheck, HTTP; Istio does not expose one): the Cron
 * Trigger probes every endpoint (src/state/probe.ts); the state plane publishes the verdicts.
 */
export interface HealthCheck {
  /** Request path (with query) probed on every endpoint. */
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive passes that make an unhealthy endpoint healthy again (Envoy healthy_threshold). */
  healthyThreshold: number;
  /** Consecutive failures that make an endpoint unhealthy (Envoy unhealthy_threshold). */
  unhealthyThreshold: number;
  /** Status ranges counted as a pass, [from, to] inclusive; Envoy's default is [[200, 200]]. */
  expectedStatuses: Array<[number, number]>;
  /** Authority the probe presents (x-forwarded-host and, deployed, resolveOverride); default the endpoint's. */
  host?: string;
  /** Envoy healthy_panic_threshold for this cluster, percent (default: minHealthPercent, else 50). */
  panicThresholdPercent?: number;
}
