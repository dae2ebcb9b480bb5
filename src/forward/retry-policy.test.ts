import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RetryPolicy } from "../table/types.ts";
import {
  backoffCeilingMs,
  backoffMs,
  effectivePerTryTimeoutMs,
  effectiveResilience,
  isRetriable,
  shouldRetry,
  type AttemptOutcome,
} from "./retry-policy.ts";
import type { ResetReason } from "../respond.ts";

/** Istio ≥ 1.24 default policy (ISTIO-SEMANTICS §2.5). */
const ISTIO_DEFAULT: RetryPolicy = {
  attempts: 2,
  retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled", "retriable-status-codes"],
  retriableStatusCodes: [],
  backoffBaseMs: 25,
  retryIgnorePreviousHosts: true,
};

function policy(retryOn: string[], codes: number[] = [], attempts = 3): RetryPolicy {
  return { attempts, retryOn, retriableStatusCodes: codes, backoffBaseMs: 25, retryIgnorePreviousHosts: true };
}

function response(status: number, headers: Record<string, string> = {}): AttemptOutcome {
  return { kind: "response", status, headers: new Headers(headers) };
}
function reset(reason: ResetReason): AttemptOutcome {
  return { kind: "reset", reason };
}
const PER_TRY: AttemptOutcome = { kind: "perTryTimeout" };
const ROUTE_TIMEOUT: AttemptOutcome = { kind: "routeTimeout" };

