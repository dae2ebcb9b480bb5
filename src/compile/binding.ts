/**
 * Which VirtualServices each Gateway server serves, per host (istio:gwgen
 * buildGatewayHTTPRouteConfig, ISTIO-SEMANTICS §1.1 "How a Gateway server binds VirtualServices").
 *
 * Edge mapping (table.ts `Listener`): Cloudflare terminates TLS, so a server is bound to the
 * listener of its protocol: HTTPS ⇒ `https`; HTTP, HTTP2, GRPC, GRPC-WEB ⇒ `http`.
 *
 * Conflicts: one listener has one vhost per domain. Servers of one listener that share a port
 * are merged into it (Istio merges plain-HTTP servers of a port into one route table; HTTPS
 * servers of a port would be separated by SNI, which the edge does not see). When servers on
 * different ports of the same listener produce the same domain, the first server (Gateways in
 * creation order, servers in file order) keeps the domain and the later one is reported.
 */
import type { Diagnostics } from "./diagnostics.ts";
import type { Gateway, Located, VirtualService } from "./input.ts";
import { objectKey } from "./input.ts";
import { intersectHosts, parseServerHost } from "./hosts.ts";
import { MESH, resolveGatewayName } from "./gateway-names.ts";

export type Scheme = "http" | "https";

export interface VhostDraft {
  domain: string;
  port: number;
  httpsRedirect: boolean;
  /** VirtualService key → gateways that bind it here. */
  virtualServices: Map<string, Set<string>>;
}

export interface Bindings {
  vhosts: Record<Scheme, Map<string, VhostDraft>>;
  /** Port of the listener's first server (80/443 preferred when present), or null. */
  ports: Record<Scheme, number | null>;
}

export function schemeOf(protocol: string): Scheme {
  return protocol.toUpperCase() === "HTTPS" ? "https" : "http";
}

/** All gateway names a VirtualService names, top-level (default `mesh`) and per match (istio getGatewayNames). */
export function gatewaysOf(vs: VirtualService): Set<string> {
  const ns = vs.metadata.namespace ?? "default";
  const names = new Set((vs.spec.gateways?.length ? vs.spec.gateways : [MESH]).map((g) => resolveGatewayName(g, ns)));
  for (const rule of vs.spec.http ?? []) for (const m of rule.match ?? []) for (const g of m.gateways ?? []) names.add(resolveGatewayName(g, ns));
  return names;
}

export function bindGateways(
  gateways: readonly Located<Gateway>[],
  virtualServices: readonly Located<VirtualService>[],
  diags: Diagnostics,
): Bindings {
  const vhosts: Bindings["vhosts"] = { http: new Map(), https: new Map() };
  const serverPorts: Record<Scheme, number[]> = { http: [], https: [] };
  const named = virtualServices.map((vs) => ({ vs, key: objectKey(vs.value), gateways: gatewaysOf(vs.value) }));
  const bound = new Set<string>();
  const gatewayKeys = new Set(gateways.map((g) => objectKey(g.value)));

  for (const gw of gateways) {
    const gwKey = objectKey(gw.value);
    const gwNs = gw.value.metadata.namespace ?? "default";
    gw.value.spec.servers.forEach((server, si) => {
      const scheme = schemeOf(server.port.protocol);
      const port = server.port.number;
      const redirect = server.tls?.httpsRedirect ?? false;
      serverPorts[scheme].push(port);
      const hosts = server.hosts.map((h) => parseServerHost(h, gwNs));
      const place = (domain: string): VhostDraft | null => {
        const existing = vhosts[scheme].get(domain);
        if (!existing) {
          const draft: VhostDraft = { domain, port, httpsRedirect: redirect, virtualServices: new Map() };
          vhosts[scheme].set(domain, draft);
          return draft;
        }
        if (existing.port !== port) {
          diags.warn(gw, ["spec", "servers", si, "hosts"], `host ${domain} is already served on ${scheme} port ${existing.port}; this server (port ${port}) is ignored for it (the edge has one ${scheme} listener)`, "host-conflict");
          return null;
        }
        // require_tls is set on the vhost by any server of the port with httpsRedirect.
        existing.httpsRedirect ||= redirect;
        return existing;
      };
      for (const { vs, key, gateways: names } of named) {
        if (!names.has(gwKey) || !vs.value.spec.hosts?.length) continue;
        const vsNs = vs.value.metadata.namespace ?? "default";
        // `ns/host` server entries bind only VirtualServices of that namespace (§1.1 step 2).
        const visible = hosts.filter((h) => h.namespace === "*" || h.namespace === vsNs).map((h) => h.host);
        const domains = intersectHosts(visible, vs.value.spec.hosts.map((h) => h.toLowerCase()));
        for (const domain of domains) {
          const draft = place(domain);
          if (!draft) continue;
          let set = draft.virtualServices.get(key);
          if (!set) draft.virtualServices.set(key, (set = new Set()));
          set.add(gwKey);
          bound.add(key);
        }
      }
      // httpsRedirect: server hosts with no VirtualService still get a route-less vhost so the
      // redirect happens (istio:gwgen "create VirtualHost to redirect").
      if (redirect) for (const h of hosts) place(h.host);
    });
  }

  for (const { vs, key, gateways: names } of named) {
    if (bound.has(key) || !vs.value.spec.hosts?.length) continue;
    const real = [...names].filter((n) => n !== MESH);
    if (real.length === 0) {
      diags.warn(vs, ["spec", vs.value.spec.gateways ? "gateways" : "hosts"], `VirtualService ${key} names no gateway, so it applies to the mesh only and the edge does not serve it; add \`gateways: [<gateway name>]\``, "mesh-only");
    } else if (real.every((n) => !gatewayKeys.has(n))) {
      diags.warn(vs, ["spec", "gateways"], `VirtualService ${key} names gateway ${real.join(", ")}, which does not exist; it is not served`, "unbound");
    } else {
      diags.warn(vs, ["spec", "hosts"], `no host of VirtualService ${key} is among the hosts of the servers of ${real.filter((n) => gatewayKeys.has(n)).join(", ")}; it is not served`, "unbound");
    }
  }

  // Equal binding sets are one object: nearly every VirtualService of a large config binds to the
  // same Gateway, and compile keeps a set per host and VirtualService while it runs (issue #16
  // item 2: ≈ 200 B per host). Nothing writes into them from here on.
  const shared = new Map<string, Set<string>>();
  for (const scheme of ["http", "https"] as const)
    for (const draft of vhosts[scheme].values())
      for (const [key, set] of draft.virtualServices) {
        const id = [...set].join("\u0000");
        const known = shared.get(id);
        if (known) draft.virtualServices.set(key, known);
        else shared.set(id, set);
      }

  const preferred = (s: Scheme, std: number) => (serverPorts[s].includes(std) ? std : serverPorts[s][0] ?? null);
  return { vhosts, ports: { http: preferred("http", 80), https: preferred("https", 443) } };
}
