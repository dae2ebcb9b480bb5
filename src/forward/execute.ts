/**
 * Carries out a forward Decision: plan the upstream request, run the attempt(s), turn the outcome
 * into a response.
 *
 * Resilience lives in resilience.ts (orchestration), retry-loop.ts (attempts, per-try and route
 * timeouts, reselection, outlier feedback), retry-policy.ts (pure decisions), body-buffer.ts
 * (replayable bodies under RETRY_BUFFER_LIMIT_BYTES), mirror.ts (waitUntil copies) and budget.ts
 * (SUBREQUEST_BUDGET). `attempt()` (attempt.ts) stays the unit the loop repeats.
 */
import type { ForwardDecision, RequestFacts } from "../decision.ts";
import type { Attempt, ForwardIo } from "./attempt.ts";
import type { HeaderVars } from "../actions/header-ops.ts";
import { forwardResilient, type ResilienceNotes, type ResilienceSettings } from "./resilience.ts";
import { proxiedResponse } from "./response.ts";
import { planUpstream } from "./upstream-request.ts";
import type { RequestId } from "./proxy-headers.ts";
import { noHealthyUpstream, toResponse, upstreamReset, upstreamTimeout } from "../respond.ts";

/** One forwarded request: what it is, how to reach the client's response lifetime, its settings. */
export interface Exchange {
  request: Request;
  /** `request.headers` / `request.method`, when the caller already read them (each getter is a call into workerd). */
  headers?: Headers;
  method?: string;
  facts: RequestFacts;
  requestId: string | RequestId;
  vars: HeaderVars;
  waitUntil: (promise: Promise<unknown>) => void;
  /** RETRY_BUFFER_LIMIT_BYTES / SUBREQUEST_BUDGET / MIRROR_SHADOW_HOST_SUFFIX (env.ts settings). */
  settings: ResilienceSettings;
}

export interface Executed {
  response: Response;
  /** Attempts made (for logs). */
  attempts: number;
  /** Status the origin answered with, when it did. */
  upstreamStatus?: number;
  /** Why no upstream response was used, when none was. */
  failure?: { kind: "reset" | "timeout" | "noHealthyUpstream"; detail?: string };
  /** Host the origin saw. */
  upstreamHost: string;
  /** Retry trail, abandoned retries, body buffering, mirrors, subrequests (for the log line). */
  notes?: ResilienceNotes;
}

/** Turns the final Attempt into the downstream response. */
export function respond(result: Attempt, decision: ForwardDecision, vars: HeaderVars, attempts: number, upstreamHost: string): Executed {
  switch (result.kind) {
    case "response":
      return {
        response: proxiedResponse(result.response, decision, vars, result.serviceTimeMs, result.status, result.headers),
        attempts,
        upstreamStatus: result.status,
        upstreamHost,
      };
    case "reset":
      return {
        response: toResponse(upstreamReset(result.reason, attempts > 1)),
        attempts,
        failure: { kind: "reset", detail: `${result.reason}: ${result.detail}` },
        upstreamHost,
      };
    case "timeout":
      return { response: toResponse(upstreamTimeout()), attempts, failure: { kind: "timeout" }, upstreamHost };
  }
}

export async function execute(decision: ForwardDecision, x: Exchange, io: ForwardIo): Promise<Executed> {
  const plan = planUpstream(decision, x.request, x.facts, x.requestId, x.vars, x.headers, x.method);
  // Retries, timeouts, mirrors, outlier feedback and the subrequest budget: resilience.ts.
  const r = await forwardResilient(decision, plan, x, io);
  if (r.final.kind === "noHealthyUpstream") {
    // A retry found every endpoint ejected (Envoy UH on retry host selection).
    return { response: toResponse(noHealthyUpstream()), attempts: r.attempts, failure: { kind: "noHealthyUpstream" }, upstreamHost: r.upstreamHost, notes: r.notes };
  }
  const executed = respond(r.final, decision, x.vars, r.attempts, r.upstreamHost);
  executed.notes = r.notes;
  return executed;
}
