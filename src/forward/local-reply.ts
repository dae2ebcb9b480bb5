/**
 * Every response the gateway writes itself, in one place, with Envoy's exact statuses and bodies
 * (ISTIO-SEMANTICS §2.2). A local reply with a body carries `content-type: text/plain`.
 * `server` and `x-gateway-config-version` are stamped later for every response (pipeline.ts).
 */
import type { HeaderOps } from "../compile/table.ts";
import { applyHeaderOps, type HeaderVars } from "./header-ops.ts";
import { resetReply, type ResetReason } from "./retry-policy.ts";

export type { ResetReason };

/** Exact Envoy local-reply bodies. */
export const BODY = {
  noHealthyUpstream: "no healthy upstream",
  upstreamTimeout: "upstream request timeout",
  faultAbort: "fault filter abort",
  noRouteTable: 'no route table: push one with "npm run routes -- push"\n',
  internalError: "internal error\n",
} as const;


function reply(status: number, body: string | Uint8Array | null, headers: Headers = new Headers()): Response {
  if (body !== null && body.length > 0 && !headers.has("content-type")) headers.set("content-type", "text/plain");
  // A 204/304 cannot carry a body; Envoy would not send one either.
  const nullBody = status === 204 || status === 304 || body === null || body.length === 0;
  return new Response(nullBody ? null : body, { status, headers });
}

/** No virtual host or no route matched (Envoy NR): 404, empty body. */
export function noRoute(): Response {
  return reply(404, null);
}

/** Gateway `tls.httpsRedirect`: 301 to the same Host (port kept) over https, empty body. */
export function httpsRedirect(location: string): Response {
  return reply(301, null, new Headers({ location }));
}

/** VirtualService `redirect`: configured code, `location`, route response header ops applied (§2.8). */
export function redirect(status: number, location: string, responseHeaders: readonly HeaderOps[], vars: HeaderVars): Response {
  const headers = new Headers({ location });
  applyHeaderOps(headers, responseHeaders, vars);
  return reply(status, null, headers);
}

function decodeBase64(b64: string): Uint8Array {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/**
 * VirtualService `directResponse`: configured status and body (`string` as UTF-8, `bytes` from
 * base64), route response header ops applied; `content-type: text/plain` unless an op set one.
 * (Envoy's inferred `location` on 201/3xx direct responses is not reproduced.)
 */
export function directResponse(
  status: number,
  body: { string: string } | { bytes: string } | undefined,
  responseHeaders: readonly HeaderOps[],
  vars: HeaderVars,
): Response {
  const headers = new Headers();
  applyHeaderOps(headers, responseHeaders, vars);
  const bytes = body === undefined ? null : "string" in body ? new TextEncoder().encode(body.string) : decodeBase64(body.bytes);
  return reply(status, bytes, headers);
}

/** Fault filter abort (Envoy FI): configured status, body `fault filter abort`; no route headers. */
export function faultAbort(status: number): Response {
  return reply(status, BODY.faultAbort);
}

/** CORS preflight answered by the CORS filter: 200, empty body, the computed CORS headers. */
export function corsPreflight(corsHeaders: ReadonlyArray<readonly [string, string]>): Response {
  const headers = new Headers();
  for (const [name, value] of corsHeaders) headers.set(name, value);
  return reply(200, null, headers);
}

/** Destination cluster does not exist (unknown subset/host; Envoy NC): 503, empty body. */
export function clusterNotFound(): Response {
  return reply(503, null);
}

/** Cluster without an available endpoint (Envoy UH). */
export function noHealthyUpstream(): Response {
  return reply(503, BODY.noHealthyUpstream);
}

/**
 * Connection failure / reset before response headers (Envoy UF/UR): 503 (502 for a protocol
 * error), `upstream connect error or disconnect/reset before headers. reset reason: <reason>`;
 * status and wording come from retry-policy.ts (Envoy resetReasonToString spelling).
 */
export function upstreamReset(reason: ResetReason, retried: boolean): Response {
  const r = resetReply(reason, retried);
  return reply(r.status, r.body);
}

/** Route or per-try timeout with nothing left to try (Envoy UT). */
export function upstreamTimeout(): Response {
  return reply(504, BODY.upstreamTimeout);
}

/** The request cannot be routed at all (malformed path, `%00`, …): 400 with the reason. */
export function badRequest(detail: string): Response {
  return reply(400, `bad request: ${detail}\n`);
}

/** CONNECT/TRACE/TRACK (src/match/facts.ts REFUSED_METHODS): 405 with the methods we do proxy. */
export function methodNotAllowed(detail: string): Response {
  return reply(405, `method not allowed: ${detail}\n`, new Headers({ allow: "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS" }));
}

/** This isolate has no route table (nothing pushed yet, or KV unreachable since start). */
export function noRouteTable(): Response {
  return reply(503, BODY.noRouteTable, new Headers({ "retry-after": "5" }));
}

/** The one catch-all: something we did not expect. Details go to the log, never to the client. */
export function internalError(): Response {
  return reply(500, BODY.internalError);
}
