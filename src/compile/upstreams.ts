/**
 * Where traffic goes: ServiceEntries name origins, DestinationRules add subsets and policies
 * (DESIGN.md §3, ISTIO-SEMANTICS §1.3, §1.4). Lookups use the most specific host: an exact
 * name first, then the longest wildcard suffix (Istio picks the most specific DR/SE host).
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
import type { TrafficPolicy } from "./table.ts";

export interface MergedDestinationRule {
  host: string;
  trafficPolicy?: IstioTrafficPolicy;
  subsets: Map<string, Subset>;
}

export class Upstreams {
  private readonly entries = new Map<string, Located<ServiceEntry>>();
  private readonly rules = new Map<string, MergedDestinationRule>();
  private readonly policies = new Map<string, TrafficPolicy | undefined>();

  /** Both lists already in creation order (order.ts). */
  constructor(serviceEntries: readonly Located<ServiceEntry>[], destinationRules: readonly Located<DestinationRule>[], diags: Diagnostics) {
    for (const se of serviceEntries) {
      se.value.spec.hosts.forEach((h, i) => {
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
      const host = dr.value.spec.host.toLowerCase();
      let merged = this.rules.get(host);
      if (!merged) {
        merged = { host, subsets: new Map() };
        this.rules.set(host, merged);
      }
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
