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
import { applyCanaries } from "./canary.ts";
import { TABLE_VERSION, type Cluster, type HealthCheck, type Listener, type RouteAction, type RouteTable, type VirtualHost } from "../table/types.ts";
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
import { HEALTH_CHECK_PATH, parseHealthCheck } from "./health-check.ts";
import { actionKey, canonicalJson, tableHash } from "../table/codec.ts";
import { stickySplitFor } from "./sticky.ts";
import { configNamespaces } from "../config/k8s-names.ts";
import { compileGatewayApi, serviceEntryResolver, type GatewayApiVhost } from "./gateway-api/index.ts";

export { canonicalJson, tableHash };


export interface CompileOptions {
  /** Source files in load order; only the last tie-breaker of object order (see order.ts). */
  sources?: string[];
  /**
   * Share one object between equal route actions (default true). Changes memory only, never the
   * stored bytes: false is the reference a differential test compares with.
   */
  shareActions?: boolean;
  /**
   * The caller has no use for the objects after compile (push, diff): the rules of each served
   * VirtualService are replaced by their names (all the sticky step reads of them later) once
   * they are compiled, so the validated rules and the compiled ones are not all in memory at
   * once (issue #16 item 2). The rules of a delegate target are kept (every root reads them).
   */
  consumeObjects?: boolean;
  /**
   * Where the compiled rules of each VirtualService are kept between compile's steps (default: a
   * Map in memory). The CLI passes one backed by its spill file (issue #16 item 2: memory follows
   * the largest file); then every vhost's `routes` is a getter that expands them again on each
   * access (equal routes, new objects), so the table does not hold the routes either.
   */
  ruleStore?: RuleStore;
}

/** What compile needs of a store of compiled rules, by VirtualService key. Iterates in insertion order. */
export interface RuleStore {
  get(key: string): CompiledRule[] | undefined;
  /** Also after a step changed rules it got: a store may hand out copies. */
  set(key: string, rules: CompiledRule[]): void;
  has(key: string): boolean;
  keys(): Iterable<string>;
}

/** One vhost's routes: its VirtualServices' rules in creation order, expanded, catch-alls last. */
function vhostRoutes(port: number, parts: ReadonlyArray<{ key: string; gateways: Set<string> }>, rules: Pick<RuleStore, "get">) {
  return catchAllsLast(parts.flatMap(({ key, gateways }) => expandVirtualService(rules.get(key) ?? [], key, { port, gateways })));
}

/** What a lazy vhost expands its routes from (non-enumerable: spreads and JSON do not see it). */
const EXPANDS = Symbol("expands");
type Expands = { [EXPANDS]: { parts: ReadonlyArray<{ key: string; gateways: Set<string> }>; store: RuleStore } };

/**
 * One accessor for every lazy vhost: a getter of its own per vhost (a closure) would give each
 * vhost a hidden class of its own, and V8 would keep all of them in its larger dictionary mode.
 */
const LAZY_ROUTES: PropertyDescriptor = {
  get(this: VirtualHost & Expands) {
    const { parts, store } = this[EXPANDS];
    return vhostRoutes(this.port, parts, store);
  },
  enumerable: true,
  configurable: true,
};

/**
 * A vhost whose `routes` are expanded from `store` on each read. Built out here, not in compile's
 * body: a closure there would keep everything compile's other closures use (the loaded objects)
 * alive as long as the table.
 */
function lazyVhost(domain: string, port: number, httpsRedirect: boolean, parts: ReadonlyArray<{ key: string; gateways: Set<string> }>, store: RuleStore): VirtualHost {
  const vh = { domain, port, httpsRedirect } as VirtualHost;
  Object.defineProperty(vh, "routes", LAZY_ROUTES);
  Object.defineProperty(vh, EXPANDS, { value: { parts, store } });
  return vh;
}

export async function compile(objects: ConfigObjects, opts: CompileOptions = {}): Promise<{ table: RouteTable | null; issues: Issue[] }> {
  const compiled = await compileUnhashed(objects, opts);
  if (compiled.table) compiled.table.hash = await tableHash(compiled.table);
  return compiled;
}

/**
 * compile without the content hash (the table's `hash` is ""). The CLI hashes the table itself,
 * piece by piece and after it has let the loaded objects go (issue #16 item 2: memory,
 * scripts/lib/build.ts); everything else calls compile.
 */
