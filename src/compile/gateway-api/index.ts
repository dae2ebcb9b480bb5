/**
 * The Gateway API front-end (DESIGN.md §10): Gateways, HTTPRoutes, ReferenceGrants and Namespaces
 * → virtual-host drafts per (scheme, port), each with its routes already in HTTPRoute precedence
 * order (precedence.ts), so the Worker keeps its one first-match loop.
 *
 *   listeners  all Gateways' listeners as one set; conflicts reported (listeners.ts)
 *   attach     parentRefs × listeners × hostnames, listener isolation (listeners.ts)
 *   rules      each attached route's rules compiled once (rule.ts, backends.ts)
 *   vhosts     one per effective hostname on a listener, plus an empty one per listener hostname
 *              so a request owned by a listener never falls through to a less specific one
 */
import type { Route } from "../../table/types.ts";
import type { Diagnostics } from "../diagnostics.ts";
import type { ConfigObjects, Located } from "../input.ts";
import type { Destinations } from "../destinations.ts";
import type { Upstreams } from "../upstreams.ts";
import type { HTTPRoute } from "../../config/gateway-api/index.ts";
import { attachRoute, collectListeners, type Scheme } from "./listeners.ts";
import { Backends, type ServiceResolver } from "./backends.ts";
import { compileGatewayApiRule, type GatewayApiRule } from "./rule.ts";
import { comparePrecedence } from "./precedence.ts";
import { backendFor } from "../backends.ts";

export interface GatewayApiVhost {
  domain: string;
  port: number;
  routes: Route[];
}

export interface GatewayApiOutput {
  /** scheme → listener port → domain → vhost. */
  vhosts: Record<Scheme, Map<number, Map<string, GatewayApiVhost>>>;
  /** Schemes that have at least one served listener. */
  schemes: Set<Scheme>;
}

/**
 * Kubernetes Service names resolve like Istio destinations (compile/backends.ts backendFor, §7.4):
 * a ServiceEntry declaring the port, or an origins-file entry for `host:port` (or `host`).
 * A public DNS lookup is never an answer here.
 */
export function serviceEntryResolver(upstreams: Upstreams): ServiceResolver {
  return {
    serves(host, port) {
      const b = backendFor(host, port, upstreams);
      if (b.kind === "service-entry") return (b.serviceEntry.value.spec.ports ?? []).some((p) => p.number === port);
      return b.kind === "origins";
    },
  };
}

function byCreation<T extends { metadata: { name: string; namespace: string; creationTimestamp?: string | undefined } }>(list: readonly Located<T>[]): Located<T>[] {
  const t = (o: Located<T>) => (o.value.metadata.creationTimestamp !== undefined ? Date.parse(o.value.metadata.creationTimestamp) : 0);
  const k = (o: Located<T>) => `${o.value.metadata.namespace}/${o.value.metadata.name}`;
  return [...list].sort((a, b) => t(a) - t(b) || (k(a) < k(b) ? -1 : k(a) > k(b) ? 1 : 0));
}

export function compileGatewayApi(
  objects: ConfigObjects,
  ctx: { diags: Diagnostics; destinations: Destinations; services: ServiceResolver },
): GatewayApiOutput {
  const { diags } = ctx;
  const out: GatewayApiOutput = { vhosts: { http: new Map(), https: new Map() }, schemes: new Set() };
  if (!objects.k8sGateways.length && !objects.httpRoutes.length) return out;

  const gateways = byCreation(objects.k8sGateways);
  const listeners = collectListeners(gateways, diags);
  const gatewayKeys = new Set(listeners.map((l) => l.gwKey));
  for (const g of gateways) gatewayKeys.add(`${g.value.metadata.namespace}/${g.value.metadata.name}`);
  const backends = new Backends(objects.referenceGrants, ctx.services, ctx.destinations, diags);

  const vhostOf = (scheme: Scheme, port: number, domain: string): GatewayApiVhost => {
    let ports = out.vhosts[scheme].get(port);
    if (!ports) out.vhosts[scheme].set(port, (ports = new Map()));
    let v = ports.get(domain);
    if (!v) ports.set(domain, (v = { domain, port, routes: [] }));
    return v;
  };
  // Every served listener owns its hostname, even without routes (listener isolation, §2.4).
  for (const l of listeners) {
    if (!l.served) continue;
    out.schemes.add(l.scheme);
    vhostOf(l.scheme, l.port, l.hostname ?? "*");
  }

  const routes = byCreation(objects.httpRoutes);
  const compiled = new Map<Located<HTTPRoute>, GatewayApiRule[]>();
  for (const route of routes) {
    const attachments = attachRoute(route, listeners, gatewayKeys, objects.namespaces, diags);
    if (!attachments.length) continue;
    let rules = compiled.get(route);
    if (!rules) {
      const list = route.value.spec.rules?.length ? route.value.spec.rules : [{}];
      rules = list.map((rule, i) => compileGatewayApiRule(route, rule, i, { diags, backends }));
      compiled.set(route, rules);
    }
    const key = `${route.value.metadata.namespace}/${route.value.metadata.name}`;
    for (const a of attachments)
      for (const domain of a.domains) {
        const v = vhostOf(a.listener.scheme, a.listener.port, domain);
        if (v.routes.some((r) => r.virtualService === key)) continue; // attached twice to one listener
        for (const rule of rules)
          for (const m of rule.matches)
            v.routes.push({
              name: rule.name,
              virtualService: key,
              ruleIndex: rule.ruleIndex,
              matchIndex: m.index,
              source: rule.source,
              match: m.match,
              precedence: m.precedence,
              ...rule.body,
            });
      }
  }
  for (const ports of Object.values(out.vhosts))
    for (const domains of ports.values()) for (const v of domains.values()) v.routes.sort((a, b) => comparePrecedence(a.precedence!, b.precedence!).order);
  return out;
}
