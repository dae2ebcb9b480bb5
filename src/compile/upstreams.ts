/**
 * Where traffic goes: ServiceEntries name origins, DestinationRules add subsets and policies
 * (DESIGN.md §3, ISTIO-SEMANTICS §1.3, §1.4). Lookups use the most specific host: an exact
 * name first, then the longest wildcard suffix (Istio picks the most specific DR/SE host).
 *
 * Names are compared qualified (config/k8s-names.ts): a DestinationRule host `reviews` in
 * namespace `default` is `reviews.default.svc.cluster.local`, the name a destination `reviews` of
 * that namespace resolves to (unless a ServiceEntry declares `reviews` as written: see qualify). An origins file (config/origins.ts) serves in-cluster
 * names without a ServiceEntry; a ServiceEntry wins over it for the same host.
 *
 * Several DestinationRules for one host are merged (istio:cluster mergeDestinationRule, istio.io
 * best practices): subsets concatenated in creation order, the first definition of a subset name
 * wins, and the first top-level trafficPolicy wins. Several ServiceEntries for one host: the
 * first in creation order is used and the others are reported.
 */
import type { Diagnostics } from "./diagnostics.ts";
import type { DestinationRule, IstioTrafficPolicy, Located, ServiceEntry, Subset } from "./input.ts";
import { mostSpecificMatch } from "./hosts.ts";
import { layerPolicies, tablePolicy } from "./traffic-policy.ts";
import type { TrafficPolicy } from "../table/types.ts";
import type { OriginEntry, OriginsFile } from "../config/origins.ts";
import { knownNamespaces, qualifyHost, type KnownNamespaces } from "../config/k8s-names.ts";
import { backendFor, type Backend } from "./backends.ts";
import { HEALTH_CHECK_ANNOTATION } from "./health-check.ts";

export interface UpstreamsOptions {
  /** Origins files, in load order (the loader already rejected duplicate keys). */
  origins?: readonly Located<OriginsFile>[];
  /** Namespaces `NAME.NS` hosts may name; default: those of the ServiceEntries and DestinationRules, and `default`. */
  namespaces?: KnownNamespaces;
}

export interface MergedDestinationRule {
  host: string;
  /** The first DestinationRule (creation order) carrying the health-check annotation. */
  healthCheck?: { obj: Located<DestinationRule>; value: string };
  trafficPolicy?: IstioTrafficPolicy;
  subsets: Map<string, Subset>;
}

export class Upstreams {
  private readonly entries = new Map<string, Located<ServiceEntry>>();
  private readonly rules = new Map<string, MergedDestinationRule>();
  private readonly policies = new Map<string, TrafficPolicy | undefined>();
  /** Origins by qualified host, each host's entries in file order. */
  private readonly originEntries = new Map<string, OriginEntry[]>();
  readonly namespaces: KnownNamespaces;

  /** Both lists already in creation order (order.ts). */
  constructor(serviceEntries: readonly Located<ServiceEntry>[], destinationRules: readonly Located<DestinationRule>[], diags: Diagnostics, options: UpstreamsOptions = {}) {
    this.namespaces =
      options.namespaces ?? knownNamespaces([...serviceEntries, ...destinationRules].map((o) => o.value.metadata.namespace));
    for (const file of options.origins ?? [])
      for (const e of file.value.entries) {
        const list = this.originEntries.get(e.host);
        if (list) list.push(e);
        else this.originEntries.set(e.host, [e]);
      }
    for (const se of serviceEntries) {
      se.value.spec.hosts.forEach((h, i) => {
        // Keyed as written: a dot-less ServiceEntry host serves destinations that write it so (qualify).
        const host = h.toLowerCase();
        const first = this.entries.get(host);
        if (first) {
          diags.warn(se, ["spec", "hosts", i], `host ${host} is already defined by ServiceEntry ${first.value.metadata.namespace}/${first.value.metadata.name} (${first.file}); this entry is ignored for it`, "duplicate-host");
          return;
        }
        this.entries.set(host, se);
      });
    }
    for (const dr of destinationRules) {
      const host = this.qualify(dr.value.spec.host, dr.value.metadata.namespace);
      let merged = this.rules.get(host);
      if (!merged) {
        merged = { host, subsets: new Map() };
        this.rules.set(host, merged);
      }
      const hc = dr.value.metadata.annotations?.[HEALTH_CHECK_ANNOTATION];
      if (hc !== undefined && !merged.healthCheck) merged.healthCheck = { obj: dr, value: hc };
      if (dr.value.spec.trafficPolicy) {
        if (merged.trafficPolicy) diags.warn(dr, ["spec", "trafficPolicy"], `another DestinationRule for ${host} already sets a trafficPolicy; the first one (in creation order) wins`, "duplicate-policy");
        else merged.trafficPolicy = dr.value.spec.trafficPolicy;
      }
      dr.value.spec.subsets?.forEach((s, i) => {
        if (merged.subsets.has(s.name)) diags.warn(dr, ["spec", "subsets", i, "name"], `subset ${s.name} of ${host} is already defined by another DestinationRule; the first definition wins`, "duplicate-subset");
        else merged.subsets.set(s.name, s);
      });
    }
  }

  /**
   * `host` as written in an object of `namespace` → the name every lookup here uses. A name a
   * ServiceEntry declares exactly as written stays as written (a ServiceEntry `hosts: [s1]` serves
   * destinations `s1`; Istio would expand the destination and miss it, see the docs' differences).
   */
  qualify(host: string, namespace: string | undefined): string {
    const h = host.toLowerCase();
    return this.entries.has(h) ? h : qualifyHost(h, namespace, this.namespaces);
  }

  /** Where a (qualified) host's traffic goes: see backends.ts. */
  backend(host: string, port: number | undefined): Backend {
    return backendFor(host, port, this);
  }

  /** The origins file entries for a qualified host (every port), in file order. */
  origins(host: string): readonly OriginEntry[] {
    return this.originEntries.get(host) ?? [];
  }

  /** Where the host's health-check annotation comes from: its DestinationRule, else its ServiceEntry. */
  healthCheckSource(host: string): { obj: Located<DestinationRule> | Located<ServiceEntry>; value: string } | undefined {
    const dr = this.destinationRule(host)?.healthCheck;
    if (dr) return dr;
    const se = this.serviceEntry(host);
    const v = se?.value.metadata.annotations?.[HEALTH_CHECK_ANNOTATION];
    return se && v !== undefined ? { obj: se, value: v } : undefined;
  }

  serviceEntry(host: string): Located<ServiceEntry> | undefined {
    return mostSpecificMatch(host, this.entries);
  }

  destinationRule(host: string): MergedDestinationRule | undefined {
    return mostSpecificMatch(host, this.rules);
  }

  subset(host: string, name: string): Subset | undefined {
    return this.destinationRule(host)?.subsets.get(name);
  }

  /** Effective policy of a cluster, in table form (memoized: routes and clusters both ask). */
  policy(host: string, subset: string | undefined, port: number | undefined): TrafficPolicy | undefined {
    const key = `${host}|${subset ?? ""}|${port ?? ""}`;
    if (this.policies.has(key)) return this.policies.get(key);
    const dr = this.destinationRule(host);
    const sub = subset !== undefined ? dr?.subsets.get(subset) : undefined;
    const p = dr ? tablePolicy(layerPolicies(dr.trafficPolicy, sub?.trafficPolicy, port)) : undefined;
    this.policies.set(key, p);
    return p;
  }

  usesConsistentHash(host: string, subset: string | undefined, port: number | undefined): boolean {
    return this.policy(host, subset, port)?.loadBalancer?.consistentHash !== undefined;
  }
}
