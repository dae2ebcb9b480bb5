/**
 * PURE  Decision (+ upstream outcome) → the reply: every status, body and header the gateway
 * writes itself, the order in which a proxied response's headers are edited, and the variables
 * header values expand. One module so the Worker (pipeline.ts, forward/) and the CLI
 * (`routes route` / `routes test` through cases/summary.ts) cannot disagree about an answer.
 *
 * Local replies follow Envoy exactly (ISTIO-SEMANTICS §2.2): a reply with a body carries
 * `content-type: text/plain`; a 204/304 never carries a body. `server` (and, when exposed,
 * `x-gateway-config-version`) is stamped on every response by `stamp()`.
 */
import type { HeaderOps } from "./table/types.ts";
import type { Decision, ForwardDecision, RequestFacts } from "./decision.ts";
import { applyHeaderOps, type HeaderVars } from "./actions/header-ops.ts";
import { ASSIGNING_CACHE_CONTROL } from "./select/ab-analytics.ts";

/** A reply as data: what the Worker sends (`toResponse`) and what the CLI prints. */
export interface Reply {
  status: number;
  headers: Headers;
  /** null = no body (always null for 204/304). */
  body: string | Uint8Array | null;
}

/** Istio overwrites the upstream `server` header on every response (ISTIO-SEMANTICS §2.2). */
export const SERVER_HEADER = "istio-envoy";
export const CONFIG_VERSION_HEADER = "x-gateway-config-version";

/** Exact local-reply bodies: Envoy's where Envoy has one, ours for the gateway's own failures. */
export const BODY = {
  noHealthyUpstream: "no healthy upstream",
  upstreamTimeout: "upstream request timeout",
  faultAbort: "fault filter abort",
  /** Envoy `Filter::onUpstreamReset`: followed by `[retried and the latest ]reset reason: <reason>`. */
  upstreamReset: "upstream connect error or disconnect/reset before headers. ",
  noRouteTable: 'no route table: push one with "npm run routes -- push"\n',
  shardUnavailable: "route table shard for this host is unavailable; retry shortly\n",
  internalError: "internal error\n",
} as const;

/** The methods a 405 names in `allow`: everything the gateway proxies. */
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS";

/**
 * Why an attempt ended without response headers, spelled exactly as Envoy's
 * `Http::Utility::resetReasonToString` (Envoy ≥ 1.28, the one Istio 1.28 ships). Older Envoy
 * printed `connection failure` where current releases print `remote connection failure`.
 */
export type ResetReason =
  /** The connection could not be opened (refused, unreachable, DNS): Envoy RemoteConnectionFailure. */
  | "remote connection failure"
  | "local connection failure"
  /** Connect timeout (Envoy ConnectionTimeout); counts as a connect failure. */
  | "connection timeout"
  /** The connection closed before response headers (the origin hung up). */
  | "connection termination"
  | "remote reset"
  /** HTTP/2 REFUSED_STREAM from the origin: the only reason `refused-stream` retries. */
  | "remote refused stream reset"
  | "local reset"
  /** Circuit-breaker / budget overflow: never retried (Envoy wouldRetryFromReset). */
  | "overflow"
  /** Malformed upstream response: 502 instead of 503 (Envoy onUpstreamReset). */
  | "protocol error";

/** Every Decision the gateway answers itself, without an upstream. */
export type LocalDecision = Exclude<Decision, ForwardDecision>;

function reply(status: number, body: string | Uint8Array | null, headers: Headers = new Headers()): Reply {
  const empty = body === null || body.length === 0;
  if (!empty && !headers.has("content-type")) headers.set("content-type", "text/plain");
  // A 204/304 cannot carry a body; Envoy would not send one either.
  return { status, headers, body: empty || status === 204 || status === 304 ? null : body };
}

export function toResponse(r: Reply): Response {
  return new Response(r.body, { status: r.status, headers: r.headers });
}

