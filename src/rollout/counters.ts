/**
 * What an isolate counts for a rollout between two flushes (issue #14; DESIGN.md §11: counters,
 * not per-request records): per variant, requests, failures and a fixed-size latency histogram.
 * A flush sends one RolloutCounts per rollout to its object and starts afresh, so an isolate's
 * memory per rollout is two histograms (2 × 51 numbers) whatever its traffic.
 *
 * What a failure is comes from the Canary's `analysis.failures` (RouteRollout.failures):
 *  - `statuses`: the origin's status ("5xx", "4xx" or one code) when the origin answered;
 *  - `gatewayErrors`: no origin answer used — connection failure or reset (502/503 from the
 *    gateway, Envoy's UF/URX) or no healthy endpoint (503 UH);
 *  - `timeouts`: the route timeout expired (504 from the gateway, Envoy's UT).
 * A response the gateway made up from an origin status (an error page, a retried 503) is judged
 * by the status the origin sent last.
 */
import type { RouteRollout } from "../table/types.ts";
import { addInto, emptyHistogram, record } from "./histogram.ts";
import type { VariantCounts } from "./judge.ts";

/** How one request ended, as the pipeline sees it. */
export type Outcome =
  | { kind: "response"; status: number }
  | { kind: "gatewayError" }
  | { kind: "timeout" };

export type Variant = "primary" | "canary";

export interface RolloutCounts {
  primary: VariantCounts;
  canary: VariantCounts;
}

export function emptyVariant(): VariantCounts {
  return { requests: 0, failures: 0, latency: emptyHistogram() };
}

export function emptyCounts(): RolloutCounts {
  return { primary: emptyVariant(), canary: emptyVariant() };
}

export function isFailure(failures: RouteRollout["failures"], o: Outcome): boolean {
  switch (o.kind) {
    case "timeout":
      return failures.timeouts;
    case "gatewayError":
      return failures.gatewayErrors;
    case "response":
      return failures.statuses.some((s) => (s === "5xx" ? o.status >= 500 && o.status <= 599 : s === "4xx" ? o.status >= 400 && o.status <= 499 : o.status === s));
  }
}

/** One request into the counters. */
export function count(c: RolloutCounts, variant: Variant, failed: boolean, latencyMs: number): void {
  const v = c[variant];
  v.requests += 1;
  if (failed) v.failures += 1;
  record(v.latency, Math.max(0, latencyMs));
}

/** Adds `from` into `into` (the object's interval window: every isolate's flushes). */
export function mergeCounts(into: RolloutCounts, from: RolloutCounts): void {
  for (const v of ["primary", "canary"] as const) {
    into[v].requests += from[v].requests;
    into[v].failures += from[v].failures;
    addInto(into[v].latency, from[v].latency);
  }
}

export function totalRequests(c: RolloutCounts): number {
  return c.primary.requests + c.canary.requests;
}

/**
 * Counts as an isolate sent them, checked field by field (no zod in the Worker): non-negative
 * integers, failures ≤ requests, a histogram of the right size whose buckets add up to requests.
 * Anything else is refused (a report must not poison an interval).
 */
export function asCounts(v: unknown, buckets: number): RolloutCounts | string {
  if (!v || typeof v !== "object") return "counts: expected { primary, canary }";
  const out = emptyCounts();
  for (const name of ["primary", "canary"] as const) {
    const x = (v as Record<string, unknown>)[name] as Record<string, unknown> | undefined;
    if (!x || typeof x !== "object") return `counts.${name}: expected { requests, failures, latency }`;
    const { requests, failures, latency } = x;
    const nat = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0 && n <= 1e9;
    if (!nat(requests) || !nat(failures) || (failures as number) > (requests as number)) return `counts.${name}: requests and failures must be integers, failures ≤ requests`;
    if (!Array.isArray(latency) || latency.length !== buckets || !latency.every(nat)) return `counts.${name}.latency: expected ${buckets} bucket counts`;
    if ((latency as number[]).reduce((a, b) => a + b, 0) !== requests) return `counts.${name}.latency: bucket counts must add up to requests`;
    out[name] = { requests: requests as number, failures: failures as number, latency: [...(latency as number[])] };
  }
  return out;
}
