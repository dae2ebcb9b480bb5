/**
 * Everything the Worker builds from a Decision before and after the network, without the
 * network: upstream URL/headers (planUpstream, requestInit), the proxied response (response
 * header ops, CORS, cookies) and every local reply. If any of these throws for an accepted
 * config, that request would be a 500 in production: the fuzz suites call `renderDecision` on
 * every decision they make.
 */
import type { Decision, RequestFacts } from "../../../src/decision.ts";
import type { HeaderVars } from "../../../src/forward/header-ops.ts";
import * as reply from "../../../src/forward/local-reply.ts";
import { proxiedResponse } from "../../../src/forward/response.ts";
import { planUpstream, requestInit } from "../../../src/forward/upstream-request.ts";

export interface Rendered {
  status: number;
  headers: Headers;
  /** forward only: the URL fetch() would get. */
  upstreamUrl?: string;
  upstreamHeaders?: Headers;
}

export function varsFor(request: Request, facts: RequestFacts): HeaderVars {
  return {
    clientIp: facts.clientIp,
    protocol: "HTTP/1.1",
    startTime: 0,
    request: request.headers,
    pseudo: { authority: facts.authority, path: facts.path + facts.query, method: facts.method, scheme: facts.scheme },
  };
}

export function renderDecision(d: Decision, request: Request, facts: RequestFacts): Rendered {
  const vars = varsFor(request, facts);
  const done = (r: Response): Rendered => ({ status: r.status, headers: r.headers });
  switch (d.kind) {
    case "httpsRedirect":
      return done(reply.httpsRedirect(d.location));
    case "noRoute":
      return done(reply.noRoute());
    case "faultAbort":
      return done(reply.faultAbort(d.status));
    case "corsPreflight":
      return done(reply.corsPreflight(d.headers));
    case "redirect":
      return done(reply.redirect(d.status, d.location, d.responseHeaders, vars));
    case "directResponse":
      return done(reply.directResponse(d.status, d.body, d.responseHeaders, vars));
    case "clusterNotFound":
      return done(reply.clusterNotFound());
    case "noHealthyUpstream":
      return done(reply.noHealthyUpstream());
    case "forward": {
      const plan = planUpstream(d, request, facts, "req-1", vars);
      const init = requestInit(plan, { attempt: 1 });
      // What fetch() would be called with must be a valid request (URL, method, headers).
      new Request(plan.url, { method: init.method, headers: init.headers });
      const upstream = new Response("ok", { status: 200, headers: { "content-type": "text/plain", "x-up": "1" } });
      const r = proxiedResponse(upstream, d, vars, 1);
      return { status: r.status, headers: r.headers, upstreamUrl: plan.url, upstreamHeaders: init.headers as Headers };
    }
  }
}
