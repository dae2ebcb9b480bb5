/**
 * compile: validated Istio objects → RouteTable (DESIGN.md §2). Pure and deterministic: the same
 * objects (in any file or document order) give byte-identical canonical JSON and the same hash.
 *
 *   bind     Gateway servers × VirtualService hosts → vhost drafts per listener (binding.ts)
 *   rules    VirtualService rules, delegates merged, compiled once each (delegate.ts, rule.ts)
 *   routes   per vhost: VirtualServices in creation order, expanded, catch-alls last (routes.ts)
 *   index    listeners: exact / suffix / star → vhost (listeners.ts)
 *   clusters every referenced (host, subset, port) → endpoints + policy (clusters.ts)
 *   sticky   weighted splits made sticky by annotation or DR cookie (sticky.ts)
 */
import { TABLE_VERSION, type Cluster, type Listener, type RouteTable, type VirtualHost } from "./table.ts";
import type { ConfigObjects, Issue, Located, VirtualService } from "./input.ts";
import { objectKey } from "./input.ts";
import { formatIssue, sortIssues } from "../config/issue.ts";
import { Diagnostics } from "./diagnostics.ts";
import { sortByCreation } from "./order.ts";
import { bindGateways, type Scheme } from "./binding.ts";
import { flattenRules } from "./delegate.ts";
import { compileRule, type CompiledRule } from "./rule.ts";
import { catchAllsLast, expandVirtualService } from "./routes.ts";
import { buildListener, emptyListener, fallbackListener } from "./listeners.ts";
import { Upstreams } from "./upstreams.ts";
import { Destinations } from "./destinations.ts";
import { buildCluster } from "./clusters.ts";
import { canonicalJson, summarize, tableHash } from "./canonical.ts";
import { stickySplitFor } from "./sticky.ts";
import { configNamespaces } from "../config/k8s-names.ts";

export { canonicalJson, summarize, tableHash };

export interface CompileOptions {
  /** Source files in load order; only the last tie-breaker of object order (see order.ts). */
  sources?: string[];
}

export async function compile(objects: ConfigObjects, opts: CompileOptions = {}): Promise<{ table: RouteTable | null; issues: Issue[] }> {
  const diags = new Diagnostics();
  const sources = opts.sources;
  const gateways = sortByCreation(objects.gateways, sources);
  const virtualServices = sortByCreation(objects.virtualServices, sources);
  const namespaces = configNamespaces(objects);
  const upstreams = new Upstreams(sortByCreation(objects.serviceEntries, sources), sortByCreation(objects.destinationRules, sources), diags, {
    origins: objects.origins ?? [],
    namespaces,
  });
  const destinations = new Destinations(upstreams, diags);

  const bindings = bindGateways(gateways, virtualServices, diags);

  // Compile the rules of each served VirtualService once, in creation order.
  const byKey = new Map<string, Located<VirtualService>>();
  for (const vs of virtualServices) if (!byKey.has(objectKey(vs.value))) byKey.set(objectKey(vs.value), vs);
  const served = new Set<string>();
  for (const s of ["http", "https"] as const) for (const d of bindings.vhosts[s].values()) for (const k of d.virtualServices.keys()) served.add(k);
  const rules = new Map<string, CompiledRule[]>();
  const vsOrder = new Map<string, number>();
  virtualServices.forEach((vs, i) => {
    const key = objectKey(vs.value);
    if (!vsOrder.has(key)) vsOrder.set(key, i);
    if (!served.has(key) || rules.has(key)) return;
    const ns = vs.value.metadata.namespace ?? "default";
    rules.set(key, flattenRules(vs, byKey, diags).map((flat) => compileRule(flat, ns, { diags, destinations })));
  });

  const clusters: Record<string, Cluster> = {};
  for (const key of [...destinations.referenced.keys()].sort()) {
    const ref = destinations.referenced.get(key)!;
    clusters[key] = buildCluster(ref.host, ref.subset, ref.port, upstreams);
  }

  // Sticky weighted splits (DESIGN.md §4, sticky.ts): decided per rule, shared by its routes.
  for (const [key, compiled] of rules) {
    const vs = byKey.get(key)!;
    for (const rule of compiled) {
      const action = rule.body.action;
      if (action.kind !== "route") continue;
      const sticky = stickySplitFor({
        vs: vs.value,
        ruleIndex: rule.ruleIndex,
        ruleName: rule.name, // delegated rules (`root-leaf`) get their own split identity
        destinations: action.destinations,
        clusterOf: (k) => clusters[k],
        report: (severity, path, message, code) => (severity === "error" ? diags.error(vs, path, message, code) : diags.warn(vs, path, message, code)),
      });
      if (sticky) action.sticky = sticky;
    }
  }

  // Virtual hosts, listener by listener, domains in sorted order (map order must not leak).
  const vhosts: VirtualHost[] = [];
  const listeners = {} as Record<Scheme, Listener>;
  for (const scheme of ["http", "https"] as const) {
    const drafts = [...bindings.vhosts[scheme].values()].sort((a, b) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0));
    const index: Array<{ domain: string; vhost: number }> = [];
    for (const draft of drafts) {
      const keys = [...draft.virtualServices.keys()].sort((a, b) => vsOrder.get(a)! - vsOrder.get(b)!);
      const routes = keys.flatMap((key) =>
        expandVirtualService(rules.get(key) ?? [], key, { port: draft.port, gateways: draft.virtualServices.get(key)! }),
      );
      index.push({ domain: draft.domain, vhost: vhosts.length });
      vhosts.push({ domain: draft.domain, port: draft.port, httpsRedirect: draft.httpsRedirect, routes: catchAllsLast(routes) });
    }
    listeners[scheme] = bindings.ports[scheme] === null ? emptyListener() : buildListener(bindings.ports[scheme], index);
  }
  // A scheme without a server of its own reuses the other listener (table.ts Listener.fallback).
  if (bindings.ports.http === null && bindings.ports.https !== null) listeners.http = fallbackListener(listeners.https);
  if (bindings.ports.https === null && bindings.ports.http !== null) listeners.https = fallbackListener(listeners.http);

  const issues = sortIssues(diags.issues);
  if (diags.hasErrors) return { table: null, issues };

  const table: RouteTable = { tableVersion: TABLE_VERSION, hash: "", istio: "1.28", listeners, vhosts, clusters };
  const warnings = issues.filter((i) => i.severity === "warning").map(formatIssue);
  if (warnings.length) table.warnings = warnings;
  table.hash = await tableHash(table);
  return { table, issues };
}
