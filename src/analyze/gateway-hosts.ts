/**
 * IST0132 VirtualServiceHostNotFoundInGateway (istio pkg/config/analysis/analyzers/virtualservice
 * gateways.go vsHostInGateway): for each gateway a VirtualService names (`mesh` aside), at least
 * one of its hosts must match a host of one of that Gateway's servers visible to the
 * VirtualService's namespace (`./h` = the Gateway's namespace, `*\/h` = any, no prefix = any).
 * Otherwise that gateway serves none of its hosts: typically a VirtualService bound to two
 * Gateways whose hosts match only one of them.
 */
import type { Gateway, VirtualService } from "../config/index.ts";
import { resolveGatewayName } from "../compile/gateway-names.ts";

/** Istio host.Name.Matches: equal, or one is a wildcard covering the other (`*` covers all). */
export function hostsMatch(a: string, b: string): boolean {
  a = a.toLowerCase();
  b = b.toLowerCase();
  if (a === b) return true;
  const aw = a.startsWith("*");
  const bw = b.startsWith("*");
  if (aw && bw) return a.length > b.length ? a.slice(1).endsWith(b.slice(1)) : b.slice(1).endsWith(a.slice(1));
  if (aw) return b.endsWith(a.slice(1));
  if (bw) return a.endsWith(b.slice(1));
  return false;
}

/** The server hosts of a Gateway a VirtualService of `vsNamespace` may bind (host.NamesForNamespace). */
function visibleHosts(gw: Gateway, vsNamespace: string): string[] {
  const gwNs = gw.metadata.namespace ?? "default";
  const out: string[] = [];
  for (const s of gw.spec.servers)
    for (const h of s.hosts) {
      const slash = h.indexOf("/");
      if (slash < 0) out.push(h);
      else {
        const ns = h.slice(0, slash);
        if (ns === "*" || (ns === "." ? gwNs : ns) === vsNamespace) out.push(h.slice(slash + 1));
      }
    }
  return out;
}

export interface HostNotInGateway {
  /** Index in spec.gateways. */
  index: number;
  gateway: string;
  message: string;
}

export function hostsNotInGateways(vs: VirtualService, gateways: ReadonlyMap<string, Gateway>): HostNotInGateway[] {
  const ns = vs.metadata.namespace ?? "default";
  const out: HostNotInGateway[] = [];
  (vs.spec.gateways ?? []).forEach((g, index) => {
    if (g === "mesh") return;
    const full = resolveGatewayName(g, ns);
    const gw = gateways.get(full);
    const hosts = gw ? visibleHosts(gw, ns) : [];
    if (hosts.some((gh) => (vs.spec.hosts ?? []).some((h) => hostsMatch(gh, h)))) return;
    out.push({
      index,
      gateway: full,
      message: `one or more host [${(vs.spec.hosts ?? []).join(", ")}] defined in VirtualService ${ns}/${vs.metadata.name} not found in Gateway ${full}: that gateway serves none of them (Istio IST0132)`,
    });
  });
  return out;
}
