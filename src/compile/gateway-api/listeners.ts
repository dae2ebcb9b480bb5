/**
 * Gateway API listeners and route attachment (GATEWAY-API-SEMANTICS §2, §3).
 *
 * All Gateways of a config form one listener set (the edge is one Worker, §2.3): two listeners on
 * one port with the same hostname conflict; both are reported and neither is served.
 * A route attaches to a listener when its protocol admits HTTPRoute, the route's namespace is
 * allowed, the parentRef's sectionName/port match, and the hostnames intersect (§3.1–3.2).
 * Everything a controller would only report in status is a warning (§1.2, §10); an unattached
 * route simply gets no traffic.
 */
import type { Diagnostics } from "../diagnostics.ts";
import type { Located } from "../input.ts";
import type { GatewayApiGateway, GatewayApiListener, HTTPRoute, Namespace, LabelSelector } from "../../config/gateway-api/index.ts";
import { GROUP, selects } from "../../config/gateway-api/index.ts";
import { intersectHosts, isWildcard } from "../hosts.ts";

export type Scheme = "http" | "https";

export interface GwListener {
  gw: Located<GatewayApiGateway>;
  /** `namespace/name` of the Gateway. */
  gwKey: string;
  index: number;
  listener: GatewayApiListener;
  scheme: Scheme;
  port: number;
  /** Lower-cased hostname, or null (every host). */
  hostname: string | null;
  /** false: unsupported protocol or conflicted (loads, serves nothing). */
  served: boolean;
}

export function collectListeners(gateways: readonly Located<GatewayApiGateway>[], diags: Diagnostics): GwListener[] {
  const out: GwListener[] = [];
  for (const gw of gateways) {
    const gwKey = `${gw.value.metadata.namespace}/${gw.value.metadata.name}`;
    gw.value.spec.listeners.forEach((l, index) => {
      const http = l.protocol === "HTTP" || l.protocol === "HTTPS";
      out.push({
        gw, gwKey, index, listener: l,
        scheme: l.protocol === "HTTPS" ? "https" : "http",
        port: l.port,
        hostname: l.hostname?.toLowerCase() ?? null,
        served: http,
      });
    });
  }
  // Distinct listeners (§2.3): (port, hostname) identifies a traffic flow across all Gateways.
  const byFlow = new Map<string, GwListener[]>();
  for (const l of out) {
    if (!l.served) continue;
    const k = `${l.port}|${l.hostname ?? ""}`;
    byFlow.set(k, [...(byFlow.get(k) ?? []), l]);
  }
  for (const list of byFlow.values()) {
    if (list.length < 2) continue;
    for (const l of list) {
      const others = list.filter((o) => o !== l).map((o) => `Gateway ${o.gwKey} listener ${o.listener.name}`);
      const reason = list.some((o) => o.listener.protocol !== l.listener.protocol) ? "ProtocolConflict" : "HostnameConflict";
      diags.warn(l.gw, ["spec", "listeners", l.index], `listener ${l.listener.name} conflicts with ${others.join(", ")} (same port ${l.port} and hostname ${l.hostname ?? "(any)"}; Conflicted=True/${reason}): neither is served`, "listener-conflict");
      l.served = false;
    }
  }
  return out;
}

/** Does the listener admit HTTPRoutes (allowedRoutes.kinds, or the protocol's default)? */
export function admitsHttpRoute(l: GwListener): boolean {
  const kinds = l.listener.allowedRoutes?.kinds;
  if (!kinds?.length) return l.listener.protocol === "HTTP" || l.listener.protocol === "HTTPS";
  return kinds.some((k) => (k.group ?? GROUP) === GROUP && k.kind === "HTTPRoute");
}

/** Labels of a namespace: its Namespace object's, plus the `kubernetes.io/metadata.name` label Kubernetes always sets. */
export function namespaceLabels(namespaces: readonly Located<Namespace>[], ns: string): Record<string, string> {
  const obj = namespaces.find((n) => n.value.metadata.name === ns);
  return { ...(obj?.value.metadata.labels ?? {}), "kubernetes.io/metadata.name": ns };
}

export function admitsNamespace(l: GwListener, routeNs: string, namespaces: readonly Located<Namespace>[]): boolean {
  const ns = l.listener.allowedRoutes?.namespaces;
  switch (ns?.from ?? "Same") {
    case "All":
      return true;
    case "Same":
      return routeNs === l.gw.value.metadata.namespace;
    case "Selector":
      return selects(ns!.selector as LabelSelector, namespaceLabels(namespaces, routeNs));
    case "None":
      return false;
  }
  return false;
}

/**
 * Effective hostnames of a route on a listener (§3.2): the intersections, each as specific as
 * the more specific side; `*` when neither side names a host.
 */
export function effectiveHostnames(listenerHost: string | null, routeHosts: readonly string[]): string[] {
  const route = routeHosts.map((h) => h.toLowerCase());
  if (listenerHost === null) return route.length ? [...new Set(route)] : ["*"];
  if (!route.length) return [listenerHost];
  return intersectHosts([listenerHost], route);
}

