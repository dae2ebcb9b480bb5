/**
 * The retry loop (Envoy router + retry state, ISTIO-SEMANTICS §2.4, §2.5): send an attempt,
 * classify its outcome with retry-policy.ts, back off, reselect an endpoint and try again while
 * the policy, the route timeout, the request body and the subrequest budget allow.
 *
 * Per attempt:
 * - `x-envoy-attempt-count: n` upstream (Istio enables include_request_attempt_count);
 * - an AttemptSignal: per-try timeout until response headers, linked to the route Deadline
 *   (only when the route has a `timeout` or `perTryTimeout`: otherwise nothing can end an attempt
 *   early, and the attempt runs without AbortController, listeners or a race);
 * - LEAST_REQUEST in-flight count +1 while waiting for headers (select/endpoint.ts trackInFlight;
 *   counted until response headers, not until the body ends, to keep the body path free of JS);
 * - outlier detection fed with the outcome (select/outlier.ts; 503 for resets, 504 for timeouts).
 * A retried response's body is cancelled; a timed-out attempt's fetch is aborted.
 *
 * Reselection (Envoy previous_hosts predicate): with `retryIgnorePreviousHosts` (Istio's default)
 * and no consistent hashing, hosts already tried are excluded while others remain; consistent
 * hashing goes back to the same endpoint unless it was just ejected. Ejected endpoints are never
 * picked (pickEndpoint consults the outlier detector); when none is left the request ends with
 * 503 `no healthy upstream`.
 */
import type { Endpoint } from "../table/types.ts";
import type { ForwardDecision, RequestFacts } from "../decision.ts";
import { trackInFlight, pickEndpoint } from "../select/endpoint.ts";
import { CODE_CONNECT_FAILED, CODE_TIMEOUT, outlierDetector } from "../select/outlier.ts";
import { attempt, resetReasonOf, type Attempt, type ForwardIo } from "./attempt.ts";
import { upstreamAddress } from "./authority.ts";
import type { RequestBody } from "./body-buffer.ts";
import type { SubrequestBudget } from "./budget.ts";
import { backoffMs, isRetriable, type AttemptOutcome, type EffectiveResilience } from "./retry-policy.ts";
import { ABORTED, AttemptSignal, raceAbort, sleep, type Deadline } from "./timeouts.ts";
import { configuredAuthority, requestInit, type UpstreamPlan } from "./upstream-request.ts";

/** Why the policy wanted another attempt but the gateway did not make it (logged). */
export type RetryAbandoned = "request body streamed once" | "subrequest budget exhausted";

export interface LoopResult {
  /** The attempt that decides the response; `noHealthyUpstream` when reselection found nothing. */
  final: Attempt | { kind: "noHealthyUpstream" };
  attempts: number;
  /** Host the origin saw on the last attempt. */
  upstreamHost: string;
  endpoint: Endpoint;
  retryAbandoned?: RetryAbandoned;
  /** One entry per attempt: `<endpoint> <status|reset reason|per-try timeout|route timeout>`. */
  trail: string[];
}

/** The plan of `decision` re-aimed at another endpoint of the same cluster. */
export function planFor(plan: UpstreamPlan, decision: ForwardDecision, endpoint: Endpoint): UpstreamPlan {
  const addr = upstreamAddress(endpoint.url + decision.upstreamPath, configuredAuthority(decision));
  const out: UpstreamPlan = { ...plan, url: addr.url, host: addr.host };
  if (addr.resolveOverride) out.resolveOverride = addr.resolveOverride;
  else delete out.resolveOverride;
  return out;
}

