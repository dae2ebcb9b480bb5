/**
 * A flat, printable summary of a Decision: what `routes route` explains and what golden cases
 * compare. Statuses, bodies and response headers are the Worker's own reply (respond.ts), built
 * from the same header variables; request headers are the case's headers with the decision's
 * request header operations really applied (actions/header-ops.ts).
 */
import type { Decision, RequestFacts } from "../decision.ts";
import { applyHeaderOps } from "../actions/header-ops.ts";
import { headerVars, localReply, proxiedHeaders } from "../respond.ts";

export interface DecisionSummary {
  kind: Decision["kind"] | "badRequest";
  reason?: string;
  vhost?: string;
  route?: string;
  virtualService?: string;
  source?: string;
  matchIndex?: number | null;
  status?: number;
  location?: string;
  body?: string;
  destination?: { host: string; subset?: string; port?: number };
  upstreamUrl?: string;
  path?: string;
  originalPath?: string;
  authority?: string;
  requestHeaders?: Headers;
  responseHeaders?: Headers;
  variant?: string;
  timeoutMs?: number | null;
  retries?: number;
  retryOn?: string[];
  perTryTimeoutMs?: number;
  mirrors?: string[];
  delayMs?: number;
  faultConfigured?: boolean;
}

function bodyText(body: string | Uint8Array | null): string | undefined {
  if (body === null) return undefined;
  return typeof body === "string" ? body : new TextDecoder().decode(body);
}

/** `requestHeaders`: the request's headers as received (the ones `facts` were made from). */
export function summarize(d: Decision, facts: RequestFacts, requestHeaders: Headers): DecisionSummary {
  const vars = headerVars(facts, requestHeaders);
  const s: DecisionSummary = { kind: d.kind };
  if ("match" in d) {
    s.vhost = d.match.vhost;
    s.route = d.match.route.name;
    s.virtualService = d.match.route.virtualService;
    s.matchIndex = d.match.route.matchIndex;
    if (d.match.route.source) s.source = d.match.route.source;
  }
  if (d.kind !== "forward") {
    const r = localReply(d, vars);
    s.status = r.status;
    const body = bodyText(r.body);
    if (body !== undefined) s.body = body;
    // The summary names the location on its own line; the other headers are the reply's.
    const location = r.headers.get("location");
    if (location !== null) s.location = location;
    r.headers.delete("location");
    s.responseHeaders = r.headers;
    if ("delayMs" in d) s.delayMs = d.delayMs;
    if (d.kind === "noRoute" && d.vhost) s.vhost = d.vhost;
    if (d.kind === "badRequest") s.reason = d.reason;
    if (d.kind === "httpsRedirect") s.vhost = d.vhost;
    if (d.kind === "clusterNotFound" || d.kind === "noHealthyUpstream") s.destination = destinationOf(d.destination);
    return s;
  }
  s.destination = destinationOf(d.target.destination);
  s.upstreamUrl = d.target.url;
  s.path = d.upstreamPath;
  if (d.originalPath !== undefined) s.originalPath = d.originalPath;
  s.authority = d.authority;
  const rq = new Headers(requestHeaders);
  applyHeaderOps(rq, d.requestHeaders, vars);
  s.requestHeaders = rq;
  const rs = new Headers();
  proxiedHeaders(rs, d, vars);
  s.responseHeaders = rs;
  if (d.variant !== undefined) s.variant = d.variant;
  s.timeoutMs = d.faultConfigured ? null : (d.timeoutMs ?? null);
  s.retries = d.faultConfigured ? 0 : d.retries.attempts;
  s.retryOn = [...d.retries.retryOn, ...d.retries.retriableStatusCodes.map(String)];
  if (d.retries.perTryTimeoutMs !== undefined) s.perTryTimeoutMs = d.retries.perTryTimeoutMs;
  s.mirrors = d.mirrors.map((m) => m.destination.host);
  s.delayMs = d.delayMs;
  s.faultConfigured = d.faultConfigured;
  return s;
}

function destinationOf(d: { host: string; subset?: string; port?: number }): { host: string; subset?: string; port?: number } {
  return { host: d.host, ...(d.subset !== undefined ? { subset: d.subset } : {}), ...(d.port !== undefined ? { port: d.port } : {}) };
}
