/**
 * Carries out a forward Decision: plan the upstream request, run the attempt(s), turn the outcome
 * into a response. Today one attempt, no timeout.
 *
 * Seams for resilience (retries, timeouts, mirrors, outlier detection):
 * - `attempt(plan, {attempt: n, body, signal})` is the unit to loop over; give each try its own
 *   AbortSignal (perTryTimeoutMs) and race the loop against the route timeout (decision.timeoutMs,
 *   not when decision.faultConfigured).
 * - A retried/mirrored body must be buffered under a cap before the first attempt: pass it as
 *   `body`; above the cap stream `plan.body` once and do not retry (log `retryAbandoned`).
 * - Mirrors (`decision.mirrors`) go out through `x.waitUntil` with `plan.headers` (after header
 *   ops), counted against the subrequest budget.
 * - Outlier feedback: report each Attempt (5xx / reset) against `decision.target.endpoint`.
 */
import type { ForwardDecision, RequestFacts } from "../decision.ts";
import { attempt, type Attempt, type Fetcher } from "./attempt.ts";
import type { HeaderVars } from "./header-ops.ts";
import { upstreamReset, upstreamTimeout } from "./local-reply.ts";
import { proxiedResponse } from "./response.ts";
import { planUpstream } from "./upstream-request.ts";

export interface Exchange {
  request: Request;
  facts: RequestFacts;
  requestId: string;
  vars: HeaderVars;
  waitUntil: (promise: Promise<unknown>) => void;
  fetcher?: Fetcher;
  now?: () => number;
}

export interface Executed {
  response: Response;
  /** Attempts made (for logs). */
  attempts: number;
  /** Status the origin answered with, when it did. */
  upstreamStatus?: number;
  /** Why no upstream response was used, when none was. */
  failure?: { kind: "reset" | "timeout"; detail?: string };
  /** Host the origin saw. */
  upstreamHost: string;
}

/** Turns the final Attempt into the downstream response. */
export function respond(result: Attempt, decision: ForwardDecision, vars: HeaderVars, attempts: number, upstreamHost: string): Executed {
  switch (result.kind) {
    case "response":
      return {
        response: proxiedResponse(result.response, decision, vars, result.serviceTimeMs),
        attempts,
        upstreamStatus: result.response.status,
        upstreamHost,
      };
    case "reset":
      return {
        response: upstreamReset(result.reason, attempts > 1),
        attempts,
        failure: { kind: "reset", detail: `${result.reason}: ${result.detail}` },
        upstreamHost,
      };
    case "timeout":
      return { response: upstreamTimeout(), attempts, failure: { kind: "timeout" }, upstreamHost };
  }
}

export async function execute(decision: ForwardDecision, x: Exchange): Promise<Executed> {
  const plan = planUpstream(decision, x.request, x.facts, x.requestId, x.vars);
  const result = await attempt(plan, { attempt: 1 }, x.fetcher, x.now);
  return respond(result, decision, x.vars, 1, plan.host);
}
