/**
 * A rollout in words (issue #14): the phrases `routes rollout status` prints and the console's
 * canaries page shows, written once so the two never say different things (DESIGN.md §12). Pure:
 * times are formatted from the numbers the state carries, never from a clock.
 */
import type { EventRecord, IntervalRecord, Phase, RolloutSpec, RolloutState, VariantSummary } from "./judge.ts";
import type { RolloutStatus } from "./status.ts";

export type HistoryEntry = IntervalRecord | EventRecord;

export const isInterval = (e: HistoryEntry): e is IntervalRecord => "verdict" in e;

/** The newest history entry: the last decision (an interval's verdict or an operator's action). */
export function lastEntry(state: RolloutState): HistoryEntry | undefined {
  return state.history[state.history.length - 1];
}

/** What the entry is: an interval's verdict (`advance`, `hold`, …) or the event (`pause`, …). */
export const entryKind = (e: HistoryEntry): string => (isInterval(e) ? e.verdict : e.event);

/** `2026-12-03 19:04:05Z` (UTC, to the second: an interval is seconds at the least). */
export function fmtTime(at: number): string {
  const d = new Date(at);
  return Number.isNaN(d.getTime()) ? "?" : d.toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
}

/** `90s` → `1m30s`; the interval as a person writes it. */
export function fmtDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms % 1000 !== 0) return `${ms / 1000}s`;
  let s = ms / 1000;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}

/** Success rate of a variant in an interval: `99.5%`, or `–` without requests. */
export function fmtRate(v: VariantSummary): string {
  return v.successRate === null ? "–" : `${v.successRate}%`;
}

/**
 * p99 of a variant: `120 ms`, `–` without requests. A p99 above the histogram's last bound is
 * Infinity in the judge, which JSON carries as null; the histogram holds one sample per request,
 * so null with requests means exactly that (src/rollout/histogram.ts).
 */
export function fmtP99(v: VariantSummary): string {
  if (v.p99Ms === null) return v.requests > 0 ? "over 60 s" : "–";
  return Number.isFinite(v.p99Ms) ? `${v.p99Ms} ms` : "over 60 s";
}

/** The weights ladder: `5% → 25% → 50% → 100%` (passing the last step promotes to 100). */
export function fmtSteps(spec: RolloutSpec): string {
  const steps = spec.steps.map((w) => `${w}%`);
  return (spec.steps[spec.steps.length - 1] === 100 ? steps : [...steps, "100%"]).join(" → ");
}

/** The checks one interval must pass, as one sentence. */
export function fmtChecks(spec: RolloutSpec): string {
  const out: string[] = [];
  const sr = spec.successRate;
  if (sr) {
    const parts = [];
    if (sr.min !== undefined) parts.push(`≥ ${sr.min}%`);
    if (sr.maxDrop !== undefined) parts.push(`at most ${sr.maxDrop} point${sr.maxDrop === 1 ? "" : "s"} below the primary's`);
    if (parts.length) out.push(`success rate ${parts.join(" and ")}`);
  }
  const lat = spec.latencyP99;
  if (lat) {
    const parts = [];
    if (lat.maxMs !== undefined) parts.push(`≤ ${lat.maxMs} ms`);
    if (lat.maxRatio !== undefined) parts.push(`≤ ${lat.maxRatio} × the primary's`);
    if (parts.length) out.push(`p99 ${parts.join(" and ")}`);
  }
  return out.length ? out.join("; ") : "no checks";
}

/** The analysis in one line: interval, ladder, minimum traffic, abort threshold. */
export function fmtAnalysis(spec: RolloutSpec): string {
  return `every ${fmtDuration(spec.intervalMs)}: ${fmtChecks(spec)}; at least ${spec.minRequests} canary request${spec.minRequests === 1 ? "" : "s"} to judge; abort after ${spec.threshold} failed check${spec.threshold === 1 ? "" : "s"}`;
}

/** Where the rollout stands: `step 2 of 4 (25%)`, `promoted`, `aborted`, `paused at step 2 of 4 (25%)`. */
export function fmtStep(spec: RolloutSpec, state: RolloutState): string {
  const step = `step ${state.step + 1} of ${spec.steps.length} (${spec.steps[state.step] ?? state.canaryWeight}%)`;
  switch (state.phase) {
    case "progressing":
      return step;
    case "paused":
      return `paused at ${step}`;
    case "promoted":
      return "promoted";
    case "aborted":
      return "aborted";
  }
}

/**
 * A status's phase and step in a few words: `progressing, step 2 of 4 (25%)`, `paused at …`,
 * `aborted`; `not started` / `unknown (object unreachable)` when the state is not the object's.
 */
export function fmtState(s: Pick<RolloutStatus, "source" | "spec" | "state">): string {
  if (s.source === "initial") return "not started";
  if (s.source === "unreachable") return "unknown (object unreachable)";
  const step = fmtStep(s.spec, s.state);
  return s.state.phase === "progressing" ? `progressing, ${step}` : step;
}

/** What counts as a failed request: `5xx, 429, gateway errors, timeouts`. */
export function fmtFailures(f: RolloutStatus["failures"]): string {
  const out = [...f.statuses.map(String), ...(f.gatewayErrors ? ["gateway errors"] : []), ...(f.timeouts ? ["timeouts"] : [])];
  return out.length ? out.join(", ") : "nothing";
}

/** Which operator actions the phase allows (what judge.act changes); the rest are 409s. */
export function actionsFor(phase: Phase): Array<"promote" | "pause" | "resume" | "abort"> {
  switch (phase) {
    case "progressing":
      return ["promote", "pause", "abort"];
    case "paused":
      return ["promote", "resume", "abort"];
    case "promoted":
      return ["abort"];
    case "aborted":
      return ["promote"];
  }
}
