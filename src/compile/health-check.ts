/**
 * Active health checks (issue #13.4): Envoy has them (core.v3.HealthCheck), Istio does not expose
 * them, so the edge reads an annotation on the DestinationRule or the ServiceEntry of a host:
 *
 *   metadata.annotations["edge-gateway.dev/health-check"]:
 *     "path=/healthz; interval=10s; timeout=2s; healthy=2; unhealthy=3; statuses=200-299; host=api.example.com; panic=50"
 *
 * Keys (all optional but `path`): interval (default 10s, ≥ 1s), timeout (default 2s, ≤ interval),
 * healthy / unhealthy thresholds (Envoy healthy_threshold / unhealthy_threshold, default 2 / 3),
 * statuses: comma-separated codes or ranges counted as a pass (Envoy expected_statuses; default
 * 200), host: the authority the probe presents (default the endpoint's), panic: the cluster's
 * panic threshold in percent (Envoy healthy_panic_threshold; default Istio's minHealthPercent
 * when the cluster has outlierDetection, else Envoy's 50).
 * The DestinationRule's annotation wins over the ServiceEntry's; it applies to every subset and
 * port of the host. Istio ignores unknown annotations, so pasted files stay valid for Istio.
 */
import { parseDuration } from "../config/duration.ts";
import type { HealthCheck } from "../table/types.ts";
import { annotationItems } from "./annotation-items.ts";

export const HEALTH_CHECK_ANNOTATION = "edge-gateway.dev/health-check";
export const HEALTH_CHECK_PATH = ["metadata", "annotations", HEALTH_CHECK_ANNOTATION] as const;

export const DEFAULT_HEALTH_CHECK = { intervalMs: 10_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 3 } as const;
/** The Cron Trigger runs every minute; probes below a second would only load the origins. */
const MIN_INTERVAL_MS = 1_000;

export type HealthCheckReport = (severity: "error" | "warning", message: string) => void;

function parseStatuses(v: string): Array<[number, number]> | string {
  const out: Array<[number, number]> = [];
  for (const part of v.split(",").map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(part);
    if (!m) return `statuses: expected codes or ranges like "200,204" or "200-299", got ${JSON.stringify(part)}`;
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    if (from < 100 || to > 599 || from > to) return `statuses: ${part} is not a range of HTTP status codes (100-599)`;
    out.push([from, to]);
  }
  if (out.length === 0) return "statuses: expected at least one code";
  return out;
}

/** Parses the annotation value; every problem is reported, and any error makes the result undefined. */
export function parseHealthCheck(value: string, report: HealthCheckReport): HealthCheck | undefined {
  let ok = true;
  const bad = (m: string) => {
    report("error", m);
    ok = false;
  };
  const hc: Partial<HealthCheck> = { ...DEFAULT_HEALTH_CHECK, expectedStatuses: [[200, 200]] };
  for (const [key, v] of annotationItems(value, "path, interval, timeout, healthy, unhealthy, statuses, host, panic", bad)) {
    switch (key) {
      case "path":
        if (/^\/[\x21-\x7e]*$/.test(v)) hc.path = v;
        else bad(`path must start with "/" and contain no spaces or control characters, got ${JSON.stringify(v)}`);
        break;
      case "interval":
      case "timeout": {
        const ms = parseDuration(v);
        if (ms === null || ms <= 0) bad(`${key} must be a duration like "10s" or "500ms", got ${JSON.stringify(v)}`);
        else if (key === "interval") hc.intervalMs = ms;
        else hc.timeoutMs = ms;
        break;
      }
      case "healthy":
      case "unhealthy": {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1 || n > 100) bad(`${key} must be a whole number of consecutive probes (1-100), got ${JSON.stringify(v)}`);
        else if (key === "healthy") hc.healthyThreshold = n;
        else hc.unhealthyThreshold = n;
        break;
      }
      case "statuses": {
        const s = parseStatuses(v);
        if (typeof s === "string") bad(s);
        else hc.expectedStatuses = s;
        break;
      }
      case "host":
        if (/^[A-Za-z0-9.-]+(:\d+)?$/.test(v)) hc.host = v.toLowerCase();
        else bad(`host must be a DNS name (optionally :port), got ${JSON.stringify(v)}`);
        break;
      case "panic": {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0 || n > 100) bad(`panic must be a percentage 0-100, got ${JSON.stringify(v)}`);
        else hc.panicThresholdPercent = n;
        break;
      }
      default:
        bad(`unknown key "${key}" (keys: path, interval, timeout, healthy, unhealthy, statuses, host, panic)`);
    }
  }
  if (hc.path === undefined) bad(`path is required, e.g. "path=/healthz"`);
  if (hc.intervalMs! < MIN_INTERVAL_MS) bad(`interval must be at least 1s, got ${hc.intervalMs} ms`);
  if (hc.timeoutMs! > hc.intervalMs!) bad(`timeout (${hc.timeoutMs} ms) must not exceed interval (${hc.intervalMs} ms)`);
  if (hc.intervalMs! < 60_000 && 60_000 % hc.intervalMs! !== 0) {
    report("warning", `interval ${hc.intervalMs} ms does not divide the Cron Trigger's minute; each minute's run probes at this interval from its start`);
  }
  return ok ? (hc as HealthCheck) : undefined;
}
