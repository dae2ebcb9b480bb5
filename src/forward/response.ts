/**
 * The downstream response for a proxied request: the upstream status and body (streamed,
 * bytes untouched), its headers minus hop-by-hop, then route response header ops, CORS headers
 * and Set-Cookies (ISTIO-SEMANTICS §2.8, §2.12). A WebSocket 101 keeps its `webSocket`.
 */
import type { ForwardDecision } from "../decision.ts";
import { applyHeaderOps, type HeaderVars } from "./header-ops.ts";
import { stripHopByHop } from "./hop-by-hop.ts";

export function proxiedResponse(upstream: Response, decision: ForwardDecision, vars: HeaderVars, serviceTimeMs: number): Response {
  const switching = upstream.status === 101;
  // The constructor makes the one (mutable) copy of the upstream headers; everything below edits
  // it in place (a fetch response's own headers are immutable).
  const response = switching
    ? new Response(null, { status: 101, headers: upstream.headers, webSocket: upstream.webSocket })
    : new Response(upstream.body, {
        status: upstream.status,
        statusText: upstream.statusText,
        headers: upstream.headers,
        // The upstream body was fetched with encodeResponseBody "manual": it is still encoded as
        // its Content-Encoding says, so it must not be encoded again.
        encodeBody: "manual",
      });
  const headers = response.headers;
  stripHopByHop(headers, switching);
  // Spreading `vars` would evaluate its lazy `protocol` (request.cf): only build the response
  // variables when there are response header operations to expand them.
  if (decision.responseHeaders.length > 0) applyHeaderOps(headers, decision.responseHeaders, withResponse(vars, upstream.headers));
  // The CORS filter encodes after the router applied route headers: its values win.
  for (const [name, value] of decision.corsHeaders) headers.set(name, value);
  for (const cookie of decision.setCookies) headers.append("set-cookie", cookie);
  headers.set("x-envoy-upstream-service-time", String(Math.max(0, Math.round(serviceTimeMs))));
  return response;
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
