/**
 * Canary rollouts, the isolate's side (issue #14; DESIGN.md §11).
 *
 * Weights. decide() takes the canary weight of each running rollout from `weightsFor(table)`:
 * the weight the rollout's object last answered, when it runs the spec this isolate's table has.
 * Otherwise (nothing known, the object runs another spec, the object down) the split keeps its
 * pushed weights. Views are re-read in the background every STATE_REFRESH_SECONDS through the
 * location's cache (one object read per location per STATE_CACHE_SECONDS), and every report's
 * answer is a fresh view, so a decision (an abort) reaches an isolate that serves the rollout
 * within one flush, and any other within STATE_REFRESH_SECONDS + STATE_CACHE_SECONDS.
 * A cold isolate (or a newly loaded table with Canaries) waits once for the views, at most
 * OBJECT_TIMEOUT_MS — the state plane's bound, as for the pointer — so its first requests do not
 * move visitors out of a canary the rollout has raised; after that no request waits.
 *
 * Counters. `record` adds one request to its rollout's fixed-size counters (src/rollout/
 * counters.ts); `tick` flushes them, one POST per rollout, in the background (waitUntil, single
 * flight), at most every flushMs (¼ of the shortest interval, between 250 ms and 1 s), and once
 * more after the last request so no counts are stranded.
 */
import type { RouteRollout, RouteTable } from "../table/types.ts";
import type { Decision } from "../decision.ts";
import { count, emptyCounts, isFailure, totalRequests, type Outcome, type RolloutCounts } from "../rollout/counters.ts";
import { canariesOf, type TableCanary } from "../rollout/status.ts";
import type { RolloutView, SyncRequest } from "./rollout-object.ts";
import { rolloutObject } from "./names.ts";
import { FailureStreak } from "./failure-streak.ts";

/** What the rollout client uses of its state plane (client.ts's StatePlane). */
export interface RolloutPlane {
  readonly now: () => number;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly settings: { readonly refreshMs: number };
  call<T>(name: string, path: string, init?: RequestInit, timeoutMs?: number): Promise<T>;
  cachedRead<T>(name: string, path: string, timeoutMs?: number): Promise<T>;
  storeCopy(name: string, path: string, value: unknown): Promise<void>;
}

/** The table as the pipeline has it loaded. */
export interface RolloutTable {
  table: RouteTable;
  activatedAt?: string;
}

/** At most this many rollouts per background task (bounded fan-out per isolate). */
export const MAX_ROLLOUTS_PER_TICK = 16;
export const MIN_FLUSH_MS = 250;
/** Flushes a background task may chain for counts that arrived while it ran (bounded waitUntil). */
export const MAX_FOLLOW_UPS = 3;
export const MAX_FLUSH_MS = 1_000;

export const viewPath = (name: string) => `/rollout/view?name=${encodeURIComponent(name)}`;
export const rolloutPath = (route: string, name: string) => `/rollout/${route}?name=${encodeURIComponent(name)}`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function syncOf(c: TableCanary, activatedAt: string | undefined): SyncRequest {
  return { rollout: c.rollout, target: { virtualService: c.virtualService, rule: c.rule }, ...(activatedAt ? { activatedAt } : {}) };
}

/** Which variant a destination is, by the split's indexes (null: neither). */
function variantOf(action: Extract<RouteTable["vhosts"][number]["routes"][number]["action"], { kind: "route" }>, r: RouteRollout, d: { host: string; subset?: string; cluster: string | null }): "primary" | "canary" | null {
  const same = (x: { host: string; subset?: string; cluster: string | null } | undefined) => !!x && x.host === d.host && x.subset === d.subset && x.cluster === d.cluster;
  if (same(action.destinations[r.canary])) return "canary";
  if (same(action.destinations[r.primary])) return "primary";
  return null;
}

interface Pending {
  sync: SyncRequest;
  counts: RolloutCounts;
}

interface TableInfo {
  canaries: TableCanary[];
  flushMs: number;
  /** Views were read once for this table (the cold wait is over). */
  ready: boolean;
  weights: Map<string, number>;
  weightsVersion: number;
}

