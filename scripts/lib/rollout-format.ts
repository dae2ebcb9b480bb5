/**
 * What `routes rollout status` prints (issue #14.3): one line per rollout for the list, and for
 * one rollout its step, weights, analysis, last decision and why, then the interval history with
 * each variant's metrics. The phrases come from src/rollout/describe.ts, which the console's
 * canaries page uses too.
 */
import { entryKind, fmtAnalysis, fmtFailures, fmtP99, fmtRate, fmtState, fmtSteps, fmtTime, isInterval, lastEntry, type HistoryEntry } from "../../src/rollout/describe.ts";
import type { RolloutStatus } from "../../src/rollout/status.ts";

/** How many history entries `status NAME` shows by default (the object keeps up to 200). */
export const DEFAULT_LAST = 20;

/** Columns padded to their widest cell; the last column is not padded. `right` columns align numbers. */
export function columns(rows: string[][], right: ReadonlySet<number> = new Set()): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : right.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join("  ").trimEnd());
}

const weights = (w: { primary: number; canary: number }) => `primary ${w.primary}%, canary ${w.canary}%`;

function decision(e: HistoryEntry | undefined): string {
  return e ? `${entryKind(e)} at ${fmtTime(e.at)}: ${e.reason}` : "none yet";
}

/** Where the state shown comes from, when it is not the object's own. */
function sourceNote(s: RolloutStatus): string | null {
  switch (s.source) {
    case "object":
      return null;
    case "initial":
      return "not started: the rollout's object has no state for this Canary yet; the Worker serves the pushed weights";
    case "unreachable":
      return `the rollout's object did not answer (${s.error ?? "no reason given"}); the Worker keeps the weights it last knew (above), or the pushed ones`;
  }
}

/** `routes rollout status`: one row per rollout. */
export function formatList(list: readonly RolloutStatus[]): string[] {
  if (list.length === 0) return ["no rollouts: the active route table has no Canary document"];
  const rows = [["NAME", "STATE", "PRIMARY", "CANARY", "LAST DECISION"]];
  for (const s of list) {
    const last = lastEntry(s.state);
    const why = s.source === "unreachable" ? (s.error ?? "") : s.source === "initial" ? "none yet" : last ? `${entryKind(last)}: ${last.reason}` : "";
    rows.push([s.name, fmtState(s), `${s.weights.primary}%`, `${s.weights.canary}%`, why]);
  }
  return columns(rows, new Set([2, 3]));
}

/** `routes rollout status NAME`: the rollout, then its newest `last` history entries. */
export function formatStatus(s: RolloutStatus, last = DEFAULT_LAST): string[] {
  const note = sourceNote(s);
  const head = [
    ["rollout", s.name],
    ["state", fmtState(s)],
    ["drives", `VirtualService ${s.virtualService}, rule ${s.rule}: ${s.primary} (primary), ${s.canary} (canary)`],
    ["weights", `${weights(s.weights)}${s.pushedWeights.canary !== s.weights.canary ? ` (pushed: ${weights(s.pushedWeights)})` : ""}`],
    ["steps", fmtSteps(s.spec)],
    ["analysis", fmtAnalysis(s.spec)],
    ["failures", `${fmtFailures(s.failures)} count as failed requests`],
    ["failed checks", `${s.state.failedChecks} of ${s.spec.threshold}`],
    ["last decision", s.source === "initial" ? "none yet" : s.source === "unreachable" ? "unknown (the object did not answer)" : decision(lastEntry(s.state))],
    ...(note ? [["note", note]] : []),
  ];
  const out = columns(head);
  // Only the object has a history; an initial or unreachable status carries a made-up start.
  if (s.source !== "object") return out;
  const shown = s.state.history.slice(-Math.max(1, last));
  out.push("", `history (newest last${shown.length < s.state.history.length ? `; ${shown.length} of ${s.state.history.length}, --last N for more` : ""}):`);
  const rows = [["TIME", "DECISION", "WEIGHT", "PRIMARY REQ", "FAILED", "OK", "P99", "CANARY REQ", "FAILED", "OK", "P99", "REASON"]];
  for (const e of shown) {
    const m = isInterval(e)
      ? [String(e.primary.requests), String(e.primary.failures), fmtRate(e.primary), fmtP99(e.primary), String(e.canary.requests), String(e.canary.failures), fmtRate(e.canary), fmtP99(e.canary)]
      : ["", "", "", "", "", "", "", ""];
    rows.push([fmtTime(e.at), entryKind(e), `${e.canaryWeight}%`, ...m, e.reason]);
  }
  out.push(...columns(rows, new Set([2, 3, 4, 5, 6, 7, 8, 9, 10])).map((l) => `  ${l}`));
  return out;
}

/** After an action: one sentence with the new phase and weights. */
export function formatActed(action: string, s: RolloutStatus): string {
  const e = lastEntry(s.state);
  return `${action}: ${s.name} is ${fmtState(s)}, ${weights(s.weights)}${e ? ` (${e.reason})` : ""}`;
}
