/**
 * Shared endpoint health, the isolate's side (issue #13.3/#13.4; DESIGN.md §11).
 *
 * attach(state): once per isolate, gives the local outlier detector the shared view
 *   (src/select/shared-health.ts): results are also recorded into an outbox, and the state
 *   plane's ejections / failing health checks count as ejected in load balancing.
 * tick(state, clusters, waitUntil): after each response, a few comparisons; when due, ONE
 *   background task (waitUntil, single flight) that
 *   - reports the outbox (one POST per cluster with results; each answers the fresh view):
 *     at most every REPORT_INTERVAL_MS while it holds errors, every refresh otherwise;
 *   - re-reads, through the location's cache, the views of clusters this isolate picked
 *     from that have outlierDetection or a health check (every STATE_REFRESH_SECONDS).
 *   So per isolate: ≤ 1 report per cluster per second, ≤ 1 view read per cluster per refresh,
 *   and views cost the object ~one read per location per STATE_CACHE_SECONDS.
 * Requests never wait: nothing here is awaited on the request path. A slow or failing object
 * only delays views: ejections expire at their return time and health verdicts after
 * VIEW_TTL_MS, then the isolate is back on its own outlier detection.
 */
import { clusterKey, type Cluster } from "../table/types.ts";
import type { SelectState } from "../decision.ts";
import { outlierDetector } from "../select/outlier.ts";
import { drainOutbox, sharedHealth, type OutboxEntry, type SharedHealth } from "../select/shared-health.ts";
import type { ClusterRef, HealthReport, HealthView } from "./health-object.ts";
import { healthObject } from "./names.ts";
import { FailureStreak } from "./failure-streak.ts";

/**
 * What the health client uses of its state plane. client.ts's StatePlane provides it and owns
 * a HealthClient; declaring the need here keeps the two modules from importing each other.
 */
export interface HealthPlane {
  readonly now: () => number;
  readonly log: (entry: Record<string, unknown>) => void;
  readonly settings: { readonly refreshMs: number };
  call<T>(name: string, path: string, init?: RequestInit): Promise<T>;
  cachedRead<T>(name: string, path: string): Promise<T>;
  storeCopy(name: string, path: string, value: unknown): Promise<void>;
}

/** Reports holding errors go out at most this often per isolate (an ejection spreads in ~1 s + refresh). */
export const REPORT_INTERVAL_MS = 1_000;
/**
 * A cluster of the served version by key (the pipeline's TableStore.clusterOf): a sharded version
 * has no whole `clusters` map in memory, only its cached shards'.
 */
export type ClusterLookup = (key: string) => Cluster | undefined;

