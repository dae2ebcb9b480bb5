/**
 * Counting a load run: every outcome is either lost (no response headers), an answer the config
 * asks for, or an unexpected answer — split into gateway-originated (a local reply, no origin
 * marker) and other (an origin answered, but not as its route should have). Latencies are kept
 * for percentiles (tens of thousands of numbers: a plain array is fine).
 */
import type { Outcome } from "./client.ts";
import { localReplyKind, type RequestClass } from "./config.ts";

export interface ClassTally {
  sent: number;
  answered: number;
  lost: number;
  allowed: number;
  unexpectedGateway: number;
  unexpectedOther: number;
}

export interface Tally {
  byClass: Map<string, ClassTally>;
  latencies: number[];
  /** Latencies of the healthy `app` class only (the ones users of a healthy route see). */
  healthyLatencies: number[];
  byVersion: Map<string, number>;
  /** Up to 10 examples per kind of problem, for the summary. */
  samples: Map<string, string[]>;
  /** Requests sent after `switchDoneAt` + grace that were still answered by the old table. */
  staleAfterSwitch: number;
  firstNewVersionAt: number | null;
}

export function newTally(): Tally {
  return {
    byClass: new Map(),
    latencies: [],
    healthyLatencies: [],
    byVersion: new Map(),
    samples: new Map(),
    staleAfterSwitch: 0,
    firstNewVersionAt: null,
  };
}

function sample(t: Tally, key: string, text: string): void {
  const list = t.samples.get(key) ?? [];
  if (list.length < 10) list.push(text);
  t.samples.set(key, list);
}

export interface SwitchWatch {
  versions: { v1: string; v2: string };
  /** ms into the run when the v2 push finished; null until then. */
  doneAt: number | null;
  /** A request sent this long after the push may no longer be answered by v1. */
  graceMs: number;
}

export function record(t: Tally, classes: ReadonlyMap<string, RequestClass>, o: Outcome, sw: SwitchWatch): void {
  const c = t.byClass.get(o.cls) ?? { sent: 0, answered: 0, lost: 0, allowed: 0, unexpectedGateway: 0, unexpectedOther: 0 };
  t.byClass.set(o.cls, c);
  c.sent++;
  if (!o.answer) {
    c.lost++;
    sample(t, `lost ${o.cls}`, o.error ?? "no answer");
    return;
  }
  c.answered++;
  t.latencies.push(o.latencyMs);
  if (o.cls === "app") t.healthyLatencies.push(o.latencyMs);
  const a = o.answer;
  const v = a.version ?? "none";
  t.byVersion.set(v, (t.byVersion.get(v) ?? 0) + 1);
  if (a.version === sw.versions.v2 && t.firstNewVersionAt === null) t.firstNewVersionAt = o.startedAt + o.latencyMs;
  if (sw.doneAt !== null && o.startedAt > sw.doneAt + sw.graceMs && a.version === sw.versions.v1) t.staleAfterSwitch++;
  if (classes.get(o.cls)!.allowed(a, sw.versions)) {
    c.allowed++;
    return;
  }
  const local = localReplyKind(a);
  const what = `${a.status}${a.cut ? " (cut)" : ""} ${JSON.stringify(a.body.slice(0, 100))} origin=${a.origin ?? "-"} version=${a.version ?? "-"}`;
  if (a.origin === null) {
    c.unexpectedGateway++;
    sample(t, `gateway-originated ${o.cls}: ${local ?? "unknown local reply"}`, what);
  } else {
    c.unexpectedOther++;
    sample(t, `unexpected ${o.cls}`, what);
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function totals(t: Tally): ClassTally {
  const out: ClassTally = { sent: 0, answered: 0, lost: 0, allowed: 0, unexpectedGateway: 0, unexpectedOther: 0 };
  for (const c of t.byClass.values()) {
    out.sent += c.sent;
    out.answered += c.answered;
    out.lost += c.lost;
    out.allowed += c.allowed;
    out.unexpectedGateway += c.unexpectedGateway;
    out.unexpectedOther += c.unexpectedOther;
  }
  return out;
}
