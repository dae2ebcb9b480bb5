/**
 * Where a destination's traffic goes (DESIGN.md §3, §9): one pure function both front-ends call
 * (VirtualService destinations here, Gateway API backendRefs `NAME.NS.svc.cluster.local:P`).
 *
 *  1. a ServiceEntry naming the host (exact, then the longest wildcard) → its endpoints;
 *  2. else an origins file entry (`host:port`, then `host` for every port) → its URLs;
 *  3. else a Kubernetes name (short, `NAME.NS`, `*.svc.cluster.local`) → **missing**: Istio
 *     accepts the config and Envoy answers 503 with an empty body (no cluster, flag NC,
 *     ISTIO-SEMANTICS §2.2); such a name is never looked up in public DNS;
 *  4. else a public DNS name, reached over https (today's rule).
 */
import type { Located, ServiceEntry } from "./input.ts";
import type { OriginEntry } from "../config/origins.ts";
import { originsLine, serviceEntryLine } from "../config/origins.ts";
import { DEFAULT_NAMESPACE, isClusterName, serviceOf } from "../config/k8s-names.ts";

export type Backend =
  | { kind: "service-entry"; host: string; serviceEntry: Located<ServiceEntry> }
  | { kind: "origins"; host: string; entry: OriginEntry }
  | { kind: "dns"; host: string }
  | { kind: "missing"; host: string; port?: number };

/** What backendFor needs to know (Upstreams implements it). */
export interface BackendLookup {
  serviceEntry(host: string): Located<ServiceEntry> | undefined;
  origins(host: string): readonly OriginEntry[];
}

/** `host` must already be qualified (Upstreams.qualify / k8s-names.ts qualifyHost). */
export function backendFor(host: string, port: number | undefined, lookup: BackendLookup): Backend {
  const se = lookup.serviceEntry(host);
  if (se) return { kind: "service-entry", host, serviceEntry: se };
  const entry = originFor(lookup.origins(host), port);
  if (entry) return { kind: "origins", host, entry };
  if (isClusterName(host)) return port === undefined ? { kind: "missing", host } : { kind: "missing", host, port };
  return { kind: "dns", host };
}

/**
 * The entry serving `port`: `host:port`, else the port-less `host` entry. Without a port: the
 * port-less entry, else the only entry, else the lowest port (Destinations warns that it is ambiguous).
 */
export function originFor(entries: readonly OriginEntry[], port: number | undefined): OriginEntry | undefined {
  if (entries.length === 0) return undefined;
  if (port !== undefined) return entries.find((e) => e.port === port) ?? entries.find((e) => e.port === undefined);
  return entries.find((e) => e.port === undefined) ?? [...entries].sort((a, b) => a.port! - b.port!)[0];
}

/** The Service ports the origins of a host declare (sorted), for a destination that names no port. */
export function originPorts(entries: readonly OriginEntry[]): number[] {
  return [...new Set(entries.flatMap((e) => (e.port === undefined ? [] : [e.port])))].sort((a, b) => a - b);
}

/**
 * The warning for a missing origin (like istioctl IST0101 ReferencedResourceNotFound): names the
 * host and gives both ready-to-paste fixes.
 */
export function missingOriginMessage(written: string, host: string, port: number | undefined): string {
  const ns = serviceOf(host)?.namespace ?? DEFAULT_NAMESPACE;
  const as = written.toLowerCase() === host ? "" : ` (${JSON.stringify(written)} read as a Kubernetes Service name)`;
  return (
    `no origin serves ${host}${port !== undefined ? ` port ${port}` : ""}${as}: the config is accepted and requests routed there get 503 (as Envoy answers for a missing cluster). ` +
    `Add to routes/origins.yaml under origins: "${originsLine(host, port)}" or add a ServiceEntry: ${serviceEntryLine(host, port, ns)}`
  );
}
