/**
 * A flat, printable summary of a Decision: what `routes route` explains and what golden cases
 * compare. Header expectations are evaluated by really applying the decision's header operations
 * (the Worker's own applyHeaderOps) to the case's request headers and to an empty response.
 */
import type { Decision } from "../decision.ts";
import { applyHeaderOps, type HeaderVars } from "../forward/header-ops.ts";
import type { CaseRequest } from "./schema.ts";

export const requestStatus = { noRoute: 404, httpsRedirect: 301, corsPreflight: 200, clusterNotFound: 503, noHealthyUpstream: 503, badRequest: 400 } as const;

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

function decodeBody(body: { string: string } | { bytes: string } | undefined): string | undefined {
  if (!body) return undefined;
  if ("string" in body) return body.string;
  return new TextDecoder().decode(Uint8Array.from(atob(body.bytes), (c) => c.charCodeAt(0)));
}

export function summarize(d: Decision, requestHeaders: Headers, req: Pick<CaseRequest, "url" | "method" | "clientIp">): DecisionSummary {
  const url = new URL(req.url);
  const vars: HeaderVars = {
    request: requestHeaders,
    pseudo: { authority: requestHeaders.get("host") ?? url.host, path: url.pathname + url.search, method: req.method, scheme: url.protocol.replace(":", "") },
    ...(req.clientIp !== undefined ? { clientIp: req.clientIp } : {}),
  };
  const s: DecisionSummary = { kind: d.kind };
  if ("match" in d) {
    s.vhost = d.match.vhost;
    s.route = d.match.route.name;
    s.virtualService = d.match.route.virtualService;
    s.matchIndex = d.match.route.matchIndex;
    if (d.match.route.source) s.source = d.match.route.source;
  }
  switch (d.kind) {
    case "noRoute":
      s.status = requestStatus.noRoute;
      if (d.vhost) s.vhost = d.vhost;
      break;
    case "httpsRedirect":
      s.status = requestStatus.httpsRedirect;
      s.location = d.location;
      s.vhost = d.vhost;
      break;
    case "faultAbort":
      s.status = d.status;
      s.body = "fault filter abort";
      s.delayMs = d.delayMs;
      break;
    case "corsPreflight": {
      s.status = requestStatus.corsPreflight;
      s.delayMs = d.delayMs;
      const h = new Headers();
      for (const [k, v] of d.headers) h.set(k, v);
      s.responseHeaders = h;
      break;
    }
    case "redirect": {
      s.status = d.status;
      s.location = d.location;
      s.delayMs = d.delayMs;
      const h = new Headers();
      applyHeaderOps(h, d.responseHeaders, vars);
      s.responseHeaders = h;
      break;
    }
    case "directResponse": {
      s.status = d.status;
      const body = decodeBody(d.body);
      if (body !== undefined) s.body = body;
      s.delayMs = d.delayMs;
      const h = new Headers();
      applyHeaderOps(h, d.responseHeaders, vars);
      s.responseHeaders = h;
      break;
    }
    case "clusterNotFound":
    case "noHealthyUpstream":
      s.status = requestStatus[d.kind];
      if (d.kind === "noHealthyUpstream") s.body = "no healthy upstream";
      s.destination = destinationOf(d.destination);
      break;
    case "forward": {
      s.destination = destinationOf(d.target.destination);
      s.upstreamUrl = d.target.url;
      s.path = d.upstreamPath;
      if (d.originalPath !== undefined) s.originalPath = d.originalPath;
      s.authority = d.authority;
      const rq = new Headers(requestHeaders);
      applyHeaderOps(rq, d.requestHeaders, vars);
      s.requestHeaders = rq;
      const rs = new Headers();
      applyHeaderOps(rs, d.responseHeaders, vars);
      for (const [k, v] of d.corsHeaders) rs.set(k, v);
      for (const c of d.setCookies) rs.append("set-cookie", c);
      s.responseHeaders = rs;
      if (d.variant !== undefined) s.variant = d.variant;
      s.timeoutMs = d.faultConfigured ? null : (d.timeoutMs ?? null);
      s.retries = d.faultConfigured ? 0 : d.retries.attempts;
      s.retryOn = [...d.retries.retryOn, ...d.retries.retriableStatusCodes.map(String)];
      if (d.retries.perTryTimeoutMs !== undefined) s.perTryTimeoutMs = d.retries.perTryTimeoutMs;
      s.mirrors = d.mirrors.map((m) => m.destination.host);
      s.delayMs = d.delayMs;
      s.faultConfigured = d.faultConfigured;
      break;
    }
  }
  return s;
}

function destinationOf(d: { host: string; subset?: string; port?: number }): { host: string; subset?: string; port?: number } {
  return { host: d.host, ...(d.subset !== undefined ? { subset: d.subset } : {}), ...(d.port !== undefined ? { port: d.port } : {}) };
}
