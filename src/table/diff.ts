/**
 * What changes between two compiled tables, in the terms an operator reviews a change in: hosts
 * added/removed, per host the routes added/removed/changed (by route name, with each changed
 * field before → after), a changed route order (first match wins, so order is meaning), and the
 * upstream clusters whose endpoints or policy changed.
 */
import { routeRetries, type Cluster, type Route, type RouteTable, type VirtualHost } from "./types.ts";
import {
  describeAction,
  describeCors,
  describeFault,
  describeHeaders,
  describeMatch,
  describeMirrors,
  describeRetries,
  describeRewrite,
  describeTimeout,
} from "./describe.ts";

export interface FieldChange {
  field: string;
  before: string;
  after: string;
}

export interface HostDiff {
  host: string;
  httpsRedirect?: FieldChange;
  /** `position` is 1-based in the new route list: where a route lands decides what it shadows. */
  routesAdded: Array<{ name: string; summary: string; position: number; of: number }>;
  routesRemoved: Array<{ name: string; summary: string }>;
  routesChanged: Array<{ name: string; changes: FieldChange[] }>;
  /** Route names in the old and new order when the relative order of kept routes changed. */
  order?: { before: string[]; after: string[] };
}

export interface TableDiff {
  hostsAdded: Array<{ host: string; routes: Array<{ name: string; summary: string }> }>;
  hostsRemoved: string[];
  hostsChanged: HostDiff[];
  clustersAdded: string[];
  clustersRemoved: string[];
  clustersChanged: Array<{ cluster: string; changes: FieldChange[] }>;
}

/** Route fields compared, each with a human formatter. `source` is left out: moving lines is not a change. */
const ROUTE_FIELDS: Array<[string, (r: Route) => string]> = [
  ["match", (r) => describeMatch(r.match)],
  ["action", (r) => describeAction(r.action)],
  ["rewrite", (r) => describeRewrite(r.rewrite)],
  ["headers", (r) => describeHeaders(r.headers)],
  ["timeout", (r) => describeTimeout(r.timeoutMs)],
  ["retries", (r) => describeRetries(routeRetries(r))],
  ["fault", (r) => describeFault(r.fault)],
  ["mirrors", (r) => describeMirrors(r.mirrors)],
  ["corsPolicy", (r) => describeCors(r.corsPolicy)],
  ["virtualService", (r) => r.virtualService],
];

/** Raw sub-objects compared when their description is equal but the data is not (e.g. a regex flag). */
const ROUTE_RAW: Array<[string, (r: Route) => unknown]> = [
  ["match", (r) => r.match],
  ["action", (r) => r.action],
  ["rewrite", (r) => r.rewrite],
  ["headers", (r) => r.headers],
  ["retries", (r) => routeRetries(r)],
  ["corsPolicy", (r) => r.corsPolicy],
];

export function summarizeRoute(r: Route): string {
  return `${describeMatch(r.match)} → ${describeAction(r.action)}`;
}

function stable(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "undefined";
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stable(o[k])}`)
    .join(",")}}`;
}

function diffRoute(a: Route, b: Route): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const [field, fmt] of ROUTE_FIELDS) {
    const before = fmt(a);
    const after = fmt(b);
    if (before !== after) changes.push({ field, before, after });
  }
  for (const [field, get] of ROUTE_RAW) {
    if (changes.some((c) => c.field === field)) continue;
    const before = stable(get(a));
    const after = stable(get(b));
    if (before !== after) changes.push({ field, before, after });
  }
  return changes;
}

/** Route keys unique within a vhost: the name, disambiguated by VirtualService, then by position. */
function keyedRoutes(vh: VirtualHost): Map<string, Route> {
  const routes = vh.routes; // once: a lazy table (the CLI's lowMemory build) expands them on every read
  const count = new Map<string, number>();
  for (const r of routes) count.set(r.name, (count.get(r.name) ?? 0) + 1);
  const out = new Map<string, Route>();
  for (const r of routes) {
    let key = count.get(r.name)! > 1 ? `${r.name} (${r.virtualService})` : r.name;
    for (let n = 2; out.has(key); n++) key = `${r.name} (${r.virtualService} #${n})`;
    out.set(key, r);
  }
  return out;
}

function hostMap(table: RouteTable | null): Map<string, VirtualHost> {
  const m = new Map<string, VirtualHost>();
  for (const vh of table?.vhosts ?? []) m.set(`${vh.domain}|${vh.port}`, vh);
  return m;
}

export function diffTables(before: RouteTable | null, after: RouteTable): TableDiff {
  const a = hostMap(before);
  const b = hostMap(after);
  // Show the port only for a domain served on more than one port.
  const ports = new Map<string, Set<number>>();
  for (const vh of [...a.values(), ...b.values()]) ports.set(vh.domain, (ports.get(vh.domain) ?? new Set()).add(vh.port));
  const label = (vh: VirtualHost) => (ports.get(vh.domain)!.size > 1 ? `${vh.domain} (port ${vh.port})` : vh.domain);

  const diff: TableDiff = { hostsAdded: [], hostsRemoved: [], hostsChanged: [], clustersAdded: [], clustersRemoved: [], clustersChanged: [] };
  for (const [key, vh] of b) {
    if (a.has(key)) continue;
    diff.hostsAdded.push({ host: label(vh), routes: [...keyedRoutes(vh)].map(([name, r]) => ({ name, summary: summarizeRoute(r) })) });
  }
  for (const [key, vh] of a) if (!b.has(key)) diff.hostsRemoved.push(label(vh));
  for (const [key, nv] of b) {
    const ov = a.get(key);
    if (!ov) continue;
    const hd = diffHost(label(nv), ov, nv);
    if (hd) diff.hostsChanged.push(hd);
  }
  const ca = before?.clusters ?? {};
  const cb = after.clusters;
  for (const k of Object.keys(cb).sort()) {
    if (!(k in ca)) diff.clustersAdded.push(k);
    else {
      const changes = diffCluster(ca[k]!, cb[k]!);
      if (changes.length) diff.clustersChanged.push({ cluster: k, changes });
    }
  }
  for (const k of Object.keys(ca).sort()) if (!(k in cb)) diff.clustersRemoved.push(k);
  return diff;
}

