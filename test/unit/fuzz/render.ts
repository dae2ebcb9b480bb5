/**
 * Everything the Worker builds from a Decision before and after the network, without the
 * network: upstream URL/headers (planUpstream, requestInit), the proxied response (response
 * header ops, CORS, cookies) and every local reply. If any of these throws for an accepted
 * config, that request would be a 500 in production: the fuzz suites call `renderDecision` on
 * every decision they make.
 */
import type { Decision, RequestFacts } from "../../../src/decision.ts";
import { proxiedResponse } from "../../../src/forward/response.ts";
import { planUpstream, requestInit } from "../../../src/forward/upstream-request.ts";
import { headerVars, localReply, toResponse } from "../../../src/respond.ts";

export interface Rendered {
  status: number;
  headers: Headers;
  /** forward only: the URL fetch() would get. */
  upstreamUrl?: string;
  upstreamHeaders?: Headers;
}

export function renderDecision(d: Decision, request: Request, facts: RequestFacts): Rendered {
  const vars = headerVars(facts, request.headers, 0, () => "HTTP/1.1");
  switch (d.kind) {
    case "forward": {
      const plan = planUpstream(d, request, facts, "req-1", vars);
      const init = requestInit(plan, { attempt: 1 });
      // What fetch() would be called with must be a valid request (URL, method, headers).
      new Request(plan.url, { method: init.method, headers: init.headers });
      const upstream = new Response("ok", { status: 200, headers: { "content-type": "text/plain", "x-up": "1" } });
      const r = proxiedResponse(upstream, d, vars, 1);
      return { status: r.status, headers: r.headers, upstreamUrl: plan.url, upstreamHeaders: init.headers as Headers };
    }
    default: {
      const r = toResponse(localReply(d, vars));
      return { status: r.status, headers: r.headers };
    }
  }
}
