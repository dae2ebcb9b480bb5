/**
 * Endpoint health shared across isolates (issue #13.3/#13.4), the isolate's half. PURE: lives in
 * the opaque SelectState next to the local outlier detector; src/state fills and drains it.
 *
 *  - `out`: what the state plane decided, per cluster: endpoint URL → until when (ms) it is out
 *    of service (an ejection's return time, or a failing active health check's view expiry).
 *    Load balancing skips these like its own ejections (outlier.ts `available`).
 *  - `outbox`: this isolate's attempt results for clusters with outlierDetection, run-length
 *    encoded per endpoint, waiting for the next batched report (src/state/health-client.ts).
 *    Bounded: at most MAX_RUNS runs per endpoint, MAX_OUTBOX_CLUSTERS clusters.
 *  - `touched`: clusters load balancing picked from since the last health refresh (whose views
 *    the isolate should keep fresh).
 *
 * Run-length encoding keeps "consecutive" exact per isolate: the object replays each endpoint's
 * runs in order into its own detector. Classes: ok (any non-5xx; a run of oks is one reset),
 * gateway (502/503/504) and other 5xx, as Envoy's detector distinguishes them.
 */
import type { Cluster } from "../table/types.ts";
import type { SelectState } from "../decision.ts";

/** 0 = ok (resets), 1 = gateway error (502/503/504), 2 = other 5xx. */
export type RunClass = 0 | 1 | 2;
/** [class, count] */
export type Run = [RunClass, number];

export const MAX_RUNS = 32;
export const MAX_RUN_COUNT = 1000;
export const MAX_OUTBOX_CLUSTERS = 64;

export interface OutboxEntry {
  cluster: Cluster;
  runs: Map<string, Run[]>;
  errors: number;
}

export interface SharedHealth {
  out: Map<string, Map<string, number>>;
  outbox: Map<string, OutboxEntry>;
  touched: Set<string>;
  /** Only isolates with a state plane record (set by src/state on first use). */
  recording: boolean;
}

const KEY = "sharedHealth";

export function sharedHealth(state: SelectState): SharedHealth {
  let s = state[KEY] as SharedHealth | undefined;
  if (!s) state[KEY] = s = { out: new Map(), outbox: new Map(), touched: new Set(), recording: false };
  return s;
}

export function classOf(code: number): RunClass {
  if (code < 500 || code > 599) return 0;
  return code === 502 || code === 503 || code === 504 ? 1 : 2;
}

/** Appends one result to the outbox (called beside the local detector's record). */
export function recordShared(s: SharedHealth, key: string, cluster: Cluster, url: string, code: number): void {
  let e = s.outbox.get(key);
  if (!e) {
    if (s.outbox.size >= MAX_OUTBOX_CLUSTERS) return;
    s.outbox.set(key, (e = { cluster, runs: new Map(), errors: 0 }));
  }
  e.cluster = cluster;
  const cls = classOf(code);
  if (cls !== 0) e.errors++;
  let runs = e.runs.get(url);
  if (!runs) e.runs.set(url, (runs = []));
  const last = runs[runs.length - 1];
  if (last && last[0] === cls) {
    // A run of oks is one reset; an error run counts up to the cap (beyond any threshold).
    if (cls !== 0 && last[1] < MAX_RUN_COUNT) last[1]++;
    return;
  }
  runs.push([cls, 1]);
  // Bounded: the oldest runs go first (they matter least to "consecutive" now).
  if (runs.length > MAX_RUNS) runs.splice(0, runs.length - MAX_RUNS);
}

/** Takes the outbox (for one report) and leaves an empty one. */
export function drainOutbox(s: SharedHealth): OutboxEntry[] {
  const entries = [...s.outbox.values()];
  s.outbox.clear();
  return entries;
}

/** Is `url` of cluster `key` out of service by the shared view at `now`? */
export function sharedOut(s: SharedHealth | undefined, key: string, url: string, now: number): boolean {
  const until = s?.out.get(key)?.get(url);
  return until !== undefined && now < until;
}
