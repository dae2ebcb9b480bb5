/**
 * One cluster's shared endpoint health, inside its GatewayState object (`health/<cluster key>`).
 *
 *  - Outlier detection across isolates (#13.3): isolates report their attempt results as
 *    run-length encoded sequences per endpoint (src/select/shared-health.ts); the object replays
 *    them, batch after batch, into the same OutlierDetector an isolate runs (Istio's
 *    consecutive5xxErrors, consecutiveGatewayErrors, interval, baseEjectionTime,
 *    maxEjectionPercent: src/select/outlier.ts), so an endpoint failing through any isolates is
 *    ejected once, for all of them. Interleaving across isolates is by arrival of their batches
 *    (at most ~1 s apart), not by individual request: "consecutive" is per batch boundary.
 *    The detector's counters live in memory: an evicted object starts counting afresh (as a new
 *    isolate would); ejections in force are re-derived from new failures.
 *  - Active health checks (#13.4): the Cron Trigger's probe results, with Envoy's healthy /
 *    unhealthy thresholds; kept in storage (probes are a minute apart, objects get evicted).
 *    An endpoint never probed is healthy (Envoy would hold a new host out until its first
 *    check passes; at the edge a missing probe must not black-hole traffic).
 *
 * Routes (object.ts forwards `/health/*`): POST report, POST probe, GET view (`?cluster=KEY`).
 */
import type { Cluster, HealthCheck, OutlierDetection } from "../table/types.ts";
import { OutlierDetector } from "../select/outlier.ts";
import type { Run } from "../select/shared-health.ts";

export interface HealthStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
}

/** What a report says about its cluster (enough for the detector; the object has no table). */
export interface ClusterRef {
  key: string;
  endpoints: string[];
  outlierDetection?: OutlierDetection;
  healthCheck?: HealthCheck;
}

export interface HealthReport {
  cluster: ClusterRef;
  runs: Record<string, Run[]>;
}

export interface ProbeResult {
  url: string;
  ok: boolean;
  status?: number;
  detail?: string;
  at: string;
  ms?: number;
}

export interface ProbeReport {
  cluster: ClusterRef;
  results: ProbeResult[];
}

interface ProbeState {
  healthy: boolean | null;
  passes: number;
  failures: number;
  last: ProbeResult | null;
}

export interface EndpointHealth {
  url: string;
  ejected: boolean;
  returnsAt?: string;
  consecutive5xx: number;
  consecutiveGatewayErrors: number;
  ejections: number;
  /** Active health check verdict: null = not probed (in service). */
  healthy: boolean | null;
  lastProbe: ProbeResult | null;
}

export interface HealthView {
  cluster: string;
  at: string;
  /** URL → ms since epoch when the ejection ends (object clock). */
  ejected: Record<string, number>;
  /** Failing their active health check. */
  unhealthy: string[];
  endpoints: EndpointHealth[];
}

const RUN_CODES = [200, 503, 500] as const;

function clusterOf(ref: ClusterRef): Cluster {
  return {
    host: ref.key,
    endpoints: ref.endpoints.map((url) => ({ url, weight: 1 })),
    external: false,
    ...(ref.outlierDetection ? { trafficPolicy: { outlierDetection: ref.outlierDetection } } : {}),
  } as Cluster;
}

export class ClusterHealth {
  readonly #storage: HealthStorage;
  readonly #detector = new OutlierDetector();
  #ref: ClusterRef | null = null;
  #probes: Record<string, ProbeState> | null = null;

  constructor(storage: HealthStorage) {
    this.#storage = storage;
  }

