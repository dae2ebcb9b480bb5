/**
 * Automated canary analysis, the pure part (issue #14): a rollout's state, one interval's
 * metrics per variant, and the decision at the end of an interval — advance to the next weight,
 * hold, abort (canary weight 0), or promote (canary weight 100). Modeled on Flagger's analysis
 * (interval, threshold, stepWeight / maxWeight or explicit stepWeights, a success-rate and a
 * latency check, a minimum of requests) in our own terms. The rollout's Durable Object runs this
 * on its alarm; `routes rollout status` and the console show the history it keeps.
 *
 * Rules (docs/ab-testing.md states them for users):
 *  - too little canary traffic in an interval (< minRequests) decides nothing and counts nothing;
 *  - a failed check adds one to failedChecks; reaching `threshold` failed checks aborts (they need
 *    not be consecutive, as in Flagger); a passed check advances one step, and passing at the
 *    last step promotes;
 *  - relative checks (drop against the primary, p99 ratio) apply only when the primary itself
 *    had minRequests in the interval; otherwise only the absolute ones judge.
 */
import { quantile } from "./histogram.ts";

export interface RolloutSpec {
  /** `namespace/name` of the Canary document. */
  name: string;
  /** Canary weights in percent, ascending; passing the last promotes to 100. */
  steps: number[];
  intervalMs: number;
  /** Failed checks that abort the rollout. */
  threshold: number;
  /** Canary requests an interval needs before it is judged. */
  minRequests: number;
  /** Success rate in percent: at least `min`, and at most `maxDrop` points below the primary's. */
  successRate?: { min?: number; maxDrop?: number };
  /** p99 latency: at most `maxMs`, and at most `maxRatio` × the primary's p99. */
  latencyP99?: { maxMs?: number; maxRatio?: number };
}

/** One variant's counts over an interval (summed over every isolate that served it). */
export interface VariantCounts {
  requests: number;
  failures: number;
  /** Latency histogram (histogram.ts). */
  latency: number[];
}

export interface VariantSummary {
  requests: number;
  failures: number;
  /** Percent, or null without requests. */
  successRate: number | null;
  p99Ms: number | null;
}

export type Phase = "progressing" | "paused" | "promoted" | "aborted";
export type Verdict = "advance" | "hold" | "abort" | "promote" | "insufficient";

export interface IntervalRecord {
  at: number;
  step: number;
  canaryWeight: number;
  primary: VariantSummary;
  canary: VariantSummary;
  verdict: Verdict;
  reason: string;
}

/** Operator actions (`routes rollout promote|pause|resume|abort`) recorded in the history too. */
export interface EventRecord {
  at: number;
  event: "start" | "promote" | "pause" | "resume" | "abort" | "restart";
  canaryWeight: number;
  reason: string;
}

export interface RolloutState {
  name: string;
  phase: Phase;
  /** Index into spec.steps of the current weight. */
  step: number;
  canaryWeight: number;
  failedChecks: number;
  /** Newest last; at most HISTORY_LIMIT entries. */
  history: Array<IntervalRecord | EventRecord>;
  updatedAt: number;
}

export const HISTORY_LIMIT = 200;

export function startRollout(spec: RolloutSpec, now: number): RolloutState {
  const weight = spec.steps[0] ?? 100;
  return { name: spec.name, phase: "progressing", step: 0, canaryWeight: weight, failedChecks: 0, history: [{ at: now, event: "start", canaryWeight: weight, reason: `started at ${weight}%` }], updatedAt: now };
}

export function summarize(c: VariantCounts): VariantSummary {
  return {
    requests: c.requests,
    failures: c.failures,
    successRate: c.requests === 0 ? null : round2((100 * (c.requests - c.failures)) / c.requests),
    p99Ms: p99(c.latency),
  };
}

const round2 = (x: number) => Math.round(x * 100) / 100;

function p99(latency: number[]): number | null {
  const q = quantile(latency, 0.99);
  return q === null || !Number.isFinite(q) ? q : round2(q);
}