export async function runAttempts(
  decision: ForwardDecision,
  plan: UpstreamPlan,
  body: RequestBody,
  facts: RequestFacts,
  policy: EffectiveResilience,
  deadline: Deadline,
  io: ForwardIo,
  budget: SubrequestBudget,
): Promise<LoopResult> {
  const clock = io.clock;
  const cluster = decision.target.cluster;
  const consistentHash = cluster.trafficPolicy?.loadBalancer?.consistentHash !== undefined;
  const excludePrevious = decision.retries.retryIgnorePreviousHosts && !consistentHash;
  const tried = new Set<string>();
  const trail: string[] = [];
  let endpoint = decision.target.endpoint;
  let current = plan;
  let n = 0;
  const timed = policy.perTryTimeoutMs !== undefined || deadline.armed;

  for (;;) {
    if (!budget.take("attempt")) {
      // Retries check the budget before backing off and mirrors reserve the primary's attempts,
      // so only a budget smaller than one request can get here: Envoy's overflow reply.
      return { final: { kind: "reset", reason: "overflow", detail: "subrequest budget exhausted" }, attempts: n, upstreamHost: current.host, endpoint, trail };
    }
    n++;
    tried.add(endpoint.url);
    // Without a per-try or route timeout nothing can end an attempt early: no signal, no race,
    // and the attempt runs inline (no async layer of its own: a promise, a frame and an await less).
    const signal = timed ? new AttemptSignal(policy.perTryTimeoutMs, deadline.signal, clock) : null;
    let result: Attempt;
    if (signal === null) {
      if (io.state) trackInFlight(io.state, cluster, endpoint.url, 1);
      try {
        const sentAt = io.now();
        // A plain call: workerd's global fetch throws "Illegal invocation" when called as io.fetcher(…).
        const fetcher = io.fetcher;
        try {
          const response = await fetcher(current.url, requestInit(current, { attempt: n, body: body.forAttempt() }));
          result = { kind: "response", response, status: response.status, headers: response.headers, serviceTimeMs: io.now() - sentAt };
        } catch (err) {
          result = { kind: "reset", reason: resetReasonOf(err), detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
        }
      } finally {
        if (io.state) trackInFlight(io.state, cluster, endpoint.url, -1);
      }
    } else result = await timedAttempt(current, n, body, signal, cluster, endpoint.url, io);
    const outcome = outcomeOf(result, signal);
    trail.push(`${current.host} ${describe(outcome)}`);
    if (io.state) outlierDetector(io.state).record(cluster, endpoint.url, outlierCode(outcome), io.now());

    // shouldRetry with `attempts` = the retries this request may make (policy.maxAttempts − 1).
    const wanted = n < policy.maxAttempts && isRetriable(outcome, decision.retries);
    if (!wanted) {
      if (result.kind === "response") signal?.disarmPerTry();
      else signal?.release();
      // With no route timeout nothing can abort the body any more: drop the listener now.
      if (deadline.expired || result.kind !== "response") deadline.clear();
      return { final: result, attempts: n, upstreamHost: current.host, endpoint, trail };
    }
    // The policy wants another attempt: check what the edge can afford.
    const abandoned: RetryAbandoned | undefined = !body.available
      ? "request body streamed once"
      : budget.remaining < 1
        ? "subrequest budget exhausted"
        : undefined;
    if (abandoned) {
      if (result.kind === "response") signal?.disarmPerTry();
      else signal?.release();
      return { final: result, attempts: n, upstreamHost: current.host, endpoint, trail, retryAbandoned: abandoned };
    }
    // Retrying: this attempt is done with. Cancel a response body nobody will read.
    if (result.kind === "response") void result.response.body?.cancel().catch(() => undefined);
    signal?.release();

    await sleep(backoffMs(n, decision.retries.backoffBaseMs, io.rand), deadline.armed ? deadline.signal : undefined, clock);
    if (deadline.expired) {
      trail.push("route timeout during back-off");
      return { final: { kind: "timeout" }, attempts: n, upstreamHost: current.host, endpoint, trail };
    }

    const next = reselect(decision, facts, io, excludePrevious ? tried : undefined, endpoint, consistentHash);
    if (!next) return { final: { kind: "noHealthyUpstream" }, attempts: n, upstreamHost: current.host, endpoint, trail };
    if (next !== endpoint) {
      endpoint = next;
      current = planFor(plan, decision, endpoint);
    }
  }
}

/** Next endpoint for a retry, or null when every endpoint is ejected. */
function reselect(
  decision: ForwardDecision,
  facts: RequestFacts,
  io: ForwardIo,
  exclude: ReadonlySet<string> | undefined,
  previous: Endpoint,
  consistentHash: boolean,
): Endpoint | null {
  const cluster = decision.target.cluster;
  const now = io.now();
  if (consistentHash && !(io.state && outlierDetector(io.state).isEjected(cluster, previous.url, now))) return previous;
  const opts = io.state ? { rand: io.rand, now, state: io.state } : { rand: io.rand, now };
  const pick = pickEndpoint(cluster, facts, opts, exclude);
  return pick ? pick.endpoint : null;
}

/** One attempt under an AttemptSignal (per-try or route timeout): raced against the signal. */
async function timedAttempt(
  plan: UpstreamPlan,
  n: number,
  body: RequestBody,
  signal: AttemptSignal,
  cluster: ForwardDecision["target"]["cluster"],
  endpointUrl: string,
  io: ForwardIo,
): Promise<Attempt> {
  if (io.state) trackInFlight(io.state, cluster, endpointUrl, 1);
  try {
    const pending = attempt(plan, { attempt: n, body: body.forAttempt(), signal: signal.signal }, io.fetcher, io.now);
    const raced = await raceAbort(pending, signal.signal);
    if (raced === ABORTED) {
      // The fetch may still settle later (a fetcher that ignores signals): never leak its body.
      void pending.then((a) => (a.kind === "response" ? a.response.body?.cancel() : undefined)).catch(() => undefined);
      return { kind: "timeout" };
    }
    return raced;
  } finally {
    if (io.state) trackInFlight(io.state, cluster, endpointUrl, -1);
  }
}

export function outcomeOf(result: Attempt, signal: AttemptSignal | null): AttemptOutcome {
  switch (result.kind) {
    case "response":
      return { kind: "response", status: result.status, headers: result.headers };
    case "reset":
      return { kind: "reset", reason: result.reason };
    case "timeout":
      return signal?.perTryTimedOut ? { kind: "perTryTimeout" } : { kind: "routeTimeout" };
  }
}

/** HTTP code outlier detection counts (Envoy resultToHttpCode: reset 503, timeout 504). */
export function outlierCode(outcome: AttemptOutcome): number {
  switch (outcome.kind) {
    case "response":
      return outcome.status;
    case "reset":
      return CODE_CONNECT_FAILED;
    case "perTryTimeout":
    case "routeTimeout":
      return CODE_TIMEOUT;
  }
}

function describe(outcome: AttemptOutcome): string {
  switch (outcome.kind) {
    case "response":
      return String(outcome.status);
    case "reset":
      return outcome.reason;
    case "perTryTimeout":
      return "per-try timeout";
    case "routeTimeout":
      return "route timeout";
  }
}
