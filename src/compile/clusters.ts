/**
 * Upstream clusters (table.ts `Cluster`): one per (host, subset, port) that a route or mirror
 * references. Endpoints come from the ServiceEntry naming the host (DESIGN.md §3,
 * ISTIO-SEMANTICS §1.4), else from the origins file (config/origins.ts: URLs as written, labels
 * for subsets); a host neither names is a public DNS name reached over https (backends.ts; a
 * Kubernetes name neither serves never gets here: its destinations have no cluster).
 */
import type { Cluster, Endpoint } from "../table/types.ts";
import type { ServicePort, WorkloadEntry } from "./input.ts";
import type { Upstreams } from "./upstreams.ts";
import { originFor } from "./backends.ts";

const HTTPS_PROTOCOLS = new Set(["HTTPS", "TLS"]);
const DEFAULT_PORT = { http: 80, https: 443 } as const;

/** The ServiceEntry port a cluster uses: the given number, else the first declared port. */
export function servicePort(ports: readonly ServicePort[] | undefined, port: number | undefined): ServicePort | undefined {
  if (!ports?.length) return undefined;
  return port === undefined ? ports[0] : ports.find((p) => p.number === port);
}

function scheme(sePort: ServicePort | undefined, port: number | undefined, tlsMode: string | undefined): "http" | "https" {
  // DestinationRule tls SIMPLE/MUTUAL is TLS origination: the edge speaks https to the origin.
  if (tlsMode === "SIMPLE" || tlsMode === "MUTUAL") return "https";
  const protocol = sePort?.protocol?.toUpperCase();
  if (protocol !== undefined) return HTTPS_PROTOCOLS.has(protocol) ? "https" : "http";
  // No protocol declared: Istio would sniff; at the edge 443 means https, anything else http.
  return (sePort?.number ?? port) === 443 ? "https" : "http";
}

/** `http://host:port` without the scheme's default port; IPv6 literals in brackets (RFC 3986 §3.2.2). */
export function originUrl(s: "http" | "https", address: string, port: number | undefined): string {
  const host = address.includes(":") && !address.startsWith("[") ? `[${address}]` : address;
  return port === undefined || port === DEFAULT_PORT[s] ? `${s}://${host}` : `${s}://${host}:${port}`;
}

function selects(labels: Record<string, string> | undefined, selector: Record<string, string> | undefined): boolean {
  for (const [k, v] of Object.entries(selector ?? {})) if (labels?.[k] !== v) return false;
  return true;
}

export function buildCluster(host: string, subset: string | undefined, port: number | undefined, upstreams: Upstreams): Cluster {
  const trafficPolicy = upstreams.policy(host, subset, port);
  const selector = subset !== undefined ? upstreams.subset(host, subset)?.labels : undefined;
  const se = upstreams.serviceEntry(host);
  const origin = se ? undefined : originFor(upstreams.origins(host), port);
  const cluster: Cluster = { host, endpoints: [], external: se === undefined && origin === undefined };
  if (subset !== undefined) cluster.subset = subset;
  if (port !== undefined) cluster.port = port;
  if (trafficPolicy) cluster.trafficPolicy = trafficPolicy;

  let endpoints: Endpoint[];
  if (origin) {
    endpoints = origin.endpoints.map((o) => {
      const e: Endpoint = { url: o.url, weight: o.weight };
      if (o.labels) e.labels = { ...o.labels };
      return e;
    });
  } else if (!se) {
    // Public DNS name over https; it carries no labels, so a subset with labels selects nothing.
    endpoints = [{ url: originUrl("https", host, port), weight: 1 }];
  } else {
    const spec = se.value.spec;
    const sePort = servicePort(spec.ports, port);
    const s = scheme(sePort, port, trafficPolicy?.tls?.mode);
    let entries: WorkloadEntry[] = spec.endpoints ?? [];
    // resolution DNS (and NONE: the client's own resolution) with no endpoints: the host itself
    // is the origin (§1.4). STATIC without endpoints has nothing to send to.
    if (!entries.length && spec.resolution !== "STATIC") entries = [{ address: host }];
    endpoints = [];
    for (const ep of entries) {
      if (!ep.address) continue;
      const named = sePort?.name !== undefined ? ep.ports?.[sePort.name] : undefined;
      const epPort = named ?? sePort?.targetPort ?? sePort?.number ?? port;
      const e: Endpoint = { url: originUrl(s, ep.address, epPort), weight: ep.weight || 1 };
      if (ep.labels && Object.keys(ep.labels).length) e.labels = { ...ep.labels };
      endpoints.push(e);
    }
  }
  cluster.endpoints = endpoints.filter((e) => selects(e.labels, selector));
  return cluster;
}