function diffHost(host: string, a: VirtualHost, b: VirtualHost): HostDiff | null {
  const ra = keyedRoutes(a);
  const rb = keyedRoutes(b);
  const hd: HostDiff = { host, routesAdded: [], routesRemoved: [], routesChanged: [] };
  if (a.httpsRedirect !== b.httpsRedirect) {
    hd.httpsRedirect = { field: "httpsRedirect", before: String(a.httpsRedirect), after: String(b.httpsRedirect) };
  }
  [...rb].forEach(([name, r], i) => {
    if (!ra.has(name)) hd.routesAdded.push({ name, summary: summarizeRoute(r), position: i + 1, of: rb.size });
  });
  for (const [name, r] of ra) if (!rb.has(name)) hd.routesRemoved.push({ name, summary: summarizeRoute(r) });
  for (const [name, r] of rb) {
    const old = ra.get(name);
    if (!old) continue;
    const changes = diffRoute(old, r);
    if (changes.length) hd.routesChanged.push({ name, changes });
  }
  const keptBefore = [...ra.keys()].filter((k) => rb.has(k));
  const keptAfter = [...rb.keys()].filter((k) => ra.has(k));
  if (keptBefore.join("\n") !== keptAfter.join("\n")) hd.order = { before: [...ra.keys()], after: [...rb.keys()] };
  const empty = !hd.httpsRedirect && !hd.order && !hd.routesAdded.length && !hd.routesRemoved.length && !hd.routesChanged.length;
  return empty ? null : hd;
}

function describeEndpoints(c: Cluster): string {
  if (c.endpoints.length === 0) return "no endpoints (503)";
  return c.endpoints
    .map((e) => {
      const labels = Object.entries(e.labels ?? {}).map(([k, v]) => `${k}=${v}`);
      return `${e.url}${labels.length ? ` {${labels.join(",")}}` : ""}${e.weight !== 1 ? ` weight ${e.weight}` : ""}`;
    })
    .join(", ");
}

function diffCluster(a: Cluster, b: Cluster): FieldChange[] {
  const changes: FieldChange[] = [];
  const ea = describeEndpoints(a);
  const eb = describeEndpoints(b);
  if (ea !== eb) changes.push({ field: "endpoints", before: ea, after: eb });
  const pa = stable(a.trafficPolicy ?? null);
  const pb = stable(b.trafficPolicy ?? null);
  if (pa !== pb) changes.push({ field: "trafficPolicy", before: pa === "null" ? "none" : pa, after: pb === "null" ? "none" : pb });
  if (a.external !== b.external) changes.push({ field: "external", before: String(a.external), after: String(b.external) });
  return changes;
}

export function isEmptyDiff(d: TableDiff): boolean {
  return (
    !d.hostsAdded.length && !d.hostsRemoved.length && !d.hostsChanged.length &&
    !d.clustersAdded.length && !d.clustersRemoved.length && !d.clustersChanged.length
  );
}

export function formatDiff(d: TableDiff): string[] {
  if (isEmptyDiff(d)) return ["no changes"];
  const out: string[] = [];
  for (const h of d.hostsAdded) {
    out.push(`+ host ${h.host}`);
    for (const r of h.routes) out.push(`    + route ${r.name}: ${r.summary}`);
  }
  for (const h of d.hostsRemoved) out.push(`- host ${h}`);
  for (const h of d.hostsChanged) {
    out.push(`~ host ${h.host}`);
    if (h.httpsRedirect) out.push(`    httpsRedirect: ${h.httpsRedirect.before} → ${h.httpsRedirect.after}`);
    for (const r of h.routesAdded) out.push(`    + route ${r.name} (position ${r.position} of ${r.of}): ${r.summary}`);
    for (const r of h.routesRemoved) out.push(`    - route ${r.name}: ${r.summary}`);
    for (const r of h.routesChanged) {
      out.push(`    ~ route ${r.name}`);
      for (const c of r.changes) out.push(`        ${c.field}: ${c.before} → ${c.after}`);
    }
    if (h.order) {
      out.push(`    route order (first match wins):`);
      out.push(`        before: ${h.order.before.join(", ")}`);
      out.push(`        after:  ${h.order.after.join(", ")}`);
    }
  }
  for (const c of d.clustersAdded) out.push(`+ upstream ${c}`);
  for (const c of d.clustersRemoved) out.push(`- upstream ${c}`);
  for (const c of d.clustersChanged) {
    out.push(`~ upstream ${c.cluster}`);
    for (const ch of c.changes) out.push(`    ${ch.field}: ${ch.before} → ${ch.after}`);
  }
  return out;
}
