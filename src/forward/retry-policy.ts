/**
 * Retry policy decisions (Istio `HTTPRetry` → Envoy `retry_policy`), pure: would this attempt's
 * outcome be retried, how long to back off, which per-try timeout applies. The retry loop
 * (retry-loop.ts) does the I/O; everything it decides is decided here so it can be tested
 * table-driven (ISTIO-SEMANTICS §2.4, §2.5). The reply a failed request ends with is respond.ts's.
 */
import type { RetryPolicy } from "../table/types.ts";
import type { HeaderReader } from "../decision.ts";
import type { ResetReason } from "../respond.ts";

/** What one upstream attempt came to, as far as retry and outlier detection care. */
export type AttemptOutcome =
  | { kind: "response"; status: number; headers: HeaderReader }
  | { kind: "reset"; reason: ResetReason }
  /** `perTryTimeout` fired before response headers: Envoy treats it as a local stream reset. */
  | { kind: "perTryTimeout" }
  /** The route `timeout` fired: the request is over (504), never retried. */
  | { kind: "routeTimeout" };

/** Reset reasons that mean "no connection was made" (Envoy's `connect-failure` class). */
const CONNECT_FAILURES: ReadonlySet<ResetReason> = new Set<ResetReason>([
  "remote connection failure",
  "local connection failure",
  "connection timeout",
]);

export function isConnectFailure(reason: ResetReason): boolean {
  return CONNECT_FAILURES.has(reason);
}

/** gRPC status codes in response headers that the gRPC retry tokens name (RFC-less: grpc/doc/statuscodes.md). */
const GRPC_TOKENS: ReadonlyArray<[token: string, grpcStatus: number]> = [
  ["cancelled", 1],
  ["deadline-exceeded", 4],
  ["resource-exhausted", 8],
  ["internal", 13],
  ["unavailable", 14],
];

/**
 * Envoy `retry_on` tokens: the one list lives with the config schema that validates them
 * (src/config/schema/retry-on.ts, a plain module without zod). `retriable-headers` and
 * `http3-post-connect-failure` are valid in Istio but can never fire here (Istio exposes no
 * retriable header list; Workers do not speak HTTP/3 upstream), so they are accepted and inert.
 */
export { RETRY_ON_TOKENS } from "../config/schema/retry-on.ts";

/** The subset of a RetryPolicy that classification reads. */
export type RetryOnPolicy = Pick<RetryPolicy, "retryOn" | "retriableStatusCodes">;

/**
 * Would Envoy retry this outcome (ignoring how many retries are left)?
 * Mirrors `RetryStateImpl::wouldRetryFromHeaders` / `wouldRetryFromReset` and the per-try timeout
 * rule of `Filter::onPerTryTimeout`.
 */
export function isRetriable(outcome: AttemptOutcome, policy: RetryOnPolicy): boolean {
  const tokens = tokensOf(policy.retryOn);
  const on = tokens.on;
  switch (outcome.kind) {
    case "response":
      return retriableResponse(outcome.status, outcome.headers, tokens, policy.retriableStatusCodes);
    case "reset":
      return retriableReset(outcome.reason, on);
    case "perTryTimeout":
      // A per-try timeout is a local reset after the request was sent: only the broad tokens
      // cover it (ISTIO-SEMANTICS §2.4). `reset-before-request` does not (bytes were sent);
      // `connect-failure` does not (a connection existed or its failure would have surfaced first).
      return on.has("5xx") || on.has("gateway-error") || on.has("reset");
    case "routeTimeout":
      // The global timer ends the request: no retry can start after it (Envoy onResponseTimeout).
      return false;
  }
}

/** A retryOn list as classification reads it. */
interface Tokens {
  on: ReadonlySet<string>;
  /** Whether any gRPC token is on (else `grpc-status` never matters). */
  grpc: boolean;
}

/** retryOn lists live in the (immutable) route table: analysed once per list, not per attempt. */
const TOKENS = new WeakMap<readonly string[], Tokens>();

function tokensOf(retryOn: readonly string[]): Tokens {
  let t = TOKENS.get(retryOn);
  if (t === undefined) {
    const on = new Set(retryOn);
    t = { on, grpc: GRPC_TOKENS.some(([token]) => on.has(token)) };
    TOKENS.set(retryOn, t);
  }
  return t;
}

/**
 * Envoy's order: `x-envoy-overloaded` vetoes, `x-envoy-ratelimited` decides alone, then the
 * status, then gRPC. Each header lookup crosses into the runtime, so the common case — a status
 * no token retries, no `envoy-ratelimited` token — asks only for `grpc-status` (when a gRPC token
 * is on), and for the two vetoes only if that matches: the same answer, fewer lookups.
 */
