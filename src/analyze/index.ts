/**
 * `routes analyze`: findings about a config that is valid but probably not what its author meant,
 * in the spirit of `istioctl analyze`. All are warnings, located like errors:
 *  - per VirtualService, on the rules as written (rules.ts): rules after a catch-all and rules
 *    whose matches all repeat earlier ones (Istio IST0130 "VirtualServiceUnreachableRule"),
 *    repeated or covered matches (IST0131 "VirtualServiceIneffectiveMatch") — the compiled table
 *    has dropped what follows a catch-all, so this part reads the source;
 *  - per virtual host, on the compiled table: a route that can never match because an earlier
 *    route (of any VirtualService bound to the host) catches every request it would (IST0130),
 *    or has an identical match (IST0131);
 *  - a gateway of a VirtualService that serves none of its hosts (IST0132
 *    "VirtualServiceHostNotFoundInGateway", gateway-hosts.ts);
 *  - a DestinationRule for a host that no route or mirror sends traffic to;
 *  - a DestinationRule subset whose labels select no ServiceEntry endpoint (⇒ 503 no healthy upstream);
 *  - risky routes (src/analyze/risky.ts): a prefix rewrite that reaches further than its prefix;
 *  - HTTPRoutes (http-routes.ts): matches that can never be chosen under the Gateway API
 *    precedence, and route hostnames no attached listener serves;
 * The loader and the compiler add their own warnings (mesh-only or unbound VirtualServices,
 * IP/non-standard-port endpoints, weights); `analyze` prints all of them together.
 */
import type { ConfigObjects, Issue, Located } from "../config/index.ts";
import type { Route, RouteTable } from "../table/types.ts";
import { covers, sameMatch } from "./shadow.ts";
import { hostResolver } from "../config/k8s-names.ts";
import { analyzeRules } from "./rules.ts";
import { hostsNotInGateways } from "./gateway-hosts.ts";
import { riskyRoutes } from "./risky.ts";
import { httpRouteFindings } from "./http-routes.ts";

function issueAt(obj: Located<unknown>, path: ReadonlyArray<string | number>, pathText: string, message: string, code: string): Issue {
  const at = obj.at(path);
  return { severity: "warning", file: obj.file, line: at.line, col: at.col, path: pathText, message, code };
}

function keyOf(o: Located<{ metadata: { name: string; namespace?: string | undefined } }>): string {
  return `${o.value.metadata.namespace ?? "default"}/${o.value.metadata.name}`;
}

function routeLabel(r: Route): string {
  return `${r.name} (${r.virtualService} http[${r.ruleIndex}]${r.matchIndex !== null ? `.match[${r.matchIndex}]` : ""})`;
}

/**
 * IST0130/IST0131 of every VirtualService, on the rules as written (rules.ts). Istio's own webhook
 * warnings carry kind "source" (`validate --istio` prints them, as `kubectl apply` would); the
 * catch-all-match extension is the edge's own finding.
 */
export function ruleFindings(objects: Pick<ConfigObjects, "virtualServices">): Array<Issue & { vs: string }> {
  const out: Array<Issue & { vs: string }> = [];
  for (const vs of objects.virtualServices) {
    for (const f of analyzeRules(vs.value)) {
      const path = ["spec", "http", f.rule, ...(f.match !== undefined ? ["match", f.match] : [])];
      const pathText = `spec.http[${f.rule}]${f.match !== undefined ? `.match[${f.match}]` : ""}`;
      const message =
        f.kind === "unreachable"
          ? `virtualService rule ${f.ruleName}${f.match !== undefined ? ` match #${f.match}` : ""} not used (${f.reason}) (Istio IST0130)`
          : `virtualService rule ${f.ruleName} match ${f.matchName} is not used (duplicate/overlapping match in rule ${f.dup}) (Istio IST0131)`;
      const issue = issueAt(vs, path, pathText, message, f.kind === "unreachable" ? "unreachable-route" : "duplicate-match");
      out.push({ ...issue, ...(f.istio ? { kind: "source" as const } : {}), vs: keyOf(vs) });
    }
  }
  return out;
}