describe("isRetriable", () => {
  const cases: Array<[name: string, outcome: AttemptOutcome, p: RetryPolicy, expected: boolean]> = [
    // Istio default policy: no 5xx, no post-connect resets, no per-try timeouts.
    ["default policy does not retry a 503 (Istio ≥ 1.24 dropped 503)", response(503), ISTIO_DEFAULT, false],
    ["default policy does not retry a 500", response(500), ISTIO_DEFAULT, false],
    ["default policy retries a refused connection", reset("remote connection failure"), ISTIO_DEFAULT, true],
    ["default policy retries a local connection failure", reset("local connection failure"), ISTIO_DEFAULT, true],
    ["default policy retries a connect timeout", reset("connection timeout"), ISTIO_DEFAULT, true],
    ["default policy retries HTTP/2 REFUSED_STREAM", reset("remote refused stream reset"), ISTIO_DEFAULT, true],
    ["default policy does not retry a connection closed before headers", reset("connection termination"), ISTIO_DEFAULT, false],
    ["default policy does not retry a remote reset", reset("remote reset"), ISTIO_DEFAULT, false],
    ["default policy does not retry a per-try timeout", PER_TRY, ISTIO_DEFAULT, false],
    ["default policy retries gRPC UNAVAILABLE in response headers", response(200, { "grpc-status": "14" }), ISTIO_DEFAULT, true],
    ["default policy retries gRPC CANCELLED in response headers", response(200, { "grpc-status": "1" }), ISTIO_DEFAULT, true],
    ["default policy does not retry gRPC INTERNAL", response(200, { "grpc-status": "13" }), ISTIO_DEFAULT, false],
    ["default policy does not retry a 200", response(200), ISTIO_DEFAULT, false],

    // 5xx
    ["5xx retries 500", response(500), policy(["5xx"]), true],
    ["5xx retries 599", response(599), policy(["5xx"]), true],
    ["5xx does not retry 499", response(499), policy(["5xx"]), false],
    ["5xx retries a refused connection", reset("remote connection failure"), policy(["5xx"]), true],
    ["5xx retries a connection closed before headers", reset("connection termination"), policy(["5xx"]), true],
    ["5xx retries a remote reset", reset("remote reset"), policy(["5xx"]), true],
    ["5xx retries a per-try timeout", PER_TRY, policy(["5xx"]), true],
    ["5xx never retries an overflow reset", reset("overflow"), policy(["5xx"]), false],

    // gateway-error
    ["gateway-error retries 502", response(502), policy(["gateway-error"]), true],
    ["gateway-error retries 503", response(503), policy(["gateway-error"]), true],
    ["gateway-error retries 504", response(504), policy(["gateway-error"]), true],
    ["gateway-error does not retry 500", response(500), policy(["gateway-error"]), false],
    ["gateway-error does not retry 501", response(501), policy(["gateway-error"]), false],
    ["gateway-error retries a per-try timeout", PER_TRY, policy(["gateway-error"]), true],
    ["gateway-error retries a remote reset", reset("remote reset"), policy(["gateway-error"]), true],

    // reset
    ["reset retries a connection closed before headers", reset("connection termination"), policy(["reset"]), true],
    ["reset retries a refused connection", reset("remote connection failure"), policy(["reset"]), true],
    ["reset retries a per-try timeout", PER_TRY, policy(["reset"]), true],
    ["reset does not retry a 503 response", response(503), policy(["reset"]), false],
    ["reset never retries an overflow", reset("overflow"), policy(["reset"]), false],

    // reset-before-request
    ["reset-before-request retries a refused connection (no byte sent)", reset("remote connection failure"), policy(["reset-before-request"]), true],
    ["reset-before-request does not retry a reset after the request was sent", reset("remote reset"), policy(["reset-before-request"]), false],
    ["reset-before-request does not retry a per-try timeout", PER_TRY, policy(["reset-before-request"]), false],

    // connect-failure / refused-stream
    ["connect-failure does not retry a remote reset", reset("remote reset"), policy(["connect-failure"]), false],
    ["connect-failure does not retry a per-try timeout", PER_TRY, policy(["connect-failure"]), false],
    ["connect-failure does not retry a 503", response(503), policy(["connect-failure"]), false],
    ["refused-stream does not retry a refused connection", reset("remote connection failure"), policy(["refused-stream"]), false],
    ["refused-stream retries REFUSED_STREAM", reset("remote refused stream reset"), policy(["refused-stream"]), true],

    // retriable-4xx / status codes
    ["retriable-4xx retries 409", response(409), policy(["retriable-4xx"]), true],
    ["retriable-4xx does not retry 429", response(429), policy(["retriable-4xx"]), false],
    ["retriable-status-codes retries a listed code", response(429), policy(["retriable-status-codes"], [429, 503]), true],
    ["retriable-status-codes does not retry an unlisted code", response(500), policy(["retriable-status-codes"], [429, 503]), false],
    ["a bare status code list retries even if the token was not added", response(503), policy([], [503]), true],
    ["retriable-status-codes with an empty list retries nothing", response(503), policy(["retriable-status-codes"], []), false],

    // gRPC tokens read grpc-status in response headers
    ["deadline-exceeded retries grpc-status 4", response(200, { "grpc-status": "4" }), policy(["deadline-exceeded"]), true],
    ["resource-exhausted retries grpc-status 8", response(200, { "grpc-status": "8" }), policy(["resource-exhausted"]), true],
    ["internal retries grpc-status 13", response(200, { "grpc-status": "13" }), policy(["internal"]), true],
    ["unavailable does not retry grpc-status 13", response(200, { "grpc-status": "13" }), policy(["unavailable"]), false],
    ["a non-numeric grpc-status is ignored", response(200, { "grpc-status": "UNAVAILABLE" }), policy(["unavailable"]), false],
    ["gRPC tokens ignore responses without grpc-status", response(503), policy(["unavailable", "cancelled"]), false],

    // never retried
    ["x-envoy-overloaded is never retried even under 5xx", response(503, { "x-envoy-overloaded": "true" }), policy(["5xx"]), false],
    ["x-envoy-ratelimited is not retried under 5xx", response(503, { "x-envoy-ratelimited": "true" }), policy(["5xx"]), false],
    ["x-envoy-ratelimited is retried under envoy-ratelimited", response(429, { "x-envoy-ratelimited": "true" }), policy(["envoy-ratelimited"]), true],
    ["a route timeout is never retried", ROUTE_TIMEOUT, policy(["5xx", "reset", "gateway-error"]), false],
    ["inert tokens retry nothing", response(503), policy(["retriable-headers", "http3-post-connect-failure"]), false],
    ["an empty retryOn retries nothing", reset("remote connection failure"), policy([]), false],
  ];
  it.each(cases)("%s", (_name, outcome, p, expected) => {
    expect(isRetriable(outcome, p)).toBe(expected);
  });
});

