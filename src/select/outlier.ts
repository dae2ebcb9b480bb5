/**
 * Outlier detection (DestinationRule `trafficPolicy.outlierDetection`), per isolate.
 *
 * Reproduces Envoy's consecutive-error detector as Istio configures it (ISTIO-SEMANTICS §1.3,
 * §2.14; Envoy `outlier_detection_impl.cc`):
 * - Every attempt's result is recorded against its endpoint as an HTTP code: the origin's status,
 *   or 503 for a connection failure / reset and 504 for a timeout (Envoy maps locally originated
 *   errors to codes unless `splitExternalLocalOriginErrors`, which Istio leaves off here).
 * - `consecutive5xxErrors` (0 disables) counts 5xx in a row; `consecutiveGatewayErrors` (optional)
 *   counts 502/503/504 in a row; any non-5xx resets both, a non-gateway 5xx resets the gateway
 *   count. Reaching a threshold ejects the endpoint at once (inline, not at the interval) and
 *   resets that counter; an already ejected endpoint is not ejected again.
 * - `maxEjectionPercent`: an ejection happens only if (ejected + 1) / endpoints ≤ max %. With
 *   Istio's default 10 % a cluster needs ≥ 10 endpoints before anything is ejected — Envoy's
 *   real behaviour (`always_eject_one_host` is not set by Istio); set 100 for small clusters.
 * - Ejection time = min(baseEjectionTime × backoff, max(300 s, base)); backoff grows by one per
 *   ejection and shrinks by one per `interval` the endpoint stays healthy after returning.
 * - `interval` is the sweep period: an ejected endpoint returns to service only at a sweep, so
 *   it stays out until the first sweep at or after ejection + ejection time.
 * - `minHealthPercent` is Envoy's panic threshold: when the healthy share drops below it every
 *   endpoint is used again. Istio's default 0 disables panic: when all are ejected the request
 *   gets 503 `no healthy upstream` (Envoy UH).
 *
 * Sweeps are lazy: there are no timers in a Worker, so the sweep grid is origin + k × interval,
 * origin being the first time this isolate touched the cluster, and every call settles what the
 * sweeps up to `now` would have done (closed form, no loop over ticks).
 *
 * Edge note: the state lives in one Worker isolate. Cloudflare runs many isolates across many
 * locations, each with its own counts and ejections, so an endpoint failing for everyone is
 * ejected by each isolate separately after its own N errors, and an isolate that is recycled
 * forgets. That is fine for protecting against a dead origin (every busy isolate learns quickly)
 * but it is not a global circuit breaker.
 */
import { clusterKey, type Cluster, type Endpoint, type OutlierDetection } from "../table/types.ts";
import type { SelectState } from "../decision.ts";
import { recordShared, sharedOut, type SharedHealth } from "./shared-health.ts";

/** Envoy's default healthy_panic_threshold, for clusters with an active health check only. */
export const ENVOY_DEFAULT_PANIC_PERCENT = 50;

/** Envoy's default `max_ejection_time` (Istio does not expose it); the base wins when larger. */
export const DEFAULT_MAX_EJECTION_TIME_MS = 300_000;

/** HTTP code an attempt result counts as (Envoy resultToHttpCode). */
export const CODE_CONNECT_FAILED = 503;
export const CODE_TIMEOUT = 504;

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  /** When the current ejection started; null = in service. */
  ejectedAt: number | null;
  /** Length of the current ejection (fixed when it starts). */
  ejectionMs: number;
  /** Envoy eject_time_backoff, as of the last ejection. */
  backoff: number;
  /** Sweep time the host last returned to service (backoff decays from here). */
  returnedAt: number | null;
  ejections: number;
}

interface ClusterState {
  origin: number;
  hosts: Map<string, HostState>;
}

/** What a recorded result did, for logs. */
export type RecordEffect = "ejected" | "ejection-refused" | null;

export interface EndpointOutlierStatus {
  url: string;
  ejected: boolean;
  /** When the endpoint returns to service (a sweep time), if ejected. */
  returnsAt?: number;
  consecutive5xx: number;
  consecutiveGatewayErrors: number;
  ejections: number;
}

