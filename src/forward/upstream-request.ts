/**
 * Builds what is sent upstream for a forward Decision: URL (authority rule), method, headers and
 * the body stream. The plan is built once per request; `requestInit` renders one attempt of it,
 * so a retry loop only has to supply a fresh body and the attempt number.
 *
 * Header order (Envoy: connection manager, then router `finalizeRequestHeaders`):
 *   incoming headers − hop-by-hop − client `x-envoy-*` − host
 *   + x-forwarded-for/-proto/-host, x-request-id        (connection manager)
 *   + route/destination request header ops              (may override the above, as in Envoy)
 *   + x-envoy-original-path, x-envoy-attempt-count      (router, per attempt)
 */
import type { ForwardDecision, RequestFacts } from "../decision.ts";
import type { WeightedDestination } from "../table/types.ts";
import { applyHeaderOps, type HeaderVars } from "../actions/header-ops.ts";
import { connectionListed, HOP_BY_HOP_NAMES, isWebSocketUpgrade } from "./hop-by-hop.ts";
import { setForwardingHeaders, type RequestId } from "./proxy-headers.ts";
import { upstreamAddress } from "./authority.ts";
import { VARIANT_HEADER } from "../select/ab-analytics.ts";

export interface UpstreamPlan {
  url: string;
  resolveOverride?: string;
  /** Host the origin will see (authority.ts). */
  host: string;
  method: string;
  /** Headers common to every attempt; the first attempt adds its count to them (requestInit). */
  headers: Headers;
  /** Downstream body, streamed once; null for bodiless requests. */
  body: ReadableStream<Uint8Array> | null;
  webSocket: boolean;
}

/** The authority configured for the origin, if any (route `rewrite.authority` wins over destination). */
export function configuredAuthority(decision: ForwardDecision): string | undefined {
  const routeLevel = decision.match.route.rewrite?.authority;
  if (routeLevel !== undefined) return routeLevel;
  const dest = decision.target.destination as Partial<WeightedDestination>;
  if (dest.authority !== undefined) return dest.authority;
  return undefined;
}

/**
 * The one copy of the client's headers that travels upstream, minus what must not travel, found
 * in one pass over the names instead of a blind delete per hop-by-hop name (every Headers call
 * crosses into the runtime, ~2–4 k instructions in workerd; a scan of the names costs about as
 * much as ten deletes and also finds the client's `x-envoy-*`). Same result as, on a copy:
 * stripHopByHop(webSocket) → stripEnvoyControlHeaders → (later) delete("host").
 */
function clientHeaders(incoming: Headers, method: string): { headers: Headers; webSocket: boolean; xffPresent: boolean; ridPresent: boolean } {
  const headers = new Headers(incoming);
  const doomed: string[] = [];
  /** Every name the copy holds (lower case, as the iterator gives them). */
  const names: string[] = [];
  let connection = false;
  let upgrade = false;
  let xffPresent = false;
  let ridPresent = false;
  for (const name of headers.keys()) {
    names.push(name);
    // `host`: the origin's Host comes from the URL (authority.ts); a stale client Host must not leak.
    // `x-edge-variant`: only the gateway says which variant a request is (a sticky split sets it
    // after this); a client's copy must not reach an origin on any route (issue #18 item 5).
    if (HOP_BY_HOP_NAMES.has(name) || name.startsWith("x-envoy-") || name === "host" || name === VARIANT_HEADER) doomed.push(name);
    if (name === "connection") connection = true;
    else if (name === "upgrade") upgrade = true;
    else if (name === "x-forwarded-for") xffPresent = true;
    else if (name === "x-request-id") ridPresent = true;
  }
  const upgradeValue = upgrade ? headers.get("upgrade") : null;
  const webSocket = isWebSocketUpgrade(method, upgradeValue);
  if (connection) {
    for (const name of connectionListed(headers.get("connection") ?? "")) {
      // Only names the copy holds and the loop below does not delete anyway (`Connection:
      // keep-alive` without a Keep-Alive header, the usual case, costs no delete at all).
      if (!names.includes(name) || doomed.includes(name)) continue;
      headers.delete(name);
      if (name === "x-forwarded-for") xffPresent = false;
    }
  }
  for (const name of doomed) headers.delete(name);
  if (webSocket) {
    headers.set("upgrade", upgradeValue!);
    headers.set("connection", "Upgrade");
  }
  return { headers, webSocket, xffPresent, ridPresent };
}

export function planUpstream(
  decision: ForwardDecision,
  request: Request,
  facts: RequestFacts,
  /** The id itself, or the request's lazily resolved one (resolved here, by the scan's knowledge). */
  requestId: string | RequestId,
  vars: HeaderVars,
  // `request.headers` / `request.method` when the caller already read them: each getter on a
  // workerd Request is a call into the runtime.
  incoming: Headers = request.headers,
  method: string = request.method,
): UpstreamPlan {
  const { headers, webSocket, xffPresent, ridPresent } = clientHeaders(incoming, method);
  setForwardingHeaders(
    headers,
    {
      clientIp: facts.clientIp,
      scheme: facts.scheme,
      // An HTTPRoute's origin should see the URLRewrite hostname as its Host (GATEWAY-API-SEMANTICS
      // §6.4, §7.6); where the platform cannot set Host (IP endpoints, local runs), x-forwarded-host
      // carries what Host should have been. Istio routes keep Envoy's rule: the client's Host.
      originalAuthority: decision.match.route.rewrite?.forwardedHost ? decision.authority : facts.authority,
      requestId: typeof requestId === "string" ? requestId : requestId.known(ridPresent),
    },
    xffPresent,
  );
  if (decision.requestHeaders.length > 0) applyHeaderOps(headers, decision.requestHeaders, vars);
  if (decision.originalPath !== undefined) headers.set("x-envoy-original-path", decision.originalPath);

  const address = upstreamAddress(decision.target.url, configuredAuthority(decision));
  const bodiless = method === "GET" || method === "HEAD";
  return {
    url: address.url,
    resolveOverride: address.resolveOverride,
    host: address.host,
    method,
    headers,
    body: bodiless ? null : request.body,
    webSocket,
  };
}

export interface AttemptInit {
  /** 1 for the first attempt (Istio sends `x-envoy-attempt-count` on every attempt). */
  attempt: number;
  /** Body for this attempt; defaults to the plan's stream (usable once). */
  body?: BodyInit | null;
  signal?: AbortSignal;
}

/**
 * One attempt's fetch arguments. The first attempt sends the plan's own headers with
 * `x-envoy-attempt-count: 1` set on them (fetch copies headers when it is called, so no copy of
 * ours is needed); a retry sends a copy with its own count.
 */
export function requestInit(plan: UpstreamPlan, init: AttemptInit): RequestInit {
  let headers = plan.headers;
  if (init.attempt === 1) headers.set("x-envoy-attempt-count", "1");
  else {
    headers = new Headers(plan.headers);
    headers.set("x-envoy-attempt-count", String(init.attempt));
  }
  const out: RequestInit = {
    method: plan.method,
    headers,
    body: init.body !== undefined ? init.body : plan.body,
    // Redirects are the client's business: pass 3xx through untouched (DESIGN §6).
    redirect: "manual",
    // Keep Content-Encoding and bytes as the origin sent them (no decode/re-encode in the Worker).
    encodeResponseBody: "manual",
  };
  if (plan.resolveOverride) out.cf = { resolveOverride: plan.resolveOverride };
  if (init.signal) out.signal = init.signal;
  return out;
}
