/**
 * Which requests get the per-request access log line (ACCESS_LOG, src/env.ts). Pure: the pipeline
 * passes what it knows about the request and a die for sampling.
 *
 * "errors" logs every request the operator would want to look at: a reply the gateway made up
 * because something was wrong (no route, no table, a bad request, an unknown cluster, no healthy
 * endpoint, an injected abort), any 5xx, an upstream exchange that failed or needed retries, and
 * an injected delay. Redirects, direct responses and CORS preflights are configured answers, not
 * errors. "all" adds the rest, sampled by ACCESS_LOG_SAMPLE; errors are never sampled away.
 */
import type { AccessLogSettings } from "./env.ts";

/** Local replies that mean something went wrong (Envoy's response flags would mark them). */
const ERROR_KINDS = new Set(["noRoute", "noRouteTable", "badRequest", "methodNotAllowed", "faultAbort", "clusterNotFound", "noHealthyUpstream"]);

/** What the pipeline's log fields say about a request (the decision kind and the exchange). */
export interface AccessOutcome {
  kind: string;
  attempts?: number;
  failure?: string;
  faultDelayMs?: number;
}

export function isErrorOutcome(o: AccessOutcome, status: number): boolean {
  return status >= 500 || ERROR_KINDS.has(o.kind) || o.failure !== undefined || (o.attempts ?? 0) > 1 || (o.faultDelayMs ?? 0) > 0;
}

export function wantsAccessLog(s: AccessLogSettings, o: AccessOutcome, status: number, rand: () => number): boolean {
  switch (s.mode) {
    case "off":
      return false;
    case "errors":
      return isErrorOutcome(o, status);
    case "all":
      return s.sample >= 1 || isErrorOutcome(o, status) || (s.sample > 0 && rand() < s.sample);
  }
}
