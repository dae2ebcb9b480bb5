/**
 * Inputs and outputs of the pure `decide()` (src/decide.ts): what we know of a request (facts),
 * and everything the Worker must do about it (a Decision, with all dice already rolled).
 * The CLI's `route`/`test` commands and the Worker make exactly the same decision from these.
 */
import type {
  Cluster,
  Endpoint,
  HeaderOps,
  RetryPolicy,
  Route,
  WeightedDestination,
  Destination,
} from "./table/types.ts";

/** A header bag the matcher reads: `Headers` in the Worker, a Map-backed stand-in in the CLI. */
export interface HeaderReader {
  /** Lower-case name; repeated headers joined with ", " (as `Headers.get`). */
  get(name: string): string | null;
  has(name: string): boolean;
}

export interface RequestFacts {
  method: string;
  /** Downstream scheme as the edge saw it. */
  scheme: "http" | "https";
  /** Host header exactly as received (may carry a port) — what `match.authority` compares. */
  authority: string;
  /** Lower-cased host without port — what selects the virtual host. */
  host: string;
  /** Port from the Host header, or null. */
  port: number | null;
  /** Normalized path without query (see src/match/facts.ts for the normalization rules). */
  path: string;
  /** Raw query string including its leading "?", or "". */
  query: string;
  headers: HeaderReader;
  /** Client address (cf-connecting-ip), for useSourceIp hashing and x-forwarded-for. */
  clientIp?: string;
}

/** Randomness, time and mutable per-isolate state are arguments, so decisions are reproducible. */
export interface DecideOptions {
  /** Uniform [0, 1). Called once per die in a documented order (see decide.ts). */
  rand: () => number;
  /** ms since epoch. */
  now: number;
  /** Per-isolate load-balancer / outlier state; absent ⇒ stateless choices (CLI). */
  state?: SelectState;
  /** Visitor id for sticky splits when the request has no cookie yet (CLI `--visitor`). */
  visitorId?: string;
  /** Generate a fresh visitor id (Worker: crypto.randomUUID). */
  newVisitorId?: () => string;
  /**
   * Canary weights (percent) of running rollouts by Canary name (`action.rollout.name`), as the
   * state plane last reported them; a rollout not in the map keeps the pushed weights.
   */
  rolloutWeights?: ReadonlyMap<string, number>;
}

/** Opaque per-isolate state owned by src/select (round-robin cursors, in-flight counts, ejections). */
export interface SelectState {
  [key: string]: unknown;
}

/** Which route matched, for logs, headers and `routes route` explanations. */
export interface MatchInfo {
  vhost: string;
  route: Route;
  routeIndex: number;
}

export interface UpstreamTarget {
  destination: WeightedDestination | Destination;
  cluster: Cluster;
  endpoint: Endpoint;
  /** Full URL to fetch: endpoint URL + upstream path + query. */
  url: string;
}

export type Decision =
  /** Gateway `tls.httpsRedirect` on a plain-http request: 301, empty body, before routing. */
  | { kind: "httpsRedirect"; location: string; vhost: string }
  /** No vhost or no route: 404, empty body. */
  | { kind: "noRoute"; vhost?: string }
  /** Fault filter abort: configured status, body `fault filter abort`; delay first when both fire. */
  | { kind: "faultAbort"; match: MatchInfo; status: number; delayMs: number }
  /** CORS preflight answered locally: 200, empty body, these headers. */
  | { kind: "corsPreflight"; match: MatchInfo; headers: Array<[string, string]>; delayMs: number }
  | {
      kind: "redirect";
      match: MatchInfo;
      status: number;
      location: string;
      responseHeaders: HeaderOps[];
      delayMs: number;
    }
  | {
      kind: "directResponse";
      match: MatchInfo;
      status: number;
      /** UTF-8 text or base64 bytes. */
      body?: { string: string } | { bytes: string };
      responseHeaders: HeaderOps[];
      delayMs: number;
    }
  /**
   * The matched route cannot be forwarded as decided (a rewrite produced a dot segment,
   * src/actions/rewrite.ts): 400 with the reason, nothing reaches an origin.
   */
  | { kind: "badRequest"; match: MatchInfo; reason: string; delayMs: number }
  /** Destination cluster does not exist (unknown subset/host): 503, empty body (Envoy NC). */
  | { kind: "clusterNotFound"; match: MatchInfo; destination: WeightedDestination }
  /** Cluster exists but no endpoint is available: 503 `no healthy upstream` (Envoy UH). */
  | { kind: "noHealthyUpstream"; match: MatchInfo; destination: WeightedDestination }
  | ForwardDecision;

export interface ForwardDecision {
  kind: "forward";
  match: MatchInfo;
  target: UpstreamTarget;
  /** Path + query the origin receives (after rewrite). */
  upstreamPath: string;
  /** Set when a path rewrite happened: Envoy's `x-envoy-original-path`. */
  originalPath?: string;
  /** Authority the origin should see (rewrite.authority, or the original Host). */
  authority: string;
  /** Header operations to apply to the upstream request, in order. */
  requestHeaders: HeaderOps[];
  /** Header operations to apply to the response, in order. */
  responseHeaders: HeaderOps[];
  /** Fault delay to sleep before forwarding (0 = none). */
  delayMs: number;
  /** Route timeout (whole request incl. retries); absent = none. Ignored when a fault is configured. */
  timeoutMs?: number;
  retries: RetryPolicy;
  /** Mirrors that won their dice, already resolved to a target. */
  mirrors: UpstreamTarget[];
  /** CORS headers to add to the response (allowed Origin on an actual request). */
  corsHeaders: Array<[string, string]>;
  /** Set-Cookie values to add to the response (sticky assignment, consistent-hash cookie). */
  setCookies: string[];
  /** Name of the chosen variant in a weighted split (`host` or `host/subset`), for logs/analytics. */
  variant?: string;
  /** true when a fault is configured on the route: retries and timeouts are not applied (Istio note). */
  faultConfigured: boolean;
}