/** Which checks fail, as sentences; empty = the interval passes. */
export function failedChecks(spec: RolloutSpec, primary: VariantSummary, canary: VariantSummary): string[] {
  const out: string[] = [];
  const primaryJudged = primary.requests >= spec.minRequests;
  const sr = spec.successRate;
  if (sr && canary.successRate !== null) {
    if (sr.min !== undefined && canary.successRate < sr.min) out.push(`success rate ${canary.successRate}% < ${sr.min}%`);
    if (sr.maxDrop !== undefined && primaryJudged && primary.successRate !== null && primary.successRate - canary.successRate > sr.maxDrop)
      out.push(`success rate ${canary.successRate}% is ${round2(primary.successRate - canary.successRate)} points below the primary's ${primary.successRate}% (max ${sr.maxDrop})`);
  }
  const lat = spec.latencyP99;
  if (lat && canary.p99Ms !== null) {
    if (lat.maxMs !== undefined && canary.p99Ms > lat.maxMs) out.push(`p99 ${fmtMs(canary.p99Ms)} > ${lat.maxMs} ms`);
    if (lat.maxRatio !== undefined && primaryJudged && primary.p99Ms !== null && canary.p99Ms > lat.maxRatio * primary.p99Ms)
      out.push(`p99 ${fmtMs(canary.p99Ms)} > ${lat.maxRatio} × the primary's ${fmtMs(primary.p99Ms)}`);
  }
  return out;
}

const fmtMs = (ms: number) => (Number.isFinite(ms) ? `${ms} ms` : "over 60 s");

function push(state: RolloutState, entry: IntervalRecord | EventRecord): Array<IntervalRecord | EventRecord> {
  const h = [...state.history, entry];
  return h.length > HISTORY_LIMIT ? h.slice(h.length - HISTORY_LIMIT) : h;
}

/** The end of one interval: the next state (history includes this interval's record). */
export function judge(spec: RolloutSpec, state: RolloutState, metrics: { primary: VariantCounts; canary: VariantCounts }, now: number): RolloutState {
  if (state.phase !== "progressing") return state;
  const primary = summarize(metrics.primary);
  const canary = summarize(metrics.canary);
  const base = { at: now, step: state.step, canaryWeight: state.canaryWeight, primary, canary };
  if (canary.requests < spec.minRequests) {
    const reason = `${canary.requests} canary request(s) < minRequests ${spec.minRequests}: no decision`;
    return { ...state, history: push(state, { ...base, verdict: "insufficient", reason }), updatedAt: now };
  }
  const failed = failedChecks(spec, primary, canary);
  if (failed.length > 0) {
    const count = state.failedChecks + 1;
    if (count >= spec.threshold) {
      const reason = `${failed.join("; ")} — failed check ${count} of ${spec.threshold}: abort, canary weight 0`;
      return { ...state, phase: "aborted", canaryWeight: 0, failedChecks: count, history: push(state, { ...base, verdict: "abort", reason }), updatedAt: now };
    }
    const reason = `${failed.join("; ")} — failed check ${count} of ${spec.threshold}: hold at ${state.canaryWeight}%`;
    return { ...state, failedChecks: count, history: push(state, { ...base, verdict: "hold", reason }), updatedAt: now };
  }
  const last = state.step >= spec.steps.length - 1;
  if (last) {
    const reason = `checks passed at the last step (${state.canaryWeight}%): promote, canary weight 100`;
    return { ...state, phase: "promoted", canaryWeight: 100, history: push(state, { ...base, verdict: "promote", reason }), updatedAt: now };
  }
  const next = spec.steps[state.step + 1]!;
  const reason = `checks passed: advance ${state.canaryWeight}% → ${next}%`;
  return { ...state, step: state.step + 1, canaryWeight: next, history: push(state, { ...base, verdict: "advance", reason }), updatedAt: now };
}

/** An operator's action. Unknown transitions (resume a promoted rollout) leave the state alone. */
export function act(state: RolloutState, action: "promote" | "pause" | "resume" | "abort", now: number, who = "operator"): RolloutState {
  const event = (e: EventRecord["event"], canaryWeight: number, reason: string): RolloutState => ({
    ...state,
    canaryWeight,
    history: push(state, { at: now, event: e, canaryWeight, reason }),
    updatedAt: now,
  });
  switch (action) {
    case "promote":
      if (state.phase === "promoted") return state;
      return { ...event("promote", 100, `${who}: promote, canary weight 100`), phase: "promoted" };
    case "abort":
      if (state.phase === "aborted") return state;
      return { ...event("abort", 0, `${who}: abort, canary weight 0`), phase: "aborted" };
    case "pause":
      if (state.phase !== "progressing") return state;
      return { ...event("pause", state.canaryWeight, `${who}: pause at ${state.canaryWeight}%`), phase: "paused" };
    case "resume":
      if (state.phase !== "paused") return state;
      return { ...event("resume", state.canaryWeight, `${who}: resume at ${state.canaryWeight}%`), phase: "progressing" };
  }
}