/**
 * The variables header operations expand (actions/header-ops.ts): the request's facts, its
 * headers as received, and the start time. `protocol` is asked for lazily and at most once: in
 * the Worker it reads `request.cf`, which workerd deep-copies on every read (~120 k instructions),
 * and only `%PROTOCOL%` needs it. The CLI has neither a start time nor a protocol.
 */
export function headerVars(facts: RequestFacts, request: Headers, startTime?: number, protocol?: () => string): HeaderVars {
  return new RequestVars(facts, request, startTime, protocol);
}

/**
 * HeaderVars of one request. A class rather than an object literal with a getter: V8 builds a
 * literal with an accessor through a slow runtime path on every request, and most requests
 * expand no variable at all, so `protocol` and `pseudo` are computed on first read only.
 */
class RequestVars implements HeaderVars {
  readonly clientIp: string | undefined;
  readonly startTime: number | undefined;
  readonly request: Headers;
  readonly #facts: RequestFacts;
  readonly #protocolOf: (() => string) | undefined;
  #protocol: string | undefined;
  #pseudo: HeaderVars["pseudo"];

  constructor(facts: RequestFacts, request: Headers, startTime: number | undefined, protocol: (() => string) | undefined) {
    this.clientIp = facts.clientIp;
    this.startTime = startTime;
    this.request = request;
    this.#facts = facts;
    this.#protocolOf = protocol;
  }
  get protocol(): string | undefined {
    return this.#protocolOf ? (this.#protocol ??= this.#protocolOf()) : undefined;
  }
  get pseudo(): HeaderVars["pseudo"] {
    const f = this.#facts;
    return (this.#pseudo ??= { authority: f.authority, path: f.path + f.query, method: f.method, scheme: f.scheme });
  }
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function withOps(ops: readonly HeaderOps[], vars: HeaderVars, headers: Headers = new Headers()): Headers {
  applyHeaderOps(headers, ops, vars);
  return headers;
}

/** The reply to a Decision that needs no upstream (Envoy's statuses and bodies, §2.2). */
export function localReply(d: LocalDecision, vars: HeaderVars): Reply {
  switch (d.kind) {
    // No virtual host or no route matched (Envoy NR): 404, empty body.
    case "noRoute":
      return reply(404, null);
    // Gateway `tls.httpsRedirect`: 301 to the same Host (port kept) over https, empty body.
    case "httpsRedirect":
      return reply(301, null, new Headers({ location: d.location }));
    // Fault filter abort (Envoy FI): configured status, fixed body, no route headers.
    case "faultAbort":
      return reply(d.status, BODY.faultAbort);
    // CORS preflight answered by the CORS filter: 200, empty body, the computed CORS headers.
    case "corsPreflight": {
      const headers = new Headers();
      for (const [name, value] of d.headers) headers.set(name, value);
      return reply(200, null, headers);
    }
    // VirtualService `redirect`: configured code, `location`, route response header ops (§2.8).
    case "redirect":
      return reply(d.status, null, withOps(d.responseHeaders, vars, new Headers({ location: d.location })));
    // VirtualService `directResponse`: `string` as UTF-8, `bytes` from base64, route response
    // header ops; `content-type: text/plain` unless an op set one. (Envoy's inferred `location`
    // on 201/3xx direct responses is not reproduced.)
    case "directResponse": {
      const body = d.body === undefined ? null : "string" in d.body ? new TextEncoder().encode(d.body.string) : decodeBase64(d.body.bytes);
      return reply(d.status, body, withOps(d.responseHeaders, vars));
    }
    // The matched route cannot be forwarded as decided (a rewrite produced a dot segment).
    case "badRequest":
      return badRequest(d.reason);
    // The destination's cluster does not exist (unknown subset/host; Envoy NC): 503, empty body.
    case "clusterNotFound":
      return reply(503, null);
    // No endpoint available (Envoy UH).
    case "noHealthyUpstream":
      return noHealthyUpstream();
  }
}

/** Cluster without an available endpoint (Envoy UH), also when a retry finds every endpoint ejected. */
export function noHealthyUpstream(): Reply {
  return reply(503, BODY.noHealthyUpstream);
}

/**
 * The last attempt ended in a reset (Envoy `Filter::onUpstreamReset`): 503 (502 for a protocol
 * error). `retried` = the failing attempt was a retry.
 */
export function upstreamReset(reason: ResetReason, retried: boolean): Reply {
  return reply(reason === "protocol error" ? 502 : 503, BODY.upstreamReset + (retried ? "retried and the latest reset reason: " : "reset reason: ") + reason);
}

/** Route timeout, or a per-try timeout with nothing left to try (Envoy UT): 504. */
export function upstreamTimeout(): Reply {
  return reply(504, BODY.upstreamTimeout);
}

/** The request cannot be routed at all (malformed path, `%00`, …): 400 with the reason. */
export function badRequest(detail: string): Reply {
  return reply(400, `bad request: ${detail}\n`);
}

/** CONNECT/TRACE/TRACK (match/facts.ts REFUSED_METHODS): 405 naming the methods we do proxy. */
export function methodNotAllowed(detail: string): Reply {
  return reply(405, `method not allowed: ${detail}\n`, new Headers({ allow: ALLOWED_METHODS }));
}

/** This isolate has no route table (nothing pushed yet, or KV unreachable since start). */
export function noRouteTable(): Reply {
  return reply(503, BODY.noRouteTable, new Headers({ "retry-after": "5" }));
}

/**
 * The active version's shard for the request's host could not be read (missing in KV, KV error or
 * timeout, corrupt) and this isolate holds no previous version for the host (src/store/table-store.ts).
 * Other hosts keep serving; the reason goes to the log, not to the client.
 */
export function shardUnavailable(): Reply {
  return reply(503, BODY.shardUnavailable, new Headers({ "retry-after": "5" }));
}

/** The one catch-all: something we did not expect. Details go to the log, never to the client. */
export function internalError(): Reply {
  return reply(500, BODY.internalError);
}

/**
 * A proxied response's headers after hop-by-hop removal, edited in Envoy's filter order
 * (ISTIO-SEMANTICS §2.8, §2.12): route response header ops (with `%RESP(...)%` reading the
 * upstream's headers), then CORS headers (the CORS filter encodes after the router, so its values
 * win), then the sticky split's Set-Cookies. The CLI passes empty headers to see what the route adds.
 */
export function proxiedHeaders(headers: Headers, d: ForwardDecision, vars: HeaderVars, upstream?: Headers): void {
  // Spreading `vars` would evaluate its lazy `protocol`: only build response variables when
  // there are operations to expand them.
  if (d.responseHeaders.length > 0) applyHeaderOps(headers, d.responseHeaders, upstream ? withResponse(vars, upstream) : vars);
  for (const [name, value] of d.corsHeaders) headers.set(name, value);
  for (const cookie of d.setCookies) headers.append("set-cookie", cookie);
  // A response that sets a gateway cookie (visitor id, hash cookie) must never be stored by a
  // shared cache: it would hand one visitor's id — and variant — to everyone (issue #18 item 4).
  if (d.setCookies.length > 0) headers.set("cache-control", ASSIGNING_CACHE_CONTROL);
}

/** `vars` plus the upstream response headers for `%RESP(...)%`, without evaluating its getters. */
function withResponse(vars: HeaderVars, response: Headers): HeaderVars {
  return {
    clientIp: vars.clientIp,
    get protocol() {
      return vars.protocol;
    },
    startTime: vars.startTime,
    request: vars.request,
    pseudo: vars.pseudo,
    response,
  };
}

/** Headers every response carries, local or proxied, set last (Istio overwrites `server`). */
export function stamp(headers: Headers, configVersion: string | undefined): void {
  headers.set("server", SERVER_HEADER);
  if (configVersion !== undefined) headers.set(CONFIG_VERSION_HEADER, configVersion);
}