export class OutlierDetector {
  readonly #clusters = new Map<string, ClusterState>();
  /**
   * The state plane's shared view (src/select/shared-health.ts), attached by src/state when the
   * STATE binding exists: its ejections and failing health checks count as ejected here, and
   * every recorded result also goes to its outbox. Undefined ⇒ per-isolate detection only.
   */
  shared: SharedHealth | undefined;

  /** Record one attempt's result (HTTP code, see CODE_*) for `endpointUrl` of `cluster`. */
  record(cluster: Cluster, endpointUrl: string, code: number, now: number): RecordEffect {
    const od = cluster.trafficPolicy?.outlierDetection;
    if (!od || !cluster.endpoints.some((e) => e.url === endpointUrl)) return null;
    if (this.shared?.recording) recordShared(this.shared, clusterKey(cluster.host, cluster.subset, cluster.port), cluster, endpointUrl, code);
    const cs = this.#settleAll(cluster, od, now);
    const h = host(cs, endpointUrl);
    let effect: RecordEffect = null;
    if (code >= 500 && code <= 599) {
      if (code === 502 || code === 503 || code === 504) {
        h.consecutiveGateway++;
        const gw = od.consecutiveGatewayErrors;
        if (gw !== undefined && gw > 0 && h.consecutiveGateway === gw) effect = this.#trigger(cluster, od, cs, h, "gateway", now) ?? effect;
      } else {
        h.consecutiveGateway = 0;
      }
      h.consecutive5xx++;
      if (od.consecutive5xxErrors > 0 && h.consecutive5xx === od.consecutive5xxErrors) {
        effect = this.#trigger(cluster, od, cs, h, "5xx", now) ?? effect;
      }
    } else {
      h.consecutive5xx = 0;
      h.consecutiveGateway = 0;
    }
    return effect;
  }

  isEjected(cluster: Cluster, endpointUrl: string, now: number): boolean {
    if (this.shared && sharedOut(this.shared, clusterKey(cluster.host, cluster.subset, cluster.port), endpointUrl, now)) return true;
    const od = cluster.trafficPolicy?.outlierDetection;
    if (!od) return false;
    const cs = this.#clusters.get(clusterKey(cluster.host, cluster.subset, cluster.port));
    const h = cs?.hosts.get(endpointUrl);
    if (!cs || !h) return false;
    settle(cs, od, h, now);
    return h.ejectedAt !== null;
  }

  /**
   * Endpoints load balancing may use at `now`: all of them without outlier detection; the
   * non-ejected ones otherwise; all again in panic (healthy % < minHealthPercent). Empty ⇒
   * 503 `no healthy upstream`.
   */
  available(cluster: Cluster, now: number): readonly Endpoint[] {
    const od = cluster.trafficPolicy?.outlierDetection;
    const all = cluster.endpoints;
    if (all.length === 0) return all;
    const shared = this.shared;
    if (!od && !shared) return all;
    const key = clusterKey(cluster.host, cluster.subset, cluster.port);
    let out: Map<string, number> | undefined;
    if (shared) {
      shared.touched.add(key);
      out = shared.out.get(key);
    }
    const cs = od ? this.#clusters.get(key) : undefined;
    if (!cs && !out) return all;
    if (cs) this.#settleAll(cluster, od!, now);
    const healthy = all.filter((e) => {
      if (cs && cs.hosts.get(e.url)?.ejectedAt != null) return false;
      const until = out?.get(e.url);
      return until === undefined || now >= until;
    });
    if (healthy.length === all.length) return all;
    // Envoy isHostSetInPanic: healthy percent strictly below the threshold ⇒ use every host. The
    // threshold: the health check's own, else Istio's minHealthPercent, else Envoy's default 50.
    if ((100 * healthy.length) / all.length < panicPercent(cluster)) return all;
    return healthy;
  }

  /** Per-endpoint view for logs and the admin endpoint. */
  status(cluster: Cluster, now: number): EndpointOutlierStatus[] {
    const od = cluster.trafficPolicy?.outlierDetection;
    const cs = od ? this.#settleAll(cluster, od, now) : undefined;
    return cluster.endpoints.map((e) => {
      const h = cs?.hosts.get(e.url);
      const s: EndpointOutlierStatus = {
        url: e.url,
        ejected: h?.ejectedAt != null,
        consecutive5xx: h?.consecutive5xx ?? 0,
        consecutiveGatewayErrors: h?.consecutiveGateway ?? 0,
        ejections: h?.ejections ?? 0,
      };
      if (h && h.ejectedAt !== null && cs && od) s.returnsAt = returnTime(cs, od, h);
      return s;
    });
  }

