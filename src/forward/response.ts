/**
 * The downstream response for a proxied request: the upstream status (with the standard reason
 * phrase) and body (streamed, bytes untouched), its headers minus hop-by-hop, edited as respond.ts's proxiedHeaders says
 * (route response header ops, CORS, Set-Cookies), plus the service time. A WebSocket 101 keeps
 * its `webSocket`.
 */
import type { ForwardDecision } from "../decision.ts";
import type { HeaderVars } from "../actions/header-ops.ts";
import { stripHopByHop, stripResponseHopByHop } from "./hop-by-hop.ts";
import { proxiedHeaders } from "../respond.ts";

export function proxiedResponse(
  upstream: Response,
  decision: ForwardDecision,
  vars: HeaderVars,
  serviceTimeMs: number,
  // `upstream.status` / `upstream.headers` when the caller already read them: each Response
  // getter is a call into workerd, so each is read once per attempt.
  status: number = upstream.status,
  upstreamHeaders: Headers = upstream.headers,
): Response {
  const switching = status === 101;
  // The constructor makes the one (mutable) copy of the upstream headers; everything below edits
  // it in place (a fetch response's own headers are immutable).
  const response = switching
    ? new Response(null, { status: 101, headers: upstreamHeaders, webSocket: upstream.webSocket })
    : new Response(upstream.body, {
        // No statusText: the client gets the standard reason phrase for the status, as Envoy's
        // HTTP/1 codec writes it (it never forwards the origin's; HTTP/2 and /3 have none).
        status,
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