describe("shouldRetry", () => {
  const cases: Array<[name: string, p: RetryPolicy, retriesDone: number, expected: boolean]> = [
    ["retries while retries remain", policy(["5xx"], [], 2), 0, true],
    ["retries the last allowed retry", policy(["5xx"], [], 2), 1, true],
    ["stops when retries are exhausted (attempts = 1 + retries)", policy(["5xx"], [], 2), 2, false],
    ["attempts: 0 disables retries", policy(["5xx"], [], 0), 0, false],
  ];
  it.each(cases)("%s", (_name, p, retriesDone, expected) => {
    expect(shouldRetry(response(500), p, retriesDone)).toBe(expected);
  });
  it("does not retry a non-retriable outcome even with retries left", () => {
    expect(shouldRetry(response(200), policy(["5xx"], [], 5), 0)).toBe(false);
  });
});

describe("backoff (Envoy full jitter, base 25 ms, cap 10 × base)", () => {
  const ceilings: Array<[retry: number, base: number, ceiling: number]> = [
    [1, 25, 25],
    [2, 25, 75],
    [3, 25, 175],
    [4, 25, 250],
    [5, 25, 250],
    [40, 25, 250],
    [1, 100, 100],
    [3, 100, 700],
    [4, 100, 1000],
    [0, 25, 25], // a retry number below 1 is treated as the first retry
  ];
  it.each(ceilings)("retry %i with base %i ms waits < %i ms", (retry, base, ceiling) => {
    expect(backoffCeilingMs(retry, base)).toBe(ceiling);
    expect(backoffMs(retry, base, () => 0)).toBe(0);
    expect(backoffMs(retry, base, () => 0.999999999)).toBe(ceiling - 1);
  });
  it("scales the random draw across the whole window", () => {
    expect(backoffMs(2, 25, () => 0.5)).toBe(37);
    expect(backoffMs(3, 25, () => 0.25)).toBe(43);
  });
  it("is always an integer inside [0, ceiling) for many draws", () => {
    let seed = 7;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (let retry = 1; retry <= 6; retry++) {
      for (let i = 0; i < 500; i++) {
        const v = backoffMs(retry, 25, rand);
        expect(Number.isInteger(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
        expect(v).toBeLessThan(backoffCeilingMs(retry, 25));
      }
    }
  });
  it("never waits with a zero base", () => {
    expect(backoffMs(3, 0, () => 0.9)).toBe(0);
  });
});

describe("effective timeouts", () => {
  const perTry: Array<[name: string, perTry: number | undefined, route: number | undefined, expected: number | undefined]> = [
    ["uses the per-try timeout when there is no route timeout", 1000, undefined, 1000],
    ["uses the per-try timeout when shorter than the route timeout", 1000, 10_000, 1000],
    ["ignores a per-try timeout equal to the route timeout (Envoy finalTimeout)", 1000, 1000, undefined],
    ["ignores a per-try timeout longer than the route timeout", 5000, 1000, undefined],
    ["has none when none is configured", undefined, 1000, undefined],
  ];
  it.each(perTry)("%s", (_n, p, r, expected) => {
    expect(effectivePerTryTimeoutMs(p, r)).toBe(expected);
  });

  it("applies Istio's default 2 retries as 3 attempts with no timeouts", () => {
    expect(effectiveResilience({ retries: ISTIO_DEFAULT, faultConfigured: false })).toEqual({ maxAttempts: 3 });
  });
  it("bounds the whole request with the route timeout and each attempt with the per-try timeout", () => {
    const r = effectiveResilience({ timeoutMs: 10_000, retries: { ...policy(["reset"], [], 2), perTryTimeoutMs: 1000 }, faultConfigured: false });
    expect(r).toEqual({ maxAttempts: 3, routeTimeoutMs: 10_000, perTryTimeoutMs: 1000 });
  });
  it("applies neither retries nor timeouts when a fault is configured on the route (Istio note)", () => {
    const r = effectiveResilience({ timeoutMs: 500, retries: { ...policy(["5xx"], [], 4), perTryTimeoutMs: 100 }, faultConfigured: true });
    expect(r).toEqual({ maxAttempts: 1 });
  });
  it("attempts: 0 means exactly one attempt", () => {
    expect(effectiveResilience({ retries: policy([], [], 0), faultConfigured: false }).maxAttempts).toBe(1);
  });
});

describe("isRetriable on responses: fewer header lookups, the same answers", () => {
  /** Envoy's order written out plainly (RetryStateImpl::wouldRetryFromHeaders). */
  function envoyOrder(status: number, headers: Headers, retryOn: string[], codes: number[]): boolean {
    const on = new Set(retryOn);
    if (headers.has("x-envoy-overloaded")) return false;
    if (headers.has("x-envoy-ratelimited")) return on.has("envoy-ratelimited");
    if (on.has("5xx") && status >= 500 && status <= 599) return true;
    if (on.has("gateway-error") && (status === 502 || status === 503 || status === 504)) return true;
    if (on.has("retriable-4xx") && status === 409) return true;
    if ((on.has("retriable-status-codes") || codes.length > 0) && codes.includes(status)) return true;
    const raw = headers.get("grpc-status");
    if (raw === null || !/^\d{1,3}$/.test(raw.trim())) return false;
    const grpc = Number(raw.trim());
    const byToken: Record<string, number> = { cancelled: 1, "deadline-exceeded": 4, "resource-exhausted": 8, internal: 13, unavailable: 14 };
    return Object.entries(byToken).some(([token, code]) => grpc === code && on.has(token));
  }

  const TOKENS = ["5xx", "gateway-error", "retriable-4xx", "retriable-status-codes", "envoy-ratelimited", "cancelled", "deadline-exceeded", "resource-exhausted", "internal", "unavailable", "connect-failure", "reset"];

  it("agrees with Envoy's order for any status, x-envoy-overloaded/-ratelimited, grpc-status, tokens and codes", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(200, 204, 409, 429, 500, 502, 503, 504, 599),
        fc.boolean(),
        fc.boolean(),
        fc.option(fc.constantFrom("0", "1", "4", "8", "13", "14", " 14 ", "x"), { nil: undefined }),
        fc.subarray(TOKENS),
        fc.subarray([200, 409, 429, 503]),
        (status, overloaded, ratelimited, grpc, retryOn, codes) => {
          const h: Record<string, string> = {};
          if (overloaded) h["x-envoy-overloaded"] = "true";
          if (ratelimited) h["x-envoy-ratelimited"] = "true";
          if (grpc !== undefined) h["grpc-status"] = grpc;
          const headers = new Headers(h);
          const p = policy(retryOn, codes);
          expect(isRetriable({ kind: "response", status, headers }, p)).toBe(envoyOrder(status, headers, retryOn, codes));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("asks only for grpc-status on a 200 under Istio's default policy", () => {
    const asked: string[] = [];
    const headers = { get: (n: string) => (asked.push(`get ${n}`), null), has: (n: string) => (asked.push(`has ${n}`), false) };
    expect(isRetriable({ kind: "response", status: 200, headers }, ISTIO_DEFAULT)).toBe(false);
    expect(asked).toEqual(["get grpc-status"]);
  });
});
