/**
 * Load-time warnings for Gateway API fields the edge accepts but does not (fully) honour
 * (GATEWAY-API-SEMANTICS §1.1, §2.1, §2.2, §3.5, §6.7): the config loads and the operator is told
 * what is ignored. Run-time consequences (500 for an ExtensionRef, unattached routes…) are the
 * compiler's findings.
 */
import type { Report } from "../issue.ts";
import type { GatewayApiGateway } from "./gateway.ts";
import type { HTTPRoute } from "./http-route.ts";

export function gatewayApiNotes(kind: string, value: unknown, report: Report): void {
  const w = (path: ReadonlyArray<string | number>, message: string) => report("warning", path, message, "edge-ignored", "ignored");
  if (kind === "Gateway") {
    const g = value as GatewayApiGateway;
    for (const f of ["addresses", "infrastructure", "tls", "allowedListeners", "defaultScope"] as const)
      if (g.spec[f] !== undefined) w(["spec", f], `${f} has no meaning at the edge (Cloudflare assigns addresses and terminates TLS); it is ignored`);
    g.spec.listeners.forEach((l, i) => {
      if (l.tls?.certificateRefs?.length) w(["spec", "listeners", i, "tls", "certificateRefs"], "certificateRefs are ignored: Cloudflare terminates TLS with the zone's edge certificates");
      if (l.protocol !== "HTTP" && l.protocol !== "HTTPS")
        w(["spec", "listeners", i, "protocol"], `protocol ${l.protocol} is not served by an HTTP edge: the listener loads but serves nothing (Accepted=False/UnsupportedProtocol)`);
    });
    return;
  }
  if (kind === "HTTPRoute") {
    const r = value as HTTPRoute;
    if (r.spec.useDefaultGateways !== undefined) w(["spec", "useDefaultGateways"], "useDefaultGateways (experimental) is ignored: name the Gateway in parentRefs");
    r.spec.parentRefs?.forEach((p, i) => {
      const kind = p.kind ?? "Gateway";
      const group = p.group ?? "gateway.networking.k8s.io";
      if (kind !== "Gateway" || group !== "gateway.networking.k8s.io")
        w(["spec", "parentRefs", i], `parent ${group || "core"}/${kind} is not a Gateway (the mesh profile is out of scope): this parentRef attaches nothing`);
    });
    r.spec.rules?.forEach((rule, i) => {
      if (rule.sessionPersistence?.idleTimeout !== undefined)
        w(["spec", "rules", i, "sessionPersistence", "idleTimeout"], "idleTimeout was removed from GEP-1619 and is ignored");
    });
  }
}
