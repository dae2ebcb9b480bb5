/**
 * One upstream attempt, with its outcome as data. The retry loop, per-try/route timeouts
 * (AbortSignal), body buffering and outlier feedback are built on this type: an Attempt says what
 * happened without deciding what to do about it.
 */
import type { SelectState } from "../decision.ts";
import type { ResetReason } from "../respond.ts";
import type { Clock } from "./timeouts.ts";
import { requestInit, type AttemptInit, type UpstreamPlan } from "./upstream-request.ts";

export type Attempt =
  | {
      kind: "response";
      response: Response;
      /** `response.status`, read once (each Response getter is a call into workerd). */
      status: number;
      /** `response.headers`, read once: the retry policy and the downstream response both read them. */
      headers: Headers;
      /** ms from sending to response headers (x-envoy-upstream-service-time). */
      serviceTimeMs: number;
    }
  /** No response headers: connection refused/reset, DNS failure, … */
  | { kind: "reset"; reason: ResetReason; detail: string }
  /** Aborted by the caller's signal (per-try or route timeout). */
  | { kind: "timeout" };

export type Fetcher = (input: string, init: RequestInit) => Promise<Response>;

/**
 * The isolate's I/O and state a forwarded request uses. The pipeline builds it once per isolate
 * (createRuntime: defaults applied there, once) and every layer of forward/ hands it down as is.
 */
export interface ForwardIo {
  fetcher: Fetcher;
  now: () => number;
  /** Dice for back-off jitter and endpoint reselection. */
  rand: () => number;
  /** Timers for timeouts and back-off (tests pass a virtual clock). */
  clock: Clock;
  /** Per-isolate select state (LB cursors, in-flight counts, outlier detector); absent ⇒ none kept. */
  state?: SelectState;
  log?: (line: Record<string, unknown>) => void;
}

/**
 * Envoy distinguishes connect failures from resets after connecting. workerd reports both a
 * refused connection and a connection dropped before response headers as
 * `Network connection lost.`, so that (and anything unrecognised) is a `remote connection failure`
 * — the common case, an origin that is down; only a message that clearly says an established
 * stream was terminated becomes `connection termination`.
 */
export function resetReasonOf(err: unknown): ResetReason {
  const message = err instanceof Error ? err.message : String(err);
  if (/terminated|reset by peer/i.test(message)) return "connection termination";
  return "remote connection failure";
}

export async function attempt(plan: UpstreamPlan, init: AttemptInit, fetcher: Fetcher = fetch, now: () => number = Date.now): Promise<Attempt> {
  const sentAt = now();
  try {
    const response = await fetcher(plan.url, requestInit(plan, init));
    return { kind: "response", response, status: response.status, headers: response.headers, serviceTimeMs: now() - sentAt };
  } catch (err) {
    if (init.signal?.aborted) return { kind: "timeout" };
    return { kind: "reset", reason: resetReasonOf(err), detail: err instanceof Error ? `${err.name}: ${err.message}` : String(err) };
  }
}