  async #probeState(): Promise<Record<string, ProbeState>> {
    this.#probes ??= (await this.#storage.get<Record<string, ProbeState>>("probes")) ?? {};
    return this.#probes;
  }

  #adopt(ref: ClusterRef): void {
    // The newest report describes the cluster (a new config may change endpoints or policy).
    this.#ref = { ...this.#ref, ...ref, key: ref.key };
  }

  report(r: HealthReport, now: number): void {
    this.#adopt(r.cluster);
    const cluster = clusterOf(this.#ref!);
    for (const [url, runs] of Object.entries(r.runs)) {
      for (const [cls, n] of runs) {
        const code = RUN_CODES[cls] ?? 200;
        for (let i = 0; i < Math.min(n, 1000); i++) this.#detector.record(cluster, url, code, now);
      }
    }
  }

  async probe(r: ProbeReport): Promise<void> {
    this.#adopt(r.cluster);
    const hc = r.cluster.healthCheck;
    const states = await this.#probeState();
    for (const res of r.results) {
      const s = (states[res.url] ??= { healthy: null, passes: 0, failures: 0, last: null });
      s.last = res;
      if (res.ok) {
        s.passes++;
        s.failures = 0;
        if (s.healthy === null || (s.healthy === false && s.passes >= (hc?.healthyThreshold ?? 1))) s.healthy = true;
      } else {
        s.failures++;
        s.passes = 0;
        if (s.failures >= (hc?.unhealthyThreshold ?? 1)) s.healthy = false;
      }
    }
    // Endpoints no longer in the cluster are forgotten.
    for (const url of Object.keys(states)) if (!r.cluster.endpoints.includes(url)) delete states[url];
    await this.#storage.put("probes", states);
  }

  async view(now: number, key: string): Promise<HealthView> {
    const states = await this.#probeState();
    const ref = this.#ref;
    const urls = ref?.endpoints ?? Object.keys(states);
    const outlier = ref ? this.#detector.status(clusterOf(ref), now) : [];
    const byUrl = new Map(outlier.map((o) => [o.url, o]));
    const ejected: Record<string, number> = {};
    const unhealthy: string[] = [];
    const endpoints = urls.map((url): EndpointHealth => {
      const o = byUrl.get(url);
      const p = states[url];
      if (o?.ejected && o.returnsAt !== undefined) ejected[url] = o.returnsAt;
      if (p?.healthy === false) unhealthy.push(url);
      return {
        url,
        ejected: o?.ejected ?? false,
        ...(o?.returnsAt !== undefined ? { returnsAt: new Date(o.returnsAt).toISOString() } : {}),
        consecutive5xx: o?.consecutive5xx ?? 0,
        consecutiveGatewayErrors: o?.consecutiveGatewayErrors ?? 0,
        ejections: o?.ejections ?? 0,
        healthy: p?.healthy ?? null,
        lastProbe: p?.last ?? null,
      };
    });
    return { cluster: ref?.key ?? key, at: new Date(now).toISOString(), ejected, unhealthy, endpoints };
  }
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

function isRef(v: unknown): v is ClusterRef {
  const r = v as ClusterRef | null;
  return !!r && typeof r.key === "string" && Array.isArray(r.endpoints) && r.endpoints.every((u) => typeof u === "string");
}

/** `/health/<route>` of a GatewayState object. */
export async function handleHealth(health: ClusterHealth, route: string, request: Request, now: number): Promise<Response> {
  if (route === "view" && request.method === "GET") {
    return json(await health.view(now, new URL(request.url).searchParams.get("cluster") ?? ""));
  }
  if (request.method !== "POST") return json({ error: "method not allowed" }, 405);
  const body = (await request.json().catch(() => null)) as (Partial<HealthReport> & Partial<ProbeReport>) | null;
  if (!body || !isRef(body.cluster)) return json({ error: "expected { cluster: { key, endpoints[] }, ... }" }, 400);
  if (route === "report") {
    if (!body.runs || typeof body.runs !== "object") return json({ error: "expected runs" }, 400);
    health.report(body as HealthReport, now);
  } else if (route === "probe") {
    if (!Array.isArray(body.results)) return json({ error: "expected results[]" }, 400);
    await health.probe(body as ProbeReport);
  } else return json({ error: `no health route ${route}` }, 404);
  return json(await health.view(now, body.cluster.key));
}
