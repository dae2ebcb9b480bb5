/**
 * backendRefs → table destinations (GATEWAY-API-SEMANTICS §7).
 *
 * A Service backend `{name: N, namespace: NS (default: the route's), port: P}` is the host
 * `N.NS.svc.cluster.local` port P, served by the ServiceEntry (or origins line) declaring it —
 * never a public DNS lookup (§7.4). `group: networking.istio.io, kind: Hostname` names a
 * ServiceEntry host directly (Istio's extension). Anything else is a backend the controller would
 * flag `ResolvedRefs=False`: it loads with a warning and its share of the traffic gets 500 (§7.3).
 * A backend in another namespace needs a ReferenceGrant there (GEP-709, §3.4).
 */
import type { Diagnostics } from "../diagnostics.ts";
import type { Located } from "../input.ts";
import type { Destinations } from "../destinations.ts";
import type { Destination } from "../../table/types.ts";
import type { BackendObjectReference, HTTPRoute, ReferenceGrant } from "../../config/gateway-api/index.ts";
import { GROUP } from "../../config/gateway-api/index.ts";
import { originsLine, serviceEntryLine } from "../../config/origins.ts";

/** Does a Kubernetes name resolve to an origin? (ServiceEntry today; the origins file when it lands.) */
export interface ServiceResolver {
  /** true when some ServiceEntry (or origins line) serves `host` on `port`. */
  serves(host: string, port: number): boolean;
}

export type ResolvedBackend = { ok: true; destination: Destination } | { ok: false; reason: string; host: string; port?: number };

export class Backends {
  private readonly grants: readonly Located<ReferenceGrant>[];
  private readonly services: ServiceResolver;
  private readonly destinations: Destinations;
  private readonly diags: Diagnostics;

  constructor(grants: readonly Located<ReferenceGrant>[], services: ServiceResolver, destinations: Destinations, diags: Diagnostics) {
    this.grants = grants;
    this.services = services;
    this.destinations = destinations;
    this.diags = diags;
  }

  /** Is a reference from an HTTPRoute in `fromNs` to Service `name` in `toNs` permitted (§3.4)? */
  permitted(fromNs: string, toNs: string, group: string, kind: string, name: string): boolean {
    if (fromNs === toNs) return true;
    return this.grants.some(
      (g) =>
        g.value.metadata.namespace === toNs &&
        g.value.spec.from.some((f) => f.group === GROUP && f.kind === "HTTPRoute" && f.namespace === fromNs) &&
        g.value.spec.to.some((t) => t.group === group && t.kind === kind && (t.name === undefined || t.name === name)),
    );
  }

  resolve(ref: BackendObjectReference, route: Located<HTTPRoute>, path: ReadonlyArray<string | number>): ResolvedBackend {
    const routeNs = route.value.metadata.namespace;
    const group = ref.group ?? "";
    const kind = ref.kind ?? "Service";
    const key = `${routeNs}/${route.value.metadata.name}`;
    const fail = (reason: string, host: string, message: string): ResolvedBackend => {
      this.diags.warn(route, path, `${message} (ResolvedRefs=False/${reason}): requests for this backend get 500`, "backend-invalid");
      const out: ResolvedBackend = { ok: false, reason, host };
      if (ref.port !== undefined) out.port = ref.port;
      return out;
    };
    if (group === "networking.istio.io" && kind === "Hostname") {
      const host = ref.name.toLowerCase();
      if (ref.namespace !== undefined) return fail("InvalidKind", host, "a Hostname backend takes no namespace");
      if (ref.port === undefined) return fail("InvalidKind", host, `Hostname backend ${host} needs a port`);
      if (!this.services.serves(host, ref.port)) return fail("BackendNotFound", host, `no ServiceEntry declares ${host} port ${ref.port}`);
      return { ok: true, destination: this.destinations.resolve({ host, port: { number: ref.port } }, { obj: route, path: [...path] }) };
    }
    const ns = ref.namespace ?? routeNs;
    const host = `${ref.name}.${ns}.svc.cluster.local`.toLowerCase();
    if (group !== "" || kind !== "Service") return fail("InvalidKind", host, `backend kind ${group || "core"}/${kind} is not supported at the edge (Service, or networking.istio.io/Hostname)`);
    if (!this.permitted(routeNs, ns, "", "Service", ref.name))
      return fail("RefNotPermitted", host, `HTTPRoute ${key} may not refer to Service ${ns}/${ref.name}: no ReferenceGrant in namespace ${ns} permits it`);
    const port = ref.port!;
    if (!this.services.serves(host, port))
      return fail("BackendNotFound", host, `Service ${ns}/${ref.name} port ${port} is not served: add to routes/origins.yaml under origins: "${originsLine(host, port)}" or add a ServiceEntry: ${serviceEntryLine(host, port, ns)}`);
    return { ok: true, destination: this.destinations.resolve({ host, port: { number: port } }, { obj: route, path: [...path] }) };
  }
}
