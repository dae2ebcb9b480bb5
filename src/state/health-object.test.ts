import { describe, expect, it } from "vitest";
import type { Cluster, OutlierDetection } from "../table/types.ts";
import { OutlierDetector } from "../select/outlier.ts";
import { drainOutbox, recordShared, sharedHealth } from "../select/shared-health.ts";
import { applyView, clusterRef } from "./health-client.ts";
import { ClusterHealth, type HealthStorage } from "./health-object.ts";

const OD: OutlierDetection = { consecutive5xxErrors: 3, intervalMs: 1000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 100, minHealthPercent: 0 };
const A = "http://a.test";
const B = "http://b.test";

function pool(extra: Partial<Cluster> = {}): Cluster {
  return { host: "pool", endpoints: [{ url: A, weight: 1 }, { url: B, weight: 1 }], external: false, trafficPolicy: { outlierDetection: OD }, ...extra };
}

function memoryStorage(): HealthStorage & { data: Map<string, unknown> } {
  const data = new Map<string, unknown>();
  return {
    data,
    get: async <T>(k: string) => data.get(k) as T | undefined,
    put: async <T>(k: string, v: T) => void data.set(k, structuredClone(v)),
  };
}

/** Records codes for B in one isolate's outbox and returns the report it would send. */
function reportOf(codes: number[]) {
  const s = sharedHealth({});
  s.recording = true;
  for (const c of codes) recordShared(s, "pool||", pool(), B, c);
  const [entry] = drainOutbox(s);
  return { cluster: clusterRef("pool||", entry!.cluster), runs: Object.fromEntries(entry!.runs) };
}

describe("the outbox's run-length encoding", () => {
  it("merges equal classes, keeps one reset per run of successes and keeps order", () => {
    const r = reportOf([200, 204, 503, 503, 500, 404, 502]);
    expect(r.runs[B]).toEqual([[0, 1], [1, 2], [2, 1], [0, 1], [1, 1]]);
  });

  it("is bounded per endpoint", () => {
    const codes = Array.from({ length: 500 }, (_, i) => (i % 2 ? 200 : 500));
    expect(reportOf(codes).runs[B]!.length).toBeLessThanOrEqual(32);
  });
});

describe("ClusterHealth (one cluster's object)", () => {
  it("ejects an endpoint whose failures came from several isolates, none of which reached the threshold", async () => {
    const h = new ClusterHealth(memoryStorage());
    h.report(reportOf([503]), 1000);
    h.report(reportOf([500]), 1100);
    let v = await h.view(1200, "pool||");
    expect(v.ejected[B]).toBeUndefined();
    h.report(reportOf([503]), 1300);
    v = await h.view(1400, "pool||");
    expect(v.ejected[B]).toBeGreaterThan(1400);
    expect(v.endpoints.find((e) => e.url === B)?.ejected).toBe(true);
  });

  it("resets the count when any isolate saw a success in between", async () => {
    const h = new ClusterHealth(memoryStorage());
    h.report(reportOf([503, 503]), 1000);
    h.report(reportOf([200]), 1100);
    h.report(reportOf([503, 503]), 1200);
    expect((await h.view(1300, "pool||")).ejected[B]).toBeUndefined();
  });

  it("applies health-check thresholds: unhealthy after N failures, healthy again after M passes; persisted", async () => {
    const storage = memoryStorage();
    const hc = { path: "/healthz", intervalMs: 5000, timeoutMs: 1000, healthyThreshold: 2, unhealthyThreshold: 2, expectedStatuses: [[200, 299]] as Array<[number, number]> };
    const ref = clusterRef("pool||", pool({ healthCheck: hc }));
    const probe = (ok: boolean) => ({ cluster: ref, results: [{ url: B, ok, at: "t" }] });
    const h = new ClusterHealth(storage);
    await h.probe(probe(false));
    expect((await h.view(0, "k")).unhealthy).toEqual([]);
    await h.probe(probe(false));
    expect((await h.view(0, "k")).unhealthy).toEqual([B]);
    await h.probe(probe(true));
    expect((await h.view(0, "k")).unhealthy).toEqual([B]);
    // A fresh instance (the object evicted and recreated) reads the verdicts back from storage.
    const again = new ClusterHealth(storage);
    await again.probe(probe(true));
    expect((await again.view(0, "k")).unhealthy).toEqual([]);
  });
});

describe("the isolate applying a view", () => {
  it("takes the object's ejections and failing health checks out of load balancing, with the panic threshold", () => {
    const state = {};
    const d = new OutlierDetector();
    d.shared = sharedHealth(state);
    const c = pool({ trafficPolicy: {} , healthCheck: { path: "/", intervalMs: 1, timeoutMs: 1, healthyThreshold: 1, unhealthyThreshold: 1, expectedStatuses: [[200, 200]] } });
    applyView(d.shared, { cluster: "pool||", at: "", ejected: {}, unhealthy: [B], endpoints: [] }, 0, 30_000);
    expect(d.available(c, 10).map((e) => e.url)).toEqual([A]);
    // Views expire: without a fresh one the verdict lapses.
    expect(d.available(c, 30_001).map((e) => e.url)).toEqual([A, B]);
    // Both out: below Envoy's default 50 % panic threshold every endpoint is used again.
    applyView(d.shared, { cluster: "pool||", at: "", ejected: { [A]: 50 }, unhealthy: [B], endpoints: [] }, 0, 30_000);
    expect(d.available(c, 10).map((e) => e.url)).toEqual([A, B]);
  });
});
