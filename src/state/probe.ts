/**
 * Active health checks (issue #13.4): the Cron Trigger's `scheduled` handler probes the endpoints
 * of every cluster with a health check (src/compile/health-check.ts) and publishes the results
 * to the cluster's state object, whose thresholds decide healthy/unhealthy (health-object.ts);
 * isolates then skip unhealthy endpoints (health-client.ts, with the panic threshold).
 *
 * Cron Triggers fire at most once a minute, at one location: so probe load on an origin is one
 * probe per interval, whatever the number of locations. Intervals under a minute run as rounds
 * inside one invocation: round k at k × step (step = the shortest interval), a cluster probed in
 * the rounds that are multiples of its interval, until HEALTH_CHECK_WINDOW_SECONDS (default 55 s,
 * so a run ends before the next one starts; 0 = one round, tests).
 *
 * A probe: GET endpoint + path, `redirect: manual`, bounded by the check's timeout; a pass is a
 * status within expectedStatuses. With `host` the probe presents that authority the way the
 * forwarder does for rewrite.authority (src/forward/authority.ts: resolveOverride when deployed).
 * Endpoints shared by several clusters (subsets) are probed once per round.
 */
import type { Cluster, HealthCheck } from "../table/types.ts";
import { upstreamAddress } from "../forward/authority.ts";
import type { StatePlane } from "./client.ts";
import type { HealthView, ProbeReport, ProbeResult } from "./health-object.ts";
import { clusterRef, viewPath } from "./health-client.ts";
import { healthObject } from "./names.ts";

export const PROBE_USER_AGENT = "edge-gateway-health-check/1";

export type ProbeFetch = (url: string, init: RequestInit & { cf?: Record<string, unknown> }) => Promise<Response>;

export function passes(hc: HealthCheck, status: number): boolean {
  return hc.expectedStatuses.some(([from, to]) => status >= from && status <= to);
}

export async function probeEndpoint(url: string, hc: HealthCheck, fetcher: ProbeFetch, now: () => number): Promise<ProbeResult> {
  const addr = upstreamAddress(url + hc.path, hc.host);
  const started = now();
  const at = new Date(started).toISOString();
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), hc.timeoutMs);
  try {
    const res = await fetcher(addr.url, {
      method: "GET",
      redirect: "manual",
      signal: controller.signal,
      headers: { "user-agent": PROBE_USER_AGENT, ...(hc.host ? { "x-forwarded-host": hc.host } : {}) },
      ...(addr.resolveOverride ? { cf: { resolveOverride: addr.resolveOverride } } : {}),
    });
    await res.body?.cancel();
    const ok = passes(hc, res.status);
    return { url, ok, status: res.status, at, ms: now() - started, ...(ok ? {} : { detail: `status ${res.status} not in ${hc.expectedStatuses.map(([a, b]) => (a === b ? a : `${a}-${b}`)).join(",")}` }) };
  } catch (err) {
    const detail = controller.signal.aborted ? `no answer within ${hc.timeoutMs} ms` : `connection failed: ${err instanceof Error ? err.message : String(err)}`;
    return { url, ok: false, at, ms: now() - started, detail };
  } finally {
    clearTimeout(timer);
  }
}

export interface ProbeRun {
  rounds: number;
  clusters: Array<{ cluster: string; results: ProbeResult[]; published: boolean; error?: string }>;
}

/** One round: probe every due cluster's endpoints (deduplicated) and publish per cluster. */
async function round(plane: StatePlane, due: Array<[string, Cluster]>, fetcher: ProbeFetch, out: ProbeRun): Promise<void> {
  const probes = new Map<string, Promise<ProbeResult>>();
  const probe = (url: string, hc: HealthCheck) => {
    const k = `${url}\n${hc.path}\n${hc.host ?? ""}\n${hc.timeoutMs}\n${JSON.stringify(hc.expectedStatuses)}`;
    let p = probes.get(k);
    if (!p) probes.set(k, (p = probeEndpoint(url, hc, fetcher, plane.now)));
    return p;
  };
  await Promise.all(
    due.map(async ([key, c]) => {
      const results = await Promise.all(c.endpoints.map((e) => probe(e.url, c.healthCheck!)));
      const report: ProbeReport = { cluster: clusterRef(key, c), results };
      try {
        const view = await plane.call<HealthView>(healthObject(key), "/health/probe", { method: "POST", body: JSON.stringify(report), headers: { "content-type": "application/json" } });
        await plane.storeCopy(healthObject(key), viewPath(key), view);
        out.clusters.push({ cluster: key, results, published: true });
      } catch (err) {
        out.clusters.push({ cluster: key, results, published: false, error: err instanceof Error ? err.message : String(err) });
      }
    }),
  );
}

/**
 * Every health-checked cluster of `clusters`, probed in rounds for `windowMs` (0 = one round).
 * `sleep` is injectable; the run never throws (a failing object only loses that round's publish).
 */
export async function runHealthChecks(
  plane: StatePlane,
  clusters: Record<string, Cluster>,
  fetcher: ProbeFetch,
  windowMs: number,
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
): Promise<ProbeRun> {
  const checked = Object.entries(clusters).filter(([, c]) => c.healthCheck && c.endpoints.length > 0);
  const out: ProbeRun = { rounds: 0, clusters: [] };
  if (checked.length === 0) return out;
  const step = Math.min(...checked.map(([, c]) => c.healthCheck!.intervalMs));
  const start = plane.now();
  for (let k = 0; ; k++) {
    const t = k * step;
    const due = checked.filter(([, c]) => t % c.healthCheck!.intervalMs < step);
    out.rounds++;
    await round(plane, due, fetcher, out);
    const next = (k + 1) * step;
    if (next > windowMs) break;
    const wait = start + next - plane.now();
    if (wait > 0) await sleep(wait);
  }
  return out;
}

/**
 * The Cron Trigger's work (worker.ts `scheduled`): load the table this isolate serves, probe.
 * Without the state plane nothing can publish the results, so nothing is probed (logged once).
 */
export async function scheduledHealthChecks(
  plane: StatePlane | null,
  loadClusters: () => Promise<Record<string, Cluster> | null>,
  windowMs: number,
  fetcher: ProbeFetch,
  log: (entry: Record<string, unknown>) => void,
): Promise<ProbeRun | null> {
  const clusters = await loadClusters();
  if (!clusters) return null;
  const checked = Object.values(clusters).some((c) => c.healthCheck);
  if (!checked) return null;
  if (!plane) {
    log({ ts: new Date().toISOString(), level: "warn", msg: "health checks are configured but there is no state plane (STATE binding) to publish them: not probing" });
    return null;
  }
  const run = await runHealthChecks(plane, clusters, fetcher, windowMs);
  const failing = run.clusters.flatMap((c) => c.results.filter((r) => !r.ok).map((r) => `${c.cluster} ${r.url}: ${r.detail}`));
  const unpublished = run.clusters.filter((c) => !c.published).map((c) => `${c.cluster}: ${c.error}`);
  log({
    ts: new Date().toISOString(),
    level: failing.length || unpublished.length ? "warn" : "info",
    msg: "health checks",
    rounds: run.rounds,
    clusters: new Set(run.clusters.map((c) => c.cluster)).size,
    failing: [...new Set(failing)].slice(0, 20),
    ...(unpublished.length ? { unpublished: unpublished.slice(0, 20) } : {}),
  });
  return run;
}
