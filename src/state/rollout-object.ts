/**
 * One canary rollout, inside its GatewayState object (`rollout/<namespace/name>`, issue #14).
 *
 * The object holds the rollout's state (src/rollout/judge.ts) in storage, sums the counters every
 * isolate flushes into the current interval's window, and on its alarm, once per `interval`,
 * judges the window: advance a step, hold, abort (canary weight 0) or promote (100). Isolates
 * read the resulting weight through their location's cache (rollout-client.ts), so a decision
 * reaches every isolate within STATE_REFRESH_SECONDS + STATE_CACHE_SECONDS, and at once those
 * that flush (a report answers the current weight).
 *
 * The object has no route table: every isolate request carries the Canary as compiled in the
 * isolate's table (`sync`: the spec, its hash, the target and the version's activation time).
 * What a push does to a running rollout (docs/canary.md "What a push does to a running rollout"):
 *  - the first sync of a Canary starts its rollout at the first step;
 *  - the same specHash and target: the rollout carries on where it is (an identical re-push, or a
 *    push that changed other rules, never restarts it);
 *  - a different specHash (analysis or destinations changed) or target (VirtualService / rule):
 *    the rollout restarts from the first step, history kept, with a `restart` event. Only a sync
 *    from a version activated no earlier than the running one restarts it, so an isolate still on
 *    the previous version (KV propagation) cannot flip it back; that isolate serves its pushed
 *    weights until it loads the new version;
 *  - a Canary removed from the table: no isolate applies it any more (the split serves its pushed
 *    weights); its object, which no one reports to, stops its alarm after IDLE_INTERVALS
 *    intervals and keeps its state (`routes rollout status` still shows how it ended).
 *
 * Storage: `rollout` (spec, target, activation, state: ≤ HISTORY_LIMIT history entries) written on
 * each transition; `window` (the interval's counts, ~1 KB) written on each report.
 */
import { BUCKETS } from "../rollout/histogram.ts";
import { act, judge, startRollout, HISTORY_LIMIT, type RolloutState } from "../rollout/judge.ts";
import { asCounts, emptyCounts, mergeCounts, type RolloutCounts } from "../rollout/counters.ts";
import { specOf, type RolloutAction } from "../rollout/status.ts";
import type { RouteRollout } from "../table/types.ts";

