/**
 * HTTPRetry → RetryPolicy (istio:retry ConvertPolicy / DefaultPolicy, ISTIO-SEMANTICS §2.5).
 */
import type { RetryPolicy } from "../table/types.ts";
import type { HTTPRetry } from "./input.ts";
import { parseDuration } from "../config/duration.ts";

/** Istio ≥ 1.24 default `retry_on` (503 is no longer retried, release note 50506). */
export const DEFAULT_RETRY_ON: readonly string[] = ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"];
/** Istio mesh default `num_retries`. */
export const DEFAULT_RETRY_ATTEMPTS = 2;
/** Envoy's default backoff base interval (max = 10 × base). */
export const DEFAULT_BACKOFF_BASE_MS = 25;

/**
 * `consistentHash`: the route's destination hashes to an endpoint; Istio then omits the
 * previous_hosts retry predicate so retries return to the hashed host.
 */
export function retryPolicy(retries: HTTPRetry | undefined, consistentHash: boolean): RetryPolicy {
  if (retries === undefined) {
    return {
      attempts: DEFAULT_RETRY_ATTEMPTS,
      retryOn: [...DEFAULT_RETRY_ON],
      retriableStatusCodes: [],
      backoffBaseMs: DEFAULT_BACKOFF_BASE_MS,
      retryIgnorePreviousHosts: !consistentHash,
    };
  }
  // proto3 int32: an absent `attempts` is 0, and `attempts <= 0` means no retry policy at all.
  const attempts = retries.attempts ?? 0;
  if (attempts <= 0) {
    return { attempts: 0, retryOn: [], retriableStatusCodes: [], backoffBaseMs: DEFAULT_BACKOFF_BASE_MS, retryIgnorePreviousHosts: false };
  }
  let retryOn = [...DEFAULT_RETRY_ON];
  const retriableStatusCodes: number[] = [];
  if (retries.retryOn !== undefined) {
    // A user list replaces the default; integer tokens are status codes and imply
    // `retriable-status-codes` (istio:retry parseRetryOn). Istio splits on "," without trimming.
    retryOn = [];
    for (const token of retries.retryOn.split(",")) {
      if (/^\d+$/.test(token)) {
        const code = Number(token);
        if (!retriableStatusCodes.includes(code)) retriableStatusCodes.push(code);
      } else if (token !== "" && !retryOn.includes(token)) {
        retryOn.push(token);
      }
    }
    if (retriableStatusCodes.length && !retryOn.includes("retriable-status-codes")) retryOn.push("retriable-status-codes");
  }
  const policy: RetryPolicy = {
    attempts,
    retryOn,
    retriableStatusCodes,
    backoffBaseMs: (retries.backoff !== undefined ? parseDuration(retries.backoff) : null) ?? DEFAULT_BACKOFF_BASE_MS,
    retryIgnorePreviousHosts: retries.retryIgnorePreviousHosts ?? !consistentHash,
  };
  const perTry = retries.perTryTimeout !== undefined ? parseDuration(retries.perTryTimeout) : null;
  if (perTry !== null) policy.perTryTimeoutMs = perTry;
  return policy;
}