export async function compileUnhashed(objects: ConfigObjects, opts: CompileOptions = {}): Promise<{ table: RouteTable | null; issues: Issue[] }> {
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

  // Equal route actions become one object as each rule is compiled (the single destination most
  // routes of a large config share): the stored form pools them by the same key (codec.ts
  // actionKey), and one action object per rule was about half the memory of a generated
  // 100,000-route table, alive beside the loaded objects (issue #16 item 2). What writes into a
  // rule's action afterwards (canary.ts, the sticky step below) gives the rule a copy first.
  const interned = new Map<string, RouteAction>();
  const shared = new Set<RouteAction>();
  const internAction = (a: RouteAction): RouteAction => {
    if (opts.shareActions === false || shared.has(a)) return a;
    const key = actionKey(a);
    const known = interned.get(key);
    if (known) return known;
    interned.set(key, a);
    shared.add(a);
    return a;
  };

  // Compile the rules of each served VirtualService once, in creation order.
  const byKey = new Map<string, Located<VirtualService>>();
  for (const vs of virtualServices) if (!byKey.has(objectKey(vs.value))) byKey.set(objectKey(vs.value), vs);
  const served = new Set<string>();
  for (const s of ["http", "https"] as const) for (const d of bindings.vhosts[s].values()) for (const k of d.virtualServices.keys()) served.add(k);
  const store = opts.ruleStore;
  const rules: RuleStore = store ?? new Map<string, CompiledRule[]>();
  const vsOrder = new Map<string, number>();
  const delegateTargets = new Set<string>();
  if (opts.consumeObjects)
    for (const vs of virtualServices)
      for (const rule of vs.value.spec.http ?? []) if (rule.delegate) delegateTargets.add(`${rule.delegate.namespace ?? vs.value.metadata.namespace ?? "default"}/${rule.delegate.name}`);
  virtualServices.forEach((vs, i) => {
    const key = objectKey(vs.value);
    if (!vsOrder.has(key)) vsOrder.set(key, i);
    if (!served.has(key) || rules.has(key)) return;
    const ns = vs.value.metadata.namespace ?? "default";
    rules.set(
      key,
      flattenRules(vs, byKey, diags).map((flat) => {
        const rule = compileRule(flat, ns, { diags, destinations });
        rule.body.action = internAction(rule.body.action);
        return rule;
      }),
    );
    const http = vs.value.spec.http;
    if (opts.consumeObjects && http && !delegateTargets.has(key)) vs.value.spec.http = http.map((r) => (r.name === undefined ? {} : { name: r.name }));
  });

  // Gateway API front-end (DESIGN.md §10): its vhosts arrive with routes in precedence order.
  const gwApi = compileGatewayApi(objects, { diags, destinations, services: serviceEntryResolver(upstreams) });

  // Canaries (#14): before clusters, so a canary written with weight 0 still gets its cluster,
  // and before sticky splits, so the driven split is sticky like any other.
  if (objects.canaries?.length) {
    // The rules a Canary drives are changed in place: a store gets them back afterwards.
    const driven = new Map<string, CompiledRule[]>();
    const get = (k: string) => {
      let r = driven.get(k);
      if (!r && (r = rules.get(k))) driven.set(k, r);
      return r;
    };
    await applyCanaries(objects.canaries, { rules: { get }, known: new Set(byKey.keys()), destinations, diags });
    if (store) for (const [k, r] of driven) store.set(k, r);
  }

  const clusters: Record<string, Cluster> = {};
  /** Health-check annotations parsed once per host (issue #13.4, health-check.ts). */
  const healthChecks = new Map<string, HealthCheck | undefined>();
  for (const key of [...destinations.referenced.keys()].sort()) {
    const ref = destinations.referenced.get(key)!;
    clusters[key] = buildCluster(ref.host, ref.subset, ref.port, upstreams);
    if (!healthChecks.has(ref.host)) {
      const src = upstreams.healthCheckSource(ref.host);
      healthChecks.set(
        ref.host,
        src &&
          parseHealthCheck(src.value, (severity, message) =>
            severity === "error" ? diags.error(src.obj, HEALTH_CHECK_PATH, message, "health-check") : diags.warn(src.obj, HEALTH_CHECK_PATH, message, "health-check"),
          ),
      );
    }
    const hc = healthChecks.get(ref.host);
    if (hc) clusters[key].healthCheck = hc;
  }

  // Sticky weighted splits (DESIGN.md §4, sticky.ts): decided per rule, shared by its routes.
  for (const key of [...rules.keys()]) {
    const vs = byKey.get(key)!;
    const compiled = rules.get(key)!;
    let changed = false;
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
      if (sticky) {
        rule.body.action = { ...action, sticky }; // a copy: the action may be shared
        changed = true;
      }
    }
    if (changed && store) store.set(key, compiled);
  }

  // Canaries and sticky splits gave their rules actions of their own: share those too.
  // (A store keeps no objects between reads: nothing to share.)
  if (!store) for (const key of rules.keys()) for (const rule of rules.get(key)!) rule.body.action = internAction(rule.body.action);

  // Virtual hosts, listener by listener, domains in sorted order (map order must not leak).
  const vhosts: VirtualHost[] = [];
  const listeners = {} as Record<Scheme, Listener>;
  const byDomain = (a: { domain: string }, b: { domain: string }) => (a.domain < b.domain ? -1 : a.domain > b.domain ? 1 : 0);
  const addGatewayApi = (list: Iterable<GatewayApiVhost>, index: Array<{ domain: string; vhost: number }>) => {
    const taken = new Set(index.map((e) => e.domain));
    for (const v of [...list].sort(byDomain)) {
      if (taken.has(v.domain)) {
        // Istio and Gateway API objects for one host: the Istio vhost keeps it (one vhost per host).
        if (v.routes.length) {
          const first = objects.httpRoutes.find((r) => `${r.value.metadata.namespace}/${r.value.metadata.name}` === v.routes[0]!.virtualService);
          if (first) diags.warn(first, ["spec", "hostnames"], `host ${v.domain} is already served by an Istio VirtualService on this listener; the HTTPRoutes for it are ignored`, "host-conflict");
        }
        continue;
      }
      index.push({ domain: v.domain, vhost: vhosts.length });
      vhosts.push({ domain: v.domain, port: v.port, httpsRedirect: false, routes: v.routes });
    }
  };
  for (const scheme of ["http", "https"] as const) {
    const drafts = [...bindings.vhosts[scheme].values()].sort(byDomain);
    const index: Array<{ domain: string; vhost: number }> = [];
    for (const draft of drafts) {
      const keys = [...draft.virtualServices.keys()].sort((a, b) => vsOrder.get(a)! - vsOrder.get(b)!);
      // (Equal binding sets are one object already: bindGateways shares them.)
      const parts = keys.map((key) => ({ key, gateways: draft.virtualServices.get(key)! }));
      index.push({ domain: draft.domain, vhost: vhosts.length });
      if (store) vhosts.push(lazyVhost(draft.domain, draft.port, draft.httpsRedirect, parts, store));
      else vhosts.push({ domain: draft.domain, port: draft.port, httpsRedirect: draft.httpsRedirect, routes: vhostRoutes(draft.port, parts, rules) });
    }
    // Gateway API listeners on the scheme's standard port share the scheme's listener; other
    // ports get their own, chosen by the Host header's port (GATEWAY-API-SEMANTICS §2.4).
    const standard = scheme === "http" ? 80 : 443;
    const gwPorts = gwApi.vhosts[scheme];
    addGatewayApi(gwPorts.get(standard)?.values() ?? [], index);
    const port = bindings.ports[scheme] ?? (gwPorts.has(standard) ? standard : null);
    listeners[scheme] = port === null && index.length === 0 ? emptyListener() : buildListener(port, index);
    const others = [...gwPorts.keys()].filter((p) => p !== standard).sort((a, b) => a - b);
    if (others.length) {
      listeners[scheme].ports = {};
      for (const p of others) {
        const sub: Array<{ domain: string; vhost: number }> = [];
        addGatewayApi(gwPorts.get(p)!.values(), sub);
        listeners[scheme].ports[String(p)] = buildListener(p, sub);
      }
    }
  }
  // A scheme without a server or listener of its own reuses the other listener (table.ts Listener.fallback).
  const has = (s: Scheme) => bindings.ports[s] !== null || gwApi.schemes.has(s);
  if (!has("http") && has("https")) listeners.http = fallbackListener(listeners.https);
  if (!has("https") && has("http")) listeners.https = fallbackListener(listeners.http);

  const issues = sortIssues(diags.issues);
  if (diags.hasErrors) return { table: null, issues };
  // The Gateway API's routes too.
  if (!store) for (const vh of vhosts) for (const r of vh.routes) r.action = internAction(r.action);

  const table: RouteTable = { tableVersion: TABLE_VERSION, hash: "", istio: "1.28", listeners, vhosts, clusters };
  const warnings = issues.filter((i) => i.severity === "warning").map(formatIssue);
  if (warnings.length) table.warnings = warnings;
  return { table, issues };
}