export function analyze(objects: ConfigObjects, table: RouteTable): Issue[] {
  const issues: Issue[] = [];
  const vsByKey = new Map(objects.virtualServices.map((v) => [keyOf(v), v]));
  const seen = new Set<string>();

  // Rules as written, per VirtualService (Istio's own IST0130/IST0131, and rules after a catch-all).
  // Added after the table's findings, except where the table already said something at that path
  // (its message names the host and the route that catches the requests).
  const fromRules = ruleFindings(objects).map((f) => ({ ...f, path: `${f.vs}\u0000${f.path}` }));
  const gateways = new Map(objects.gateways.map((g) => [keyOf(g), g.value]));
  for (const vs of objects.virtualServices)
    for (const f of hostsNotInGateways(vs.value, gateways))
      issues.push(issueAt(vs, ["spec", "gateways", f.index], `spec.gateways[${f.index}]`, f.message, "host-not-in-gateway"));

  const tableSaid = new Set<string>();
  // Shadowed and duplicate routes, per virtual host, in the order the gateway evaluates them.
  for (const vh of table.vhosts) {
    const routes = vh.routes;
    for (let j = 1; j < routes.length; j++) {
      const later = routes[j]!;
      for (let i = 0; i < j; i++) {
        const earlier = routes[i]!;
        const dup = sameMatch(earlier.match, later.match);
        if (!dup && !covers(earlier.match, later.match)) continue;
        const vs = vsByKey.get(later.virtualService);
        const path = ["spec", "http", later.ruleIndex, ...(later.matchIndex !== null ? ["match", later.matchIndex] : [])];
        const pathText = `spec.http[${later.ruleIndex}]${later.matchIndex !== null ? `.match[${later.matchIndex}]` : ""}`;
        const message = dup
          ? `on host ${vh.domain} this match is identical to the earlier ${routeLabel(earlier)}, so it never matches (like Istio IST0131)`
          : `on host ${vh.domain} this route can never match: the earlier ${routeLabel(earlier)} catches every request it would (like Istio IST0130)`;
        const dedupe = `${later.virtualService}#${pathText}#${earlier.virtualService}#${earlier.ruleIndex}`;
        if (vs && !seen.has(dedupe)) {
          seen.add(dedupe);
          issues.push(issueAt(vs, path, pathText, message, dup ? "duplicate-match" : "unreachable-route"));
          tableSaid.add(`${later.virtualService}\u0000${pathText}`);
        }
        break;
      }
    }
  }

  for (const { vs: _vs, ...f } of fromRules) {
    if (tableSaid.has(f.path)) continue;
    issues.push({ ...f, path: f.path.split("\u0000")[1]! });
  }

  // DestinationRules nobody routes to, and subsets selecting no endpoint.
  const routedHosts = new Set<string>();
  for (const vh of table.vhosts) {
    for (const r of vh.routes) {
      if (r.action.kind === "route") for (const d of r.action.destinations) routedHosts.add(d.host.toLowerCase());
      for (const m of r.mirrors ?? []) routedHosts.add(m.destination.host.toLowerCase());
    }
  }
  const resolve = hostResolver(objects);
  for (const dr of objects.destinationRules) {
    // As the compiler names it: `reviews` in namespace shop is reviews.shop.svc.cluster.local.
    const host = resolve(dr.value.spec.host, dr.value.metadata.namespace);
    if (!routedHosts.has(host)) {
      issues.push(issueAt(dr, ["spec", "host"], "spec.host", `no served route or mirror sends traffic to ${host}; this DestinationRule has no effect at the edge`, "unused-destination-rule"));
    }
    const endpoints = endpointLabels(objects, host);
    dr.value.spec.subsets?.forEach((s, i) => {
      const labels = Object.entries(s.labels ?? {});
      const selected = endpoints.some((e) => labels.every(([k, v]) => e.labels?.[k] === v));
      if (!selected) {
        issues.push(issueAt(dr, ["spec", "subsets", i, "labels"], `spec.subsets[${i}].labels`, `subset ${s.name} selects no endpoint of ${host} (labels ${labels.map(([k, v]) => `${k}=${v}`).join(", ") || "none"}); requests routed to it get 503 "no healthy upstream"`, "empty-subset"));
      }
    });
  }
  issues.push(...riskyRoutes(table, (key) => vsByKey.get(key), objects));
  issues.push(...httpRouteFindings(objects, table));
  return issues;
}

/**
 * The labels of the endpoints a host's clusters are built from, as compile/clusters.ts builds
 * them: a host no ServiceEntry names (public DNS) and a DNS/NONE ServiceEntry without endpoints
 * have one implicit endpoint — the host itself — which carries no labels, so a subset with
 * labels selects nothing there either (503 "no healthy upstream" at run time); a STATIC one
 * without endpoints has none at all; an origins file entry has its own labels.
 */
function endpointLabels(objects: ConfigObjects, host: string): Array<{ labels?: Record<string, string> | undefined }> {
  const entries = objects.serviceEntries.filter((se) => se.value.spec.hosts.some((h) => h.toLowerCase() === host));
  const origins = (objects.origins ?? []).flatMap((f) => f.value.entries.filter((e) => e.host === host).flatMap((e) => e.endpoints));
  if (entries.length === 0 && origins.length > 0) return origins;
  if (entries.length === 0) return [{}];
  const endpoints = entries.flatMap((se) => se.value.spec.endpoints ?? []);
  if (endpoints.length > 0) return endpoints;
  return entries.every((se) => se.value.spec.resolution === "STATIC") ? [] : [{}];
}
