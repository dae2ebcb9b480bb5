/**
 * Resilience around one forwarded request: body buffering, route timeout, mirrors, the retry
 * loop with outlier feedback, all within the per-request subrequest budget. execute.ts calls
 * forwardResilient() with the planned upstream request and turns the final attempt into the
 * response.
 *
 * Order (Envoy router): the route timer starts when the request is complete — here when a
 * replayable body has been read (a body streamed once starts it at the first attempt); mirrors
 * are sent alongside the first attempt; then the attempts.
 *
 * Settings (from vars, parsed once per env by src/env.ts):
 *   retryBufferLimitBytes   RETRY_BUFFER_LIMIT_BYTES: cap for a body that may be retried or mirrored
 *   subrequestBudget        SUBREQUEST_BUDGET: max upstream fetches per request, attempts + mirrors
 *   mirrorShadowHostSuffix  MIRROR_SHADOW_HOST_SUFFIX: "" (Istio ≥ 1.28) or "-shadow" for mirrors
 */
import type { ForwardDecision, RequestFacts } from "../decision.ts";
import type { ForwardIo } from "./attempt.ts";
import { prepareBody, RequestBody, type OnceReason } from "./body-buffer.ts";
import { SubrequestBudget } from "./budget.ts";
import { sendMirrors, type MirrorReport } from "./mirror.ts";
import { effectiveResilience } from "./retry-policy.ts";
import { runAttempts, type LoopResult } from "./retry-loop.ts";
import { boundBody, Deadline } from "./timeouts.ts";
import type { UpstreamPlan } from "./upstream-request.ts";

export interface ResilienceSettings {
  retryBufferLimitBytes: number;
  subrequestBudget: number;
  mirrorShadowHostSuffix: string;
}

/** What one request brings to the resilience layer (the isolate's I/O comes as ForwardIo). */
export interface ResilientExchange {
  facts: RequestFacts;
  waitUntil: (p: Promise<unknown>) => void;
  settings: ResilienceSettings;
}

/** What the request log says about resilience (never header values or bodies). */
export interface ResilienceNotes {
  /** `<host> <outcome>` per attempt, when there was more than one or it failed. */
  attemptTrail?: string[];
  retryAbandoned?: string;
  /** Why the request body could only be sent once (when retries or mirrors wanted a replay). */
  requestBody?: OnceReason;
  mirrored?: string[];
  mirrorsSkipped?: string[];
  subrequests: number;
}

export interface ResilientResult extends LoopResult {
  notes: ResilienceNotes;
  mirrors: MirrorReport;
}

/** The report of a request without mirrors (shared: nothing adds to it). */
const NO_MIRRORS: MirrorReport = Object.freeze({ sent: Object.freeze([]), skipped: Object.freeze([]) }) as unknown as MirrorReport;

export async function forwardResilient(decision: ForwardDecision, plan: UpstreamPlan, x: ResilientExchange, io: ForwardIo): Promise<ResilientResult> {
  // A WebSocket upgrade is passed through untouched: one attempt, never mirrored (DESIGN §6).
  const policy = plan.webSocket ? { maxAttempts: 1 } : effectiveResilience(decision);
  const mirrorsWanted = plan.webSocket ? [] : decision.mirrors;
  const d: ForwardDecision = mirrorsWanted === decision.mirrors ? decision : { ...decision, mirrors: mirrorsWanted };

  // A bodiless request (GET/HEAD) needs no buffering decision: no await, no header lookup.
  const body =
    plan.body === null
      ? RequestBody.empty()
      : await prepareBody(plan.body, {
          limitBytes: x.settings.retryBufferLimitBytes,
          replay: policy.maxAttempts > 1 || mirrorsWanted.length > 0,
          contentLength: plan.headers.get("content-length"),
        });
  const budget = new SubrequestBudget(x.settings.subrequestBudget);
  const clock = io.clock;
  const deadline = new Deadline(policy.routeTimeoutMs, clock);

  const mirrors: MirrorReport =
    d.mirrors.length === 0
      ? NO_MIRRORS
      : sendMirrors(d, plan, body, {
          fetcher: io.fetcher,
          budget,
          reserve: policy.maxAttempts,
          waitUntil: x.waitUntil,
          shadowHostSuffix: x.settings.mirrorShadowHostSuffix,
          routeTimeoutMs: policy.routeTimeoutMs,
          clock,
          log: io.log,
        });

  const loop = await runAttempts(d, plan, body, x.facts, policy, deadline, io, budget);

  // The route timeout keeps running over the response body (Envoy resets a stream still
  // sending when the timer fires).
  if (loop.final.kind === "response" && policy.routeTimeoutMs !== undefined && !deadline.expired) {
    loop.final = { ...loop.final, response: boundBody(loop.final.response, deadline) };
  }

  const notes: ResilienceNotes = { subrequests: budget.used };
  const failed = loop.final.kind !== "response";
  if (loop.attempts > 1 || failed) notes.attemptTrail = loop.trail;
  if (loop.retryAbandoned) notes.retryAbandoned = loop.retryAbandoned;
  if (body.onceReason && body.onceReason !== "not needed") notes.requestBody = body.onceReason;
  if (mirrors.sent.length > 0) notes.mirrored = mirrors.sent;
  if (mirrors.skipped.length > 0) notes.mirrorsSkipped = mirrors.skipped.map((s) => `${s.host}: ${s.reason}`);
  // runAttempts' result is this request's own object: completed in place, not copied.
  const result = loop as ResilientResult;
  result.notes = notes;
  result.mirrors = mirrors;
  return result;
}