export interface RolloutStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  setAlarm(scheduledTime: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

export interface RolloutTarget {
  virtualService: string;
  rule: string;
}

/** What every isolate request carries: the Canary as its table has it. */
export interface SyncRequest {
  rollout: RouteRollout;
  target: RolloutTarget;
  /** ActivePointer.activatedAt of the isolate's table (ISO), when known. */
  activatedAt?: string;
}

export interface ReportRequest {
  sync: SyncRequest;
  counts: RolloutCounts;
}

export interface RolloutRecord {
  spec: RouteRollout;
  target: RolloutTarget;
  activatedAt: string | null;
  state: RolloutState;
}

/** The small answer isolates read and cache: the weight to serve for this spec. */
export interface RolloutView {
  name: string;
  /** The spec the object runs (null: nothing started yet). */
  specHash: string | null;
  phase: RolloutState["phase"] | null;
  canaryWeight: number | null;
  updatedAt: number | null;
}

interface Window {
  counts: RolloutCounts;
  /** Reports summed into it (0: no isolate said anything this interval). */
  reports: number;
  /** Consecutive intervals without any report. */
  idle: number;
}

/** After this many intervals without any report the alarm stops (the next report re-arms it). */
export const IDLE_INTERVALS = 10;

/** A rollout event (its newest history entry) for the log and Analytics Engine. */
export type EmitEvent = (state: RolloutState, record: RolloutRecord) => void;

const emptyWindow = (idle = 0): Window => ({ counts: emptyCounts(), reports: 0, idle });

const when = (iso: string | null | undefined) => (iso ? Date.parse(iso) : NaN);

export function viewOf(name: string, r: RolloutRecord | null): RolloutView {
  if (!r) return { name, specHash: null, phase: null, canaryWeight: null, updatedAt: null };
  return { name, specHash: r.spec.specHash, phase: r.state.phase, canaryWeight: r.state.canaryWeight, updatedAt: r.state.updatedAt };
}

export class RolloutRunner {
  readonly #storage: RolloutStorage;
  readonly #emit: EmitEvent;
  #record: RolloutRecord | null | undefined;
  #window: Window | undefined;

  constructor(storage: RolloutStorage, emit: EmitEvent) {
    this.#storage = storage;
    this.#emit = emit;
  }

  async record(): Promise<RolloutRecord | null> {
    if (this.#record === undefined) this.#record = (await this.#storage.get<RolloutRecord>("rollout")) ?? null;
    return this.#record;
  }

  async #windowOf(): Promise<Window> {
    this.#window ??= (await this.#storage.get<Window>("window")) ?? emptyWindow();
    return this.#window;
  }

  async #save(r: RolloutRecord, emit: boolean): Promise<void> {
    this.#record = r;
    await this.#storage.put("rollout", r);
    if (emit) this.#emit(r.state, r);
  }

  /** A fresh window and an alarm one interval from now (start, restart, resume, a re-armed idle rollout). */
  async #arm(r: RolloutRecord, now: number): Promise<void> {
    this.#window = emptyWindow();
    await this.#storage.put("window", this.#window);
    await this.#storage.setAlarm(now + r.spec.intervalMs);
  }

  /** Makes the object run the isolate's spec (see the header for what a push does). */
  async sync(req: SyncRequest, now: number): Promise<RolloutRecord> {
    const cur = await this.record();
    const base = { spec: req.rollout, target: req.target, activatedAt: req.activatedAt ?? null };
    if (!cur) {
      const r = { ...base, state: startRollout(specOf(req.rollout), now) };
      await this.#save(r, true);
      await this.#arm(r, now);
      return r;
    }
    const sameTarget = cur.target.virtualService === req.target.virtualService && cur.target.rule === req.target.rule;
    if (cur.spec.specHash === req.rollout.specHash && sameTarget) {
      // Same rollout: a newer activation of it (an identical re-push) only moves the mark.
      if (when(req.activatedAt) > when(cur.activatedAt) || (cur.activatedAt === null && req.activatedAt)) await this.#save({ ...cur, activatedAt: req.activatedAt! }, false);
      return this.#record!;
    }
    // A different spec: only from a version activated no earlier than the running one.
    if (when(req.activatedAt) < when(cur.activatedAt) || (req.activatedAt === undefined && cur.activatedAt !== null)) return cur;
    const why = sameTarget
      ? `spec changed (${cur.spec.specHash} → ${req.rollout.specHash})`
      : `target changed (${cur.target.virtualService}#${cur.target.rule} → ${req.target.virtualService}#${req.target.rule})`;
    const fresh = startRollout(specOf(req.rollout), now);
    const history = [...cur.state.history, { at: now, event: "restart" as const, canaryWeight: fresh.canaryWeight, reason: `${why}: restart at ${fresh.canaryWeight}%` }];
    const r = { ...base, state: { ...fresh, history: history.slice(-HISTORY_LIMIT) } };
    await this.#save(r, true);
    await this.#arm(r, now);
    return r;
  }

  /** An isolate's counters: summed into the window when they are for the running spec. */
  async report(req: ReportRequest, now: number): Promise<RolloutRecord> {
    const r = await this.sync(req.sync, now);
    if (r.spec.specHash !== req.sync.rollout.specHash || r.state.phase !== "progressing") return r;
    // The alarm stopped for lack of reports: a new interval starts with this one.
    if ((await this.#windowOf()).idle >= IDLE_INTERVALS) await this.#arm(r, now);
    const w = await this.#windowOf();
    mergeCounts(w.counts, req.counts);
    w.reports += 1;
    await this.#storage.put("window", w);
    return r;
  }

  /** The end of an interval. */
  async alarm(now: number): Promise<void> {
    const r = await this.record();
    if (!r || r.state.phase !== "progressing") return;
    const w = await this.#windowOf();
    if (w.reports === 0) {
      // Nobody served this rollout: no decision, no history entry (a removed Canary goes quiet).
      this.#window = emptyWindow(w.idle + 1);
      await this.#storage.put("window", this.#window);
      if (this.#window.idle < IDLE_INTERVALS) await this.#storage.setAlarm(now + r.spec.intervalMs);
      return;
    }
    const state = judge(specOf(r.spec), r.state, w.counts, now);
    this.#window = emptyWindow();
    await this.#storage.put("window", this.#window);
    await this.#save({ ...r, state }, true);
    if (state.phase === "progressing") await this.#storage.setAlarm(now + r.spec.intervalMs);
  }

  /** An operator's action: the new record, or why it does not apply in the current phase. */
  async action(action: RolloutAction, sync: SyncRequest, now: number): Promise<{ record: RolloutRecord } | { conflict: string }> {
    const r = await this.sync(sync, now);
    const state = act(r.state, action, now);
    if (state === r.state) return { conflict: `cannot ${action} rollout ${r.state.name}: it is ${r.state.phase}` };
    const next = { ...r, state };
    await this.#save(next, true);
    if (action === "resume") await this.#arm(next, now);
    else await this.#storage.deleteAlarm();
    return { record: next };
  }
}

// ------------------------------------------------------------------ the wire (no zod in the Worker)

const isInt = (n: unknown, lo: number, hi: number) => typeof n === "number" && Number.isInteger(n) && n >= lo && n <= hi;
const isStr = (s: unknown) => typeof s === "string" && s.length > 0 && s.length <= 512;

/** A RouteRollout as an isolate sent it, checked enough that judge() cannot be fed nonsense. */
function asRollout(v: unknown): RouteRollout | string {
  const r = v as Partial<RouteRollout> | null;
  if (!r || typeof r !== "object") return "rollout: expected the compiled Canary";
  if (!isStr(r.name) || !isStr(r.specHash)) return "rollout: name and specHash are required";
  if (!Array.isArray(r.steps) || r.steps.length === 0 || r.steps.length > 100 || !r.steps.every((s, i) => isInt(s, 0, 100) && (i === 0 || s > r.steps![i - 1]!)))
    return "rollout.steps: expected ascending weights from 0 to 100";
  if (!isInt(r.intervalMs, 1, 366 * 86_400_000) || !isInt(r.threshold, 1, 1000) || !isInt(r.minRequests, 0, 1e9)) return "rollout: intervalMs, threshold and minRequests must be integers in range";
  if (!r.failures || typeof r.failures !== "object" || !Array.isArray(r.failures.statuses)) return "rollout.failures: expected { statuses, gatewayErrors, timeouts }";
  if (!isInt(r.primary, 0, 1000) || !isInt(r.canary, 0, 1000)) return "rollout: primary and canary must be destination indexes";
  return r as RouteRollout;
}

export function asSync(v: unknown): SyncRequest | string {
  const s = v as Partial<SyncRequest> | null;
  if (!s || typeof s !== "object") return "expected { rollout, target, activatedAt? }";
  const rollout = asRollout(s.rollout);
  if (typeof rollout === "string") return rollout;
  if (!s.target || !isStr(s.target.virtualService) || !isStr(s.target.rule)) return "target: expected { virtualService, rule }";
  if (s.activatedAt !== undefined && (typeof s.activatedAt !== "string" || !Number.isFinite(Date.parse(s.activatedAt)))) return "activatedAt: expected an ISO date";
  return { rollout, target: { virtualService: s.target.virtualService, rule: s.target.rule }, ...(s.activatedAt !== undefined ? { activatedAt: s.activatedAt } : {}) };
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

/**
 * `/rollout/<route>` of a GatewayState object:
 *   GET  view            RolloutView (what isolates cache)
 *   GET  status          { record: RolloutRecord | null }
 *   POST sync            SyncRequest → RolloutView
 *   POST report          { sync, counts } → RolloutView
 *   POST action          { action, sync } → { record } | 409 { error }
 */
export async function handleRollout(runner: RolloutRunner, name: string, route: string, request: Request, now: number): Promise<Response> {
  if (request.method === "GET") {
    if (route === "view") return json(viewOf(name, await runner.record()));
    if (route === "status") return json({ record: await runner.record() });
    return json({ error: `no rollout route ${route}` }, 404);
  }
  if (request.method !== "POST") return json({ error: "method not allowed" }, 405);
  const body = (await request.json().catch(() => null)) as Record<string, unknown> | null;
  if (!body || typeof body !== "object") return json({ error: "expected a JSON object" }, 400);
  const sync = asSync(route === "sync" ? body : body.sync);
  if (typeof sync === "string") return json({ error: sync }, 400);
  if (sync.rollout.name !== name) return json({ error: `this object holds rollout ${name}, not ${sync.rollout.name}` }, 400);
  switch (route) {
    case "sync":
      return json(viewOf(name, await runner.sync(sync, now)));
    case "report": {
      const counts = asCounts(body.counts, BUCKETS);
      if (typeof counts === "string") return json({ error: counts }, 400);
      return json(viewOf(name, await runner.report({ sync, counts }, now)));
    }
    case "action": {
      const a = body.action;
      if (a !== "promote" && a !== "pause" && a !== "resume" && a !== "abort") return json({ error: "action: expected promote, pause, resume or abort" }, 400);
      const out = await runner.action(a, sync, now);
      return "conflict" in out ? json({ error: out.conflict }, 409) : json(out);
    }
    default:
      return json({ error: `no rollout route ${route}` }, 404);
  }
}