/** At most this many clusters per background task (bounded fan-out per isolate). */
export const MAX_CLUSTERS_PER_TICK = 16;
/** How long a failing health-check verdict holds without a fresh view. */
export function viewTtlMs(refreshMs: number): number {
  return Math.max(30_000, 3 * refreshMs);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export const viewPath = (key: string) => `/health/view?cluster=${encodeURIComponent(key)}`;

export function clusterRef(key: string, c: Cluster): ClusterRef {
  const ref: ClusterRef = { key, endpoints: c.endpoints.map((e) => e.url) };
  const od = c.trafficPolicy?.outlierDetection;
  if (od) ref.outlierDetection = od;
  if (c.healthCheck) ref.healthCheck = c.healthCheck;
  return ref;
}

/** A view → the isolate's `out` map for that cluster (replaces the previous one: the object decides). */
export function applyView(s: SharedHealth, view: HealthView, now: number, ttlMs: number): void {
  const out = new Map<string, number>();
  for (const [url, until] of Object.entries(view.ejected)) out.set(url, until);
  for (const url of view.unhealthy) out.set(url, Math.max(out.get(url) ?? 0, now + ttlMs));
  if (out.size === 0) s.out.delete(view.cluster);
  else s.out.set(view.cluster, out);
}

export class HealthClient {
  readonly #plane: HealthPlane;
  #lastReport = Number.NEGATIVE_INFINITY;
  #lastViews = Number.NEGATIVE_INFINITY;
  #inflight: Promise<void> | null = null;
  readonly #failures = new FailureStreak("state plane: health object unreachable; keeping the last views");

  constructor(plane: HealthPlane) {
    this.#plane = plane;
  }

  get lastError() {
    return this.#failures.last;
  }

  attach(state: SelectState): void {
    const d = outlierDetector(state);
    if (d.shared) return;
    d.shared = sharedHealth(state);
    d.shared.recording = true;
  }

  tick(state: SelectState, clusters: ClusterLookup, waitUntil: (p: Promise<unknown>) => void): void {
    if (this.#inflight) return;
    const s = outlierDetector(state).shared;
    if (!s) return;
    const now = this.#plane.now();
    const refresh = this.#plane.settings.refreshMs;
    let errors = false;
    for (const e of s.outbox.values()) if (e.errors > 0) errors = true;
    const reportIn = s.outbox.size > 0 ? this.#lastReport + (errors ? REPORT_INTERVAL_MS : refresh) - now : Number.POSITIVE_INFINITY;
    const viewsDue = s.touched.size > 0 && now - this.#lastViews >= refresh;
    if (reportIn > 0 && !viewsDue) {
      // Errors waiting for the report interval: flush them when it ends even if no request comes
      // (an isolate that just stopped sending to a dead endpoint must still tell the others).
      // The wait runs in this response's waitUntil, so it is bounded by REPORT_INTERVAL_MS.
      if (errors && reportIn <= REPORT_INTERVAL_MS) {
        this.#inflight = sleep(reportIn)
          .then(() => this.#run(s, clusters, true, false, this.#plane.now()))
          .finally(() => (this.#inflight = null));
        waitUntil(this.#inflight);
      }
      return;
    }
    this.#inflight = this.#run(s, clusters, reportIn <= 0, viewsDue, now).finally(() => (this.#inflight = null));
    waitUntil(this.#inflight);
  }

  /** The task itself (exposed for tests that drive it directly). Never rejects. */
  async #run(s: SharedHealth, clusters: ClusterLookup, report: boolean, views: boolean, now: number): Promise<void> {
    const ttl = viewTtlMs(this.#plane.settings.refreshMs);
    const jobs: Array<Promise<void>> = [];
    const reported = new Set<string>();
    if (report) {
      this.#lastReport = now;
      for (const e of drainOutbox(s).slice(0, MAX_CLUSTERS_PER_TICK)) {
        const key = clusterKey(e.cluster.host, e.cluster.subset, e.cluster.port);
        reported.add(key);
        jobs.push(this.#report(s, key, e, ttl));
      }
    }
    if (views) {
      this.#lastViews = now;
      const keys = [...s.touched];
      s.touched.clear();
      for (const key of keys) {
        if (reported.has(key) || jobs.length >= MAX_CLUSTERS_PER_TICK) continue;
        const c = clusters(key);
        if (!c || (!c.trafficPolicy?.outlierDetection && !c.healthCheck)) continue;
        jobs.push(this.#readView(s, key, ttl));
      }
    }
    await Promise.all(jobs);
  }

  async #report(s: SharedHealth, key: string, e: OutboxEntry, ttl: number): Promise<void> {
    const body: HealthReport = { cluster: clusterRef(key, e.cluster), runs: Object.fromEntries(e.runs) };
    try {
      const view = await this.#plane.call<HealthView>(healthObject(key), "/health/report", {
        method: "POST",
        body: JSON.stringify(body),
        headers: { "content-type": "application/json" },
      });
      applyView(s, view, this.#plane.now(), ttl);
      await this.#plane.storeCopy(healthObject(key), viewPath(key), view);
    } catch (err) {
      this.#failed(err);
    }
  }

  async #readView(s: SharedHealth, key: string, ttl: number): Promise<void> {
    try {
      const view = await this.#plane.cachedRead<HealthView>(healthObject(key), viewPath(key));
      applyView(s, view, this.#plane.now(), ttl);
    } catch (err) {
      this.#failed(err);
    }
  }

  #failed(err: unknown): void {
    this.#failures.record(err, this.#plane.now(), (entry) => this.#plane.log(entry));
  }
}