  #settleAll(cluster: Cluster, od: OutlierDetection, now: number): ClusterState {
    const key = clusterKey(cluster.host, cluster.subset, cluster.port);
    let cs = this.#clusters.get(key);
    if (!cs) this.#clusters.set(key, (cs = { origin: now, hosts: new Map() }));
    if (cs.hosts.size > cluster.endpoints.length) {
      // Endpoints removed by a new config: forget them (Envoy drops their host monitors).
      const live = new Set(cluster.endpoints.map((e) => e.url));
      for (const url of cs.hosts.keys()) if (!live.has(url)) cs.hosts.delete(url);
    }
    for (const h of cs.hosts.values()) settle(cs, od, h, now);
    return cs;
  }

  #trigger(cluster: Cluster, od: OutlierDetection, cs: ClusterState, h: HostState, kind: "5xx" | "gateway", now: number): RecordEffect {
    // Envoy onConsecutiveErrorWorker: an already ejected host is left alone (counter not reset).
    if (h.ejectedAt !== null) return null;
    let ejected = 0;
    for (const e of cluster.endpoints) if (cs.hosts.get(e.url)?.ejectedAt != null) ejected++;
    const allowed = (100 * (ejected + 1)) / cluster.endpoints.length <= Math.min(100, od.maxEjectionPercent);
    if (kind === "5xx") h.consecutive5xx = 0;
    else h.consecutiveGateway = 0;
    if (!allowed) return "ejection-refused";
    const base = od.baseEjectionTimeMs;
    const max = Math.max(DEFAULT_MAX_EJECTION_TIME_MS, base);
    let backoff = currentBackoff(od, h, now);
    if (backoff * base < max + base) backoff++;
    h.backoff = backoff;
    h.ejectionMs = Math.min(base * backoff, max);
    h.ejectedAt = now;
    h.returnedAt = null;
    h.ejections++;
    return "ejected";
  }
}

function panicPercent(cluster: Cluster): number {
  return cluster.healthCheck?.panicThresholdPercent ?? cluster.trafficPolicy?.outlierDetection?.minHealthPercent ?? ENVOY_DEFAULT_PANIC_PERCENT;
}

function host(cs: ClusterState, url: string): HostState {
  let h = cs.hosts.get(url);
  if (!h) {
    h = { consecutive5xx: 0, consecutiveGateway: 0, ejectedAt: null, ejectionMs: 0, backoff: 0, returnedAt: null, ejections: 0 };
    cs.hosts.set(url, h);
  }
  return h;
}

/** First sweep at or after the end of the current ejection. */
function returnTime(cs: ClusterState, od: OutlierDetection, h: HostState): number {
  const interval = Math.max(1, od.intervalMs);
  const due = h.ejectedAt! + h.ejectionMs;
  const k = Math.max(1, Math.ceil((due - cs.origin) / interval));
  return cs.origin + k * interval;
}

/** Apply the sweeps up to `now`: return an ejected host whose time is up (Envoy checkHostForUneject). */
function settle(cs: ClusterState, od: OutlierDetection, h: HostState, now: number): void {
  if (h.ejectedAt === null) return;
  const back = returnTime(cs, od, h);
  if (now < back) return;
  h.ejectedAt = null;
  h.returnedAt = back;
  // Envoy unejectHost resets every consecutive counter so a few new errors do not re-eject.
  h.consecutive5xx = 0;
  h.consecutiveGateway = 0;
}

/** Backoff after the decay of every full interval spent in service since returning. */
function currentBackoff(od: OutlierDetection, h: HostState, now: number): number {
  if (h.returnedAt === null) return h.backoff;
  const sweeps = Math.floor((now - h.returnedAt) / Math.max(1, od.intervalMs));
  return Math.max(0, h.backoff - sweeps);
}

const OUTLIER_STATE_KEY = "outlier";

/** The isolate's detector inside the opaque SelectState (created on first use). */
export function outlierDetector(state: SelectState): OutlierDetector {
  let d = state[OUTLIER_STATE_KEY] as OutlierDetector | undefined;
  if (!d) state[OUTLIER_STATE_KEY] = d = new OutlierDetector();
  return d;
}
