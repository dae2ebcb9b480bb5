/**
 * DestinationRule trafficPolicy layering and conversion (istio:cluster MergeTrafficPolicy,
 * ISTIO-SEMANTICS §1.3 "Policy layering", §5 item 20):
 *  1. DR-level policy; its `portLevelSettings` entry for the cluster port replaces loadBalancer,
 *     connectionPool, outlierDetection and tls wholesale (omitted ones fall back to defaults, not
 *     to the DR-level values);
 *  2. the subset's policy replaces each top-level field it sets (no deep merge);
 *  3. the subset's own portLevelSettings for the port replace those four fields again.
 */
import type { LoadBalancer, OutlierDetection, TrafficPolicy } from "../table/types.ts";
import type { IstioOutlierDetection, IstioTrafficPolicy, LoadBalancerSettings, PortTrafficPolicy, ClientTLSSettings } from "./input.ts";
import { parseDuration } from "../config/duration.ts";

/** The fields of a policy that matter after layering. */
export interface LayeredPolicy {
  loadBalancer?: LoadBalancerSettings;
  outlierDetection?: IstioOutlierDetection;
  tls?: ClientTLSSettings;
}

function portLevel(policy: IstioTrafficPolicy, port: number | undefined): PortTrafficPolicy | undefined {
  if (port === undefined) return undefined;
  return policy.portLevelSettings?.find((p) => p.port?.number === port);
}

function withPort(base: LayeredPolicy, policy: IstioTrafficPolicy, port: number | undefined): LayeredPolicy {
  const p = portLevel(policy, port);
  if (!p) return base;
  return { loadBalancer: p.loadBalancer, outlierDetection: p.outlierDetection, tls: p.tls };
}

export function layerPolicies(
  drPolicy: IstioTrafficPolicy | undefined,
  subsetPolicy: IstioTrafficPolicy | undefined,
  port: number | undefined,
): LayeredPolicy {
  let merged: LayeredPolicy = {};
  if (drPolicy) {
    merged = withPort({ loadBalancer: drPolicy.loadBalancer, outlierDetection: drPolicy.outlierDetection, tls: drPolicy.tls }, drPolicy, port);
  }
  if (subsetPolicy) {
    merged = { ...merged };
    if (subsetPolicy.loadBalancer) merged.loadBalancer = subsetPolicy.loadBalancer;
    if (subsetPolicy.outlierDetection) merged.outlierDetection = subsetPolicy.outlierDetection;
    if (subsetPolicy.tls) merged.tls = subsetPolicy.tls;
    merged = withPort(merged, subsetPolicy, port);
  }
  return merged;
}

// Envoy outlier detection defaults where Istio leaves a field unset (§1.3 outlierDetection).
export const OUTLIER_DEFAULTS = {
  consecutive5xxErrors: 5,
  intervalMs: 10_000,
  baseEjectionTimeMs: 30_000,
  maxEjectionPercent: 10,
  minHealthPercent: 0,
} as const;

function ms(d: string | undefined, fallback: number): number {
  return (d !== undefined ? parseDuration(d) : null) ?? fallback;
}

export function outlierDetection(o: IstioOutlierDetection): OutlierDetection {
  const out: OutlierDetection = {
    consecutive5xxErrors: OUTLIER_DEFAULTS.consecutive5xxErrors,
    intervalMs: ms(o.interval, OUTLIER_DEFAULTS.intervalMs),
    baseEjectionTimeMs: ms(o.baseEjectionTime, OUTLIER_DEFAULTS.baseEjectionTimeMs),
    maxEjectionPercent: o.maxEjectionPercent ?? OUTLIER_DEFAULTS.maxEjectionPercent,
    minHealthPercent: o.minHealthPercent ?? OUTLIER_DEFAULTS.minHealthPercent,
  };
  // Deprecated `consecutiveErrors` counts gateway errors only and disables 5xx ejection
  // (istio:cluster applyOutlierDetection, istio/api#617).
  if (o.consecutiveErrors !== undefined && o.consecutiveErrors > 0) {
    out.consecutiveGatewayErrors = o.consecutiveErrors;
    out.consecutive5xxErrors = 0;
  }
  if (o.consecutiveGatewayErrors !== undefined) out.consecutiveGatewayErrors = o.consecutiveGatewayErrors;
  if (o.consecutive5xxErrors !== undefined) out.consecutive5xxErrors = o.consecutive5xxErrors;
  return out;
}

export function loadBalancer(lb: LoadBalancerSettings): LoadBalancer | undefined {
  const ch = lb.consistentHash;
  if (ch) {
    if (ch.httpHeaderName !== undefined) return { consistentHash: { httpHeaderName: ch.httpHeaderName.toLowerCase() } };
    if (ch.httpCookie !== undefined) {
      const cookie: { name: string; path?: string; ttlSeconds?: number } = { name: ch.httpCookie.name };
      if (ch.httpCookie.path !== undefined) cookie.path = ch.httpCookie.path;
      if (ch.httpCookie.ttl !== undefined) {
        // Set-Cookie Max-Age is whole seconds; ttl 0 ⇒ session cookie (§1.3 httpCookie).
        const t = parseDuration(ch.httpCookie.ttl);
        if (t !== null) cookie.ttlSeconds = Math.floor(t / 1000);
      }
      return { consistentHash: { httpCookie: cookie } };
    }
    if (ch.useSourceIp) return { consistentHash: { useSourceIp: true } };
    if (ch.httpQueryParameterName !== undefined) return { consistentHash: { httpQueryParameterName: ch.httpQueryParameterName } };
  }
  switch (lb.simple) {
    case "ROUND_ROBIN":
    case "RANDOM":
    case "PASSTHROUGH":
      return { simple: lb.simple };
    // UNSPECIFIED ⇒ Istio's default LEAST_REQUEST; LEAST_CONN is its deprecated alias.
    case "UNSPECIFIED":
    case "LEAST_CONN":
    case "LEAST_REQUEST":
      return { simple: "LEAST_REQUEST" };
    case undefined:
      return undefined;
  }
}

/** Table form of a layered policy; undefined when nothing is set (Istio defaults: LEAST_REQUEST, no outlier detection). */
export function tablePolicy(p: LayeredPolicy): TrafficPolicy | undefined {
  const out: TrafficPolicy = {};
  const lb = p.loadBalancer ? loadBalancer(p.loadBalancer) : undefined;
  if (lb) out.loadBalancer = lb;
  if (p.outlierDetection) out.outlierDetection = outlierDetection(p.outlierDetection);
  const mode = p.tls?.mode;
  // ISTIO_MUTUAL is ignored at the edge (mesh certificates do not exist here; edge-notes.ts warns).
  if (mode === "DISABLE" || mode === "SIMPLE" || mode === "MUTUAL") {
    out.tls = { mode };
    if (p.tls?.sni !== undefined) out.tls.sni = p.tls.sni;
  }
  return out.loadBalancer || out.outlierDetection || out.tls ? out : undefined;
}