function retriableResponse(status: number, headers: HeaderReader, tokens: Tokens, codes: readonly number[]): boolean {
  const on = tokens.on;
  const byStatus =
    (on.has("5xx") && status >= 500 && status <= 599) ||
    (on.has("gateway-error") && (status === 502 || status === 503 || status === 504)) ||
    (on.has("retriable-4xx") && status === 409) ||
    // Istio adds `retriable-status-codes` whenever retryOn lists integers, so a non-empty list
    // implies the token; with the token but no codes (Istio's default policy) nothing matches.
    ((on.has("retriable-status-codes") || codes.length > 0) && codes.includes(status));
  if (!byStatus && !on.has("envoy-ratelimited")) {
    // Only a gRPC status can make it retriable now; the x-envoy headers can only veto.
    return retriableGrpc(headers, tokens) && !headers.has("x-envoy-overloaded") && !headers.has("x-envoy-ratelimited");
  }
  // Never retried: the upstream (or an Envoy in front of it) says it is overloaded.
  if (headers.has("x-envoy-overloaded")) return false;
  if (headers.has("x-envoy-ratelimited")) return on.has("envoy-ratelimited");
  return byStatus || retriableGrpc(headers, tokens);
}

function retriableGrpc(headers: HeaderReader, tokens: Tokens): boolean {
  if (!tokens.grpc) return false;
  const grpc = grpcStatus(headers);
  if (grpc !== null) {
    for (const [token, code] of GRPC_TOKENS) if (grpc === code && tokens.on.has(token)) return true;
  }
  return false;
}

function retriableReset(reason: ResetReason, on: ReadonlySet<string>): boolean {
  if (reason === "overflow") return false;
  // 5xx / gateway-error / reset: any upstream reset, connection failures included.
  if (on.has("5xx") || on.has("gateway-error") || on.has("reset")) return true;
  if (isConnectFailure(reason)) {
    // No request byte left the gateway, so `reset-before-request` is safe here too.
    return on.has("connect-failure") || on.has("reset-before-request");
  }
  if (reason === "remote refused stream reset") return on.has("refused-stream");
  return false;
}

/** `grpc-status` of a trailers-only response, or null (absent / not a number). */
function grpcStatus(headers: HeaderReader): number | null {
  const raw = headers.get("grpc-status");
  if (raw === null || !/^\d{1,3}$/.test(raw.trim())) return null;
  return Number(raw.trim());
}

/**
 * Should the loop try again? `retriesDone` counts retries already made (0 after the first
 * attempt). Total attempts never exceed 1 + policy.attempts.
 */
export function shouldRetry(outcome: AttemptOutcome, policy: RetryPolicy, retriesDone: number): boolean {
  return retriesDone < policy.attempts && isRetriable(outcome, policy);
}

// ---------------------------------------------------------------- back-off

/** Envoy: max back-off = 10 × base when only the base is configured (Istio `retries.backoff`). */
export const BACKOFF_MAX_FACTOR = 10;

/**
 * Fully jittered exponential back-off before retry number `retryNumber` (1 = first retry),
 * as Envoy's JitteredExponentialBackOffStrategy: uniform integer in
 * [0, min((2^n − 1) × base, 10 × base)). With base 25 ms: 0–24, 0–74, 0–174, then 0–249 ms.
 * `rand` is uniform in [0, 1).
 */
export function backoffMs(retryNumber: number, baseMs: number, rand: () => number): number {
  const ceiling = backoffCeilingMs(retryNumber, baseMs);
  if (ceiling <= 0) return 0;
  return Math.min(ceiling - 1, Math.floor(rand() * ceiling));
}

/** Exclusive upper bound of backoffMs for this retry (for documentation and tests). */
export function backoffCeilingMs(retryNumber: number, baseMs: number): number {
  const n = Math.max(1, Math.floor(retryNumber));
  const max = BACKOFF_MAX_FACTOR * baseMs;
  // 2^n grows past the cap quickly; stop before floating point gets silly.
  if (n >= 31) return max;
  return Math.min((2 ** n - 1) * baseMs, max);
}

// ---------------------------------------------------------------- timeouts

/**
 * Which timeouts actually apply to a forwarded request. Istio: when a fault is configured on the
 * route, retries and timeouts are not applied (VirtualService `HTTPRoute.fault` note). Envoy
 * ignores a per-try timeout that is not shorter than the route timeout (router `finalTimeout`).
 */
export interface EffectiveResilience {
  /** Total attempts allowed (1 + retries). */
  maxAttempts: number;
  /** Route timeout covering every attempt and back-off; undefined = none. */
  routeTimeoutMs?: number;
  /** Per-attempt timeout until response headers; undefined = none. */
  perTryTimeoutMs?: number;
}

export function effectiveResilience(input: {
  timeoutMs?: number;
  retries: RetryPolicy;
  faultConfigured: boolean;
}): EffectiveResilience {
  if (input.faultConfigured) return { maxAttempts: 1 };
  const out: EffectiveResilience = { maxAttempts: 1 + Math.max(0, input.retries.attempts) };
  if (input.timeoutMs !== undefined && input.timeoutMs > 0) out.routeTimeoutMs = input.timeoutMs;
  const perTry = effectivePerTryTimeoutMs(input.retries.perTryTimeoutMs, out.routeTimeoutMs);
  if (perTry !== undefined) out.perTryTimeoutMs = perTry;
  return out;
}

/** The per-try timeout, or undefined when absent or not shorter than the route timeout. */
export function effectivePerTryTimeoutMs(perTryMs: number | undefined, routeMs: number | undefined): number | undefined {
  if (perTryMs === undefined || perTryMs <= 0) return undefined;
  if (routeMs !== undefined && routeMs > 0 && perTryMs >= routeMs) return undefined;
  return perTryMs;
}