/** How specific a listener hostname is for selection (§2.4 step 3): exact, then longer wildcard, then none. */
function specificity(h: string | null): number {
  if (h === null) return 0;
  return isWildcard(h) ? 1 + h.length : 100_000;
}

function covers(listenerHost: string | null, host: string): boolean {
  if (listenerHost === null) return true;
  if (isWildcard(listenerHost)) return host.length > listenerHost.length - 1 && host.endsWith(listenerHost.slice(1));
  return listenerHost === host;
}

/** The listener that owns requests for `host` on (scheme, port) — listener isolation (§2.4 step 4). */
export function owningListener(listeners: readonly GwListener[], scheme: Scheme, port: number, host: string): GwListener | null {
  let best: GwListener | null = null;
  for (const l of listeners) {
    if (!l.served || l.scheme !== scheme || l.port !== port || !covers(l.hostname, host)) continue;
    if (best === null || specificity(l.hostname) > specificity(best.hostname)) best = l;
  }
  return best;
}

/** A concrete host inside a vhost domain, to ask which listener owns it. */
export function sampleHost(domain: string): string {
  if (domain === "*") return "any-host.invalid";
  return isWildcard(domain) ? `any-host${domain.slice(1)}` : domain;
}

export interface Attachment {
  listener: GwListener;
  /** Effective hostnames this route serves on the listener (after listener isolation). */
  domains: string[];
}

/** Attach one HTTPRoute (§3.1); every reason it attaches nowhere is a warning. */
export function attachRoute(
  route: Located<HTTPRoute>,
  listeners: readonly GwListener[],
  gatewayKeys: ReadonlySet<string>,
  namespaces: readonly Located<Namespace>[],
  diags: Diagnostics,
): Attachment[] {
  const r = route.value;
  const routeNs = r.metadata.namespace;
  const key = `${routeNs}/${r.metadata.name}`;
  const out = new Map<GwListener, Set<string>>();
  const refs = r.spec.parentRefs ?? [];
  if (!refs.length) diags.warn(route, ["spec"], `HTTPRoute ${key} has no parentRefs: it attaches to no Gateway and serves nothing`, "unattached");
  refs.forEach((p, i) => {
    if ((p.kind ?? "Gateway") !== "Gateway" || (p.group ?? GROUP) !== GROUP) return; // warned at load
    const gwKey = `${p.namespace ?? routeNs}/${p.name}`;
    const where = ["spec", "parentRefs", i];
    if (!gatewayKeys.has(gwKey)) {
      diags.warn(route, where, `parentRef names Gateway ${gwKey}, which is not in this config: HTTPRoute ${key} is not attached to it`, "unattached");
      return;
    }
    const ofGw = listeners.filter((l) => l.gwKey === gwKey);
    const selected = ofGw.filter((l) => (p.sectionName === undefined || l.listener.name === p.sectionName) && (p.port === undefined || l.port === p.port));
    if (!selected.length) {
      const what = [p.sectionName !== undefined ? `sectionName ${p.sectionName}` : "", p.port !== undefined ? `port ${p.port}` : ""].filter(Boolean).join(" and ");
      diags.warn(route, where, `Gateway ${gwKey} has no listener with ${what} (Accepted=False/NoMatchingParent): HTTPRoute ${key} is not attached to it`, "unattached");
      return;
    }
    const allowed = selected.filter((l) => l.served && admitsHttpRoute(l) && admitsNamespace(l, routeNs, namespaces));
    if (!allowed.length) {
      diags.warn(route, where, `no listener of Gateway ${gwKey}${p.sectionName ? ` (${p.sectionName})` : ""} admits HTTPRoute ${key} (namespace ${routeNs}, protocol or allowedRoutes; Accepted=False/NotAllowedByListeners): it is not attached`, "unattached");
      return;
    }
    let any = false;
    for (const l of allowed) {
      const domains = effectiveHostnames(l.hostname, r.spec.hostnames ?? []);
      if (!domains.length) continue;
      any = true;
      const set = out.get(l) ?? new Set<string>();
      for (const d of domains) set.add(d);
      out.set(l, set);
    }
    if (!any)
      diags.warn(route, r.spec.hostnames ? ["spec", "hostnames"] : where, `no hostname of HTTPRoute ${key} intersects a listener hostname of Gateway ${gwKey} (Accepted=False/NoMatchingListenerHostname): it is not attached`, "no-hostname-intersection");
  });
  // Listener isolation: a domain belongs to the most specific listener that covers it.
  const result: Attachment[] = [];
  for (const [l, set] of out) {
    const domains = [...set].filter((d) => owningListener(listeners, l.scheme, l.port, sampleHost(d)) === l).sort();
    if (domains.length) result.push({ listener: l, domains });
  }
  if (out.size && !result.length)
    diags.warn(
      route,
      r.spec.hostnames ? ["spec", "hostnames"] : ["spec", "parentRefs"],
      `every hostname HTTPRoute ${key} would serve is owned by a more specific listener (listener isolation): it is attached to nothing and serves nothing`,
      "unattached",
    );
  return result;
}
