/**
 * A rollout event as the world outside the object sees it (issue #14 item 3): one JSON log line
 * (Workers Logs / `wrangler tail`) and, when the optional ROLLOUT_ANALYTICS dataset is bound, one
 * Analytics Engine data point, for every entry the rollout adds to its history: start, restart,
 * each interval's verdict (advance, hold, abort, promote, insufficient) and each operator action.
 *
 * The data point's layout (Analytics Engine SQL names it blob1…, double1…; docs/operations.md):
 *   index1  the Canary's namespace/name
 *   blob1   namespace/name      blob2  event (start, restart, advance, hold, abort, promote,
 *                                      insufficient, pause, resume)
 *   blob3   phase after it      blob4  reason (the sentence `routes rollout status` prints)
 *   blob5   specHash            blob6  virtualService#rule
 *   double1 canary weight after it (percent)   double2 step index
 *   double3 primary requests    double4 primary failures    double5 primary p99 ms (-1: none)
 *   double6 canary requests     double7 canary failures     double8 canary p99 ms (-1: none)
 * (an interval's counts; 0 / -1 for operator events, which carry no metrics).
 */
import type { EventRecord, IntervalRecord, RolloutState, VariantSummary } from "./judge.ts";

export interface RolloutEventContext {
  specHash: string;
  virtualService: string;
  rule: string;
}

export interface AnalyticsPoint {
  indexes: string[];
  blobs: string[];
  doubles: number[];
}

const isInterval = (e: IntervalRecord | EventRecord): e is IntervalRecord => "verdict" in e;

/** The history entry's kind: an interval's verdict or an event's name. */
export function eventName(e: IntervalRecord | EventRecord): string {
  return isInterval(e) ? e.verdict : e.event;
}

const p99 = (s: VariantSummary) => (s.p99Ms === null ? -1 : Number.isFinite(s.p99Ms) ? s.p99Ms : 60_000);

/** The log line of the newest history entry of `state`. */
export function eventLogLine(state: RolloutState, ctx: RolloutEventContext): Record<string, unknown> {
  const e = state.history[state.history.length - 1]!;
  const name = eventName(e);
  return {
    ts: new Date(e.at).toISOString(),
    level: name === "abort" || name === "hold" ? "warn" : "info",
    msg: "rollout event",
    rollout: state.name,
    event: name,
    phase: state.phase,
    step: state.step,
    canaryWeight: state.canaryWeight,
    reason: e.reason,
    specHash: ctx.specHash,
    virtualService: ctx.virtualService,
    rule: ctx.rule,
    ...(isInterval(e) ? { primary: e.primary, canary: e.canary } : {}),
  };
}

/** The Analytics Engine data point of the newest history entry of `state` (layout above). */
export function eventDataPoint(state: RolloutState, ctx: RolloutEventContext): AnalyticsPoint {
  const e = state.history[state.history.length - 1]!;
  const m = isInterval(e) ? e : null;
  return {
    indexes: [state.name],
    blobs: [state.name, eventName(e), state.phase, e.reason.slice(0, 1000), ctx.specHash, `${ctx.virtualService}#${ctx.rule}`],
    doubles: [
      state.canaryWeight,
      state.step,
      m?.primary.requests ?? 0,
      m?.primary.failures ?? 0,
      m ? p99(m.primary) : -1,
      m?.canary.requests ?? 0,
      m?.canary.failures ?? 0,
      m ? p99(m.canary) : -1,
    ],
  };
}
