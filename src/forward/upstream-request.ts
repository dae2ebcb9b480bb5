/**
 * Builds what is sent upstream for a forward Decision: URL (authority rule), method, headers and
 * the body stream. The plan is built once per request; `requestInit` renders one attempt of it,
 * so a retry loop only has to supply a fresh body and the attempt number.
 *
 * Header order (Envoy: connection manager, then router `finalizeRequestHeaders`):
 *   incoming headers − hop-by-hop − client `x-envoy-*`
 *   + x-forwarded-for/-proto/-host, x-request-id        (connection manager)
 *   + route/destination request header ops              (may override the above, as in Envoy)
 *   + x-envoy-original-path, x-envoy-attempt-count      (router, per attempt)
 */
import type { ForwardDecision, RequestFacts } from "../decision.ts";
import type { WeightedDestination } from "../compile/table.ts";
import { applyHeaderOps, type HeaderVars } from "./header-ops.ts";
import { isWebSocketUpgrade, stripHopByHop } from "./hop-by-hop.ts";
import { setForwardingHeaders, stripEnvoyControlHeaders } from "./proxy-headers.ts";
import { upstreamAddress } from "./authority.ts";

export interface UpstreamPlan {
  url: string;
  resolveOverride?: string;
  /** Host the origin will see (authority.ts). */
  host: string;
  method: string;
  /** Headers common to every attempt (no attempt count). */
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

export function planUpstream(
  decision: ForwardDecision,
  request: Request,
  facts: RequestFacts,
  requestId: string,
  vars: HeaderVars,
): UpstreamPlan {
  const headers = new Headers(request.headers);
  const webSocket = isWebSocketUpgrade(request.method, request.headers);
  stripHopByHop(headers, webSocket);
  stripEnvoyControlHeaders(headers);
  setForwardingHeaders(headers, {
    clientIp: facts.clientIp,
    scheme: facts.scheme,
    originalAuthority: facts.authority,
    requestId,
  });
  applyHeaderOps(headers, decision.requestHeaders, vars);
  if (decision.originalPath !== undefined) headers.set("x-envoy-original-path", decision.originalPath);
  // The origin's Host comes from the URL (authority.ts); a stale client Host must not leak through.
  headers.delete("host");

  const address = upstreamAddress(decision.target.url, configuredAuthority(decision));
  const bodiless = request.method === "GET" || request.method === "HEAD";
  return {
    url: address.url,
    resolveOverride: address.resolveOverride,
    host: address.host,
    method: request.method,
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

/** One attempt's fetch arguments. */
export function requestInit(plan: UpstreamPlan, init: AttemptInit): RequestInit {
  const headers = new Headers(plan.headers);
  headers.set("x-envoy-attempt-count", String(init.attempt));
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
