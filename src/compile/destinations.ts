/**
 * Destination → table Destination + the cluster it needs (istio:route GetDestinationCluster,
 * ISTIO-SEMANTICS §1.2 HTTPRouteDestination). The port of the cluster is the destination's
 * explicit port, else the ServiceEntry's only port, else none.
 *
 * A destination whose cluster cannot exist (undefined subset, a port the ServiceEntry does not
 * declare) keeps `cluster: null`: Envoy answers such routes 503 with an empty body (flag NC,
 * §2.2). Validation reports the cause; here it is only a warning so the table says why.
 *
 * The host is read in the namespace of the object that writes it (a delegate's destinations in
 * the delegate's namespace, as Istio resolves each VirtualService's short names before merging):
 * `reviews` → `reviews.<ns>.svc.cluster.local`. A Kubernetes name no ServiceEntry or origins
 * entry serves also keeps `cluster: null` (backends.ts), with a warning that says how to serve it.
 */
import { clusterKey, type Destination } from "../table/types.ts";
import type { Diagnostics } from "./diagnostics.ts";
import type { IstioDestination } from "./input.ts";
import type { Upstreams } from "./upstreams.ts";
import { at, type Where } from "./regex.ts";
import { missingOriginMessage, originPorts } from "./backends.ts";

export interface ClusterRef {
  host: string;
  subset?: string;
  port?: number;
}

export class Destinations {
  /** Every cluster a route or mirror references, by ClusterKey. */
  readonly referenced = new Map<string, ClusterRef>();

  private readonly upstreams: Upstreams;
  private readonly diags: Diagnostics;

  // No parameter properties: the CLI runs this file with Node's type stripping (erasableSyntaxOnly).
  constructor(upstreams: Upstreams, diags: Diagnostics) {
    this.upstreams = upstreams;
    this.diags = diags;
  }

  resolve(d: IstioDestination, where: Where): Destination {
    const namespace = (where.obj.value as { metadata?: { namespace?: string } } | undefined)?.metadata?.namespace;
    const host = this.upstreams.qualify(d.host, namespace);
    const se = this.upstreams.serviceEntry(host);
    const sePorts = se?.value.spec.ports ?? [];
    let port = d.port?.number;
    if (port === undefined && sePorts.length === 1) port = sePorts[0]!.number;
    if (port === undefined && sePorts.length > 1)
      this.diags.warn(where.obj, at(where, "host").path, `${host} has ${sePorts.length} ports and the destination names none; the first (${sePorts[0]!.number}) is used — set destination.port`, "ambiguous-port");
    if (port === undefined && !se) {
      // Origins entries declare Service ports too: the only one is the destination's port.
      const entries = this.upstreams.origins(host);
      const ports = originPorts(entries);
      if (ports.length === 1 || (ports.length > 1 && !entries.some((e) => e.port === undefined))) port = ports[0];
      if (ports.length > 1 && !entries.some((e) => e.port === undefined))
        this.diags.warn(where.obj, at(where, "host").path, `${host} has origins for ports ${ports.join(", ")} and the destination names none; port ${ports[0]} is used — set destination.port`, "ambiguous-port");
    }

    const out: Destination = { host, cluster: null };
    if (d.subset !== undefined) out.subset = d.subset;
    if (port !== undefined) out.port = port;

    const backend = this.upstreams.backend(host, port);
    if (backend.kind === "missing") {
      this.diags.warn(where.obj, at(where, "host").path, missingOriginMessage(d.host, host, port), "no-origin");
      return out;
    }
    if (d.subset !== undefined && !this.upstreams.subset(host, d.subset)) {
      this.diags.warn(where.obj, at(where, "subset").path, `subset ${d.subset} is not defined by any DestinationRule for ${host}: requests get 503`, "unknown-subset");
      return out;
    }
    if (port !== undefined && sePorts.length && !sePorts.some((p) => p.number === port)) {
      this.diags.warn(where.obj, at(where, "port").path, `${host} has no port ${port} in its ServiceEntry: requests get 503`, "unknown-port");
      return out;
    }
    const key = clusterKey(host, d.subset, port);
    out.cluster = key;
    if (!this.referenced.has(key)) {
      const ref: ClusterRef = { host };
      if (d.subset !== undefined) ref.subset = d.subset;
      if (port !== undefined) ref.port = port;
      this.referenced.set(key, ref);
    }
    return out;
  }

  usesConsistentHash(d: Destination): boolean {
    return d.cluster !== null && this.upstreams.usesConsistentHash(d.host, d.subset, d.port);
  }
}