export class RolloutClient {
  readonly #plane: RolloutPlane;
  readonly #tables = new WeakMap<RouteTable, TableInfo>();
  /** Last view per rollout name. */
  readonly #views = new Map<string, RolloutView>();
  #viewsVersion = 0;
  /** Counters per `name#specHash` since the last flush. */
  #pending = new Map<string, Pending>();
  #lastFlush = Number.NEGATIVE_INFINITY;
  #lastViews = Number.NEGATIVE_INFINITY;
  #lastSync = new Map<string, number>();
  #inflight: Promise<void> | null = null;
  readonly #failures = new FailureStreak("state plane: rollout object unreachable; keeping the last weights");

  constructor(plane: RolloutPlane) {
    this.#plane = plane;
  }

  get lastError() {
    return this.#failures.last;
  }

  /** What this isolate last heard from a rollout's object. */
  viewOf(name: string): RolloutView | undefined {
    return this.#views.get(name);
  }

  #info(table: RouteTable): TableInfo {
    let info = this.#tables.get(table);
    if (!info) {
      const canaries = canariesOf(table);
      const shortest = Math.min(...canaries.map((c) => c.rollout.intervalMs));
      const flushMs = Math.min(MAX_FLUSH_MS, Math.max(MIN_FLUSH_MS, Math.floor(shortest / 4)));
      info = { canaries, flushMs, ready: canaries.length === 0, weights: new Map(), weightsVersion: -1 };
      this.#tables.set(table, info);
    }
    return info;
  }

  /**
   * Null when decide can run now; otherwise a promise (bounded by `timeoutMs`) that reads the
   * views of a table this isolate has not read them for yet. Never rejects.
   */
  ready(t: RolloutTable, timeoutMs: number): Promise<void> | null {
    const info = this.#info(t.table);
    if (info.ready) return null;
    info.ready = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((r) => (timer = setTimeout(r, timeoutMs)));
    this.#lastViews = this.#plane.now();
    return Promise.race([this.#readViews(info.canaries, t.activatedAt, timeoutMs), bound]).finally(() => clearTimeout(timer));
  }

  /** Canary weights of the table's rollouts whose object runs the table's spec (decide's rolloutWeights). */
  weightsFor(table: RouteTable): ReadonlyMap<string, number> | undefined {
    const info = this.#info(table);
    if (info.canaries.length === 0) return undefined;
    if (info.weightsVersion !== this.#viewsVersion) {
      const w = new Map<string, number>();
      for (const c of info.canaries) {
        const v = this.#views.get(c.rollout.name);
        if (v && v.specHash === c.rollout.specHash && v.canaryWeight !== null) w.set(c.rollout.name, v.canaryWeight);
      }
      info.weights = w;
      info.weightsVersion = this.#viewsVersion;
    }
    return info.weights;
  }

  /** One request served by a route: counted when a Canary drives the route's split. */
  record(t: RolloutTable, decision: Decision, outcome: Outcome, latencyMs: number): void {
    if (decision.kind !== "forward" && decision.kind !== "noHealthyUpstream") return;
    const action = decision.match.route.action;
    if (action.kind !== "route" || !action.rollout) return;
    const r = action.rollout;
    const variant = variantOf(action, r, decision.kind === "forward" ? decision.target.destination : decision.destination);
    if (!variant) return;
    const key = `${r.name}#${r.specHash}`;
    let p = this.#pending.get(key);
    if (!p) {
      const c = this.#info(t.table).canaries.find((x) => x.rollout.name === r.name);
      if (!c) return;
      this.#pending.set(key, (p = { sync: syncOf(c, t.activatedAt), counts: emptyCounts() }));
    }
    count(p.counts, variant, decision.kind === "noHealthyUpstream" ? r.failures.gatewayErrors : isFailure(r.failures, outcome), latencyMs);
  }

  /** After a response: flush counters and refresh views when due (background only). */
  tick(t: RolloutTable, waitUntil: (p: Promise<unknown>) => void): void {
    if (this.#inflight) return;
    const info = this.#info(t.table);
    if (info.canaries.length === 0 && this.#pending.size === 0) return;
    const now = this.#plane.now();
    const flushIn = this.#pending.size > 0 ? this.#lastFlush + info.flushMs - now : Number.POSITIVE_INFINITY;
    const viewsDue = info.canaries.length > 0 && now - this.#lastViews >= this.#plane.settings.refreshMs;
    if (flushIn > 0 && !viewsDue) {
      // Counts waiting for the flush period: send them when it ends even if no request comes.
      if (flushIn <= info.flushMs) {
        this.#inflight = sleep(flushIn)
          .then(() => this.#run(info, t.activatedAt, true, false))
          .finally(() => (this.#inflight = null));
        waitUntil(this.#inflight);
      }
      return;
    }
    this.#inflight = this.#run(info, t.activatedAt, flushIn <= 0, viewsDue).finally(() => (this.#inflight = null));
    waitUntil(this.#inflight);
  }

  async #run(info: TableInfo, activatedAt: string | undefined, flush: boolean, views: boolean, followUps = MAX_FOLLOW_UPS): Promise<void> {
    const now = this.#plane.now();
    const jobs: Array<Promise<void>> = [];
    const reported = new Set<string>();
    if (flush) {
      this.#lastFlush = now;
      const batch = [...this.#pending.values()];
      this.#pending = new Map();
      for (const p of batch.slice(0, MAX_ROLLOUTS_PER_TICK)) {
        if (totalRequests(p.counts) === 0) continue;
        reported.add(p.sync.rollout.name);
        jobs.push(this.#report(p));
      }
    }
    if (views) {
      this.#lastViews = now;
      jobs.push(this.#readViews(info.canaries.filter((c) => !reported.has(c.rollout.name)).slice(0, MAX_ROLLOUTS_PER_TICK), activatedAt));
    }
    await Promise.all(jobs);
    // Requests that ended while this task ran found it in flight and started nothing: their
    // counts go out one flush period later from here, or they would wait for the next request.
    if (this.#pending.size > 0 && followUps > 0) {
      await sleep(Math.max(0, this.#lastFlush + info.flushMs - this.#plane.now()));
      await this.#run(info, activatedAt, true, false, followUps - 1);
    }
  }

  #learn(v: RolloutView): void {
    const old = this.#views.get(v.name);
    if (old && old.specHash === v.specHash && old.canaryWeight === v.canaryWeight && old.phase === v.phase) return;
    this.#views.set(v.name, v);
    this.#viewsVersion++;
  }

  /** An answer from the object (a report, a sync, an admin action): known here and at this location. */
  async adopt(v: RolloutView): Promise<void> {
    this.#learn(v);
    await this.#plane.storeCopy(rolloutObject(v.name), viewPath(v.name), v);
  }

  async #report(p: Pending): Promise<void> {
    const name = p.sync.rollout.name;
    try {
      const v = await this.#plane.call<RolloutView>(rolloutObject(name), rolloutPath("report", name), {
        method: "POST",
        body: JSON.stringify({ sync: p.sync, counts: p.counts }),
        headers: { "content-type": "application/json" },
      });
      await this.adopt(v);
    } catch (err) {
      this.#failed(err);
    }
  }

  /** Views of these Canaries; one that is unknown or runs another spec is sent this table's spec. */
  async #readViews(canaries: readonly TableCanary[], activatedAt: string | undefined, timeoutMs?: number): Promise<void> {
    await Promise.all(
      canaries.map(async (c) => {
        const name = c.rollout.name;
        try {
          const v = await this.#plane.cachedRead<RolloutView>(rolloutObject(name), viewPath(name), timeoutMs);
          this.#learn(v);
          if (v.specHash === c.rollout.specHash) return;
          // At most one sync per rollout per refresh (an isolate on an older version keeps asking
          // no more than that, and the object ignores it: rollout-object.ts).
          const now = this.#plane.now();
          if (now - (this.#lastSync.get(name) ?? Number.NEGATIVE_INFINITY) < this.#plane.settings.refreshMs) return;
          this.#lastSync.set(name, now);
          const synced = await this.#plane.call<RolloutView>(rolloutObject(name), rolloutPath("sync", name), {
            method: "POST",
            body: JSON.stringify(syncOf(c, activatedAt)),
            headers: { "content-type": "application/json" },
          }, timeoutMs);
          await this.adopt(synced);
        } catch (err) {
          this.#failed(err);
        }
      }),
    );
  }

  #failed(err: unknown): void {
    this.#failures.record(err, this.#plane.now(), (entry) => this.#plane.log(entry));
  }
}
