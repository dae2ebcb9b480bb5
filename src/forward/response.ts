/**
 * The downstream response for a proxied request: the upstream status and body (streamed,
 * bytes untouched), its headers minus hop-by-hop, edited as respond.ts's proxiedHeaders says
 * (route response header ops, CORS, Set-Cookies), plus the service time. A WebSocket 101 keeps
 * its `webSocket`.
 */
import type { ForwardDecision } from "../decision.ts";
import type { HeaderVars } from "../actions/header-ops.ts";
import { stripHopByHop, stripResponseHopByHop } from "./hop-by-hop.ts";
import { proxiedHeaders } from "../respond.ts";

export function proxiedResponse(upstream: Response, decision: ForwardDecision, vars: HeaderVars, serviceTimeMs: number, status: number = upstream.status): Response {
  // `status` is `upstream.status` when the caller already read it: each Response getter is a call
  // into workerd, so status and headers are read once here.
  const switching = status === 101;
  const upstreamHeaders = upstream.headers;
  // The constructor makes the one (mutable) copy of the upstream headers; everything below edits
  // it in place (a fetch response's own headers are immutable).
  const response = switching
    ? new Response(null, { status: 101, headers: upstreamHeaders, webSocket: upstream.webSocket })
    : new Response(upstream.body, {
        status,
        statusText: upstream.statusText,
        headers: upstreamHeaders,
        // The upstream body was fetched with encodeResponseBody "manual": it is still encoded as
        // its Content-Encoding says, so it must not be encoded again.
        encodeBody: "manual",
      });
  const headers = response.headers;
  // A 101 re-adds its Upgrade pair; any other response leaves to workerd the hop-by-hop names its
  // HTTP layer never sends (hop-by-hop.ts RUNTIME_DROPPED_RESPONSE).
  if (switching) stripHopByHop(headers, true);
  else stripResponseHopByHop(headers);
  proxiedHeaders(headers, decision, vars, upstreamHeaders);
  headers.set("x-envoy-upstream-service-time", String(Math.max(0, Math.round(serviceTimeMs))));
  return response;
}
