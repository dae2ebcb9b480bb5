/**
 * decide(): the whole request-time decision, pure (DESIGN.md §2; ISTIO-SEMANTICS §2.1).
 * The Worker and the CLI (`routes route` / `routes test`) call exactly this.
 *
 * Order, as Envoy processes a request at an Istio ingress gateway:
 *  1. virtual host (listener of the request scheme; exact → longest suffix → `*`); none ⇒ noRoute;
 *  2. Gateway `tls.httpsRedirect` on a plain-http request ⇒ 301 BEFORE route matching;
 *  3. first matching route of that vhost (no fall-through to other vhosts); none ⇒ noRoute;
 *  4. fault filter: delay die, then abort die; abort ⇒ faultAbort (also for CORS preflights);
 *  5. CORS filter: an answered preflight ⇒ corsPreflight (the router never runs);
 *  6. router: redirect / directResponse (route-level response header ops, plus CORS headers of
 *     an allowed actual request as a final `set`), or route: destination → cluster
 *     (missing ⇒ clusterNotFound) → endpoint (none ⇒ noHealthyUpstream) → rewrites, header ops,
 *     mirrors.
 *
 * Calls to `opts.rand` — exactly these, in this order, so a CLI run with a seeded or scripted
 * rand reproduces a decision:
 *  a. fault delay die: 1 call iff the route has `fault.delay` (whatever its percentage);
 *  b. fault abort die: 1 call iff the route has `fault.abort`;
 *  c. weighted destination: 1 call iff the route has more than one destination and no sticky
 *     assignment was made (a sticky split with a visitor id uses none);
 *  d. primary endpoint: see src/select/endpoint.ts (0–2 calls for the hash cookie, then 0–2);
 *  e. for each mirror in order (never for CONNECT): 1 die; if it fires and the mirror cluster
 *     exists with endpoints, that endpoint choice's calls (as d).
 * Steps stop early when the decision is made (an abort skips c–e; a redirect skips c–e).
 */
import { destinationLabel, routeRetries, type Route } from "./table/types.ts";
import type { DecideOptions, Decision, ForwardDecision, MatchInfo, RequestFacts, UpstreamTarget } from "./decision.ts";
import { evaluateCors } from "./actions/cors.ts";
import { orderHeaderOps, routeResponseOps } from "./actions/header-ops.ts";
import { httpsRedirectLocation, redirectLocation } from "./actions/redirect.ts";
import { applyRegexRewrite, replacePrefixMatch, rewriteMatchedPrefix, rewrittenPathProblem } from "./actions/rewrite.ts";
import { findRoute, findVhost } from "./match/find.ts";
import { listenerForPort } from "./match/vhost.ts";
import { type PreparedRoute, type PreparedTable } from "./prepare.ts";
import { MatchInput } from "./match/route-match.ts";
import { rollPercent } from "./select/dice.ts";
import { pickEndpoint } from "./select/endpoint.ts";
import { pickDestination } from "./select/weighted.ts";
import { withVisitorCookie } from "./select/visitor.ts";
import { stickyResponseOps, variantRequestOps } from "./select/ab-analytics.ts";

export function decide(table: PreparedTable, facts: RequestFacts, opts: DecideOptions): Decision {
  const vhostIndex = findVhost(table, facts);
  if (vhostIndex === null) return { kind: "noRoute" };
  const pv = table.vhosts[vhostIndex]!;
  if (pv.vhost.httpsRedirect && facts.scheme === "http") {
    return { kind: "httpsRedirect", location: httpsRedirectLocation(facts), vhost: pv.vhost.domain };
  }
  const routeIndex = findRoute(pv, new MatchInput(facts));
  if (routeIndex < 0) return { kind: "noRoute", vhost: pv.vhost.domain };
  return decideMatched(table, vhostIndex, routeIndex, facts, opts);
}

function resolveCluster(table: PreparedTable, key: string | null) {
  if (key === null || !Object.hasOwn(table.table.clusters, key)) return undefined;
  return table.table.clusters[key];
}

/**
 * Steps 4–6 for an already matched route. Exported for one reader besides decide(): the naive
 * reference matcher (test/reference/naive-decide.ts) finds the vhost and route its own simple way
 * and shares only these post-match steps, so the differential tests compare steps 1–3 alone.
 */
export function decideMatched(
  table: PreparedTable,
  vhostIndex: number,
  routeIndex: number,
  facts: RequestFacts,
  opts: DecideOptions,
): Decision {
  const pv = table.vhosts[vhostIndex]!;
  const pr = pv.routes[routeIndex]!;
  const route = pr.route;
  const match: MatchInfo = { vhost: pv.vhost.domain, route, routeIndex };

  // 4. Fault filter (ISTIO-SEMANTICS §2.6): delay then abort, each its own die.
  let delayMs = 0;
  const fault = route.fault;
  if (fault?.delay && rollPercent(opts.rand, fault.delay.percentage)) delayMs = fault.delay.fixedDelayMs;
  if (fault?.abort && rollPercent(opts.rand, fault.abort.percentage)) {
    return { kind: "faultAbort", match, status: fault.abort.httpStatus, delayMs };
  }

  // 5. CORS filter (§2.12).
  let corsHeaders: Array<[string, string]> = [];
  if (pr.cors) {
    const cors = evaluateCors(pr.cors, facts);
    if (cors.kind === "preflight") return { kind: "corsPreflight", match, headers: cors.headers, delayMs };
    if (cors.kind === "actual") corsHeaders = cors.headers;
  }

  // 6. Router.
  const action = route.action;
  switch (action.kind) {
    case "redirect": {
      const responseHeaders = routeResponseOps(route.headers);
      if (corsHeaders.length) responseHeaders.push({ set: corsHeaders });
      let listenerPort = pv.vhost.port;
      if (action.gatewayApi) {
        const l = listenerForPort(table.listeners[facts.scheme], facts.port);
        listenerPort = l.port ?? (facts.scheme === "https" ? 443 : 80);
      }
      const location = redirectLocation(action, route.match, facts, listenerPort);
      return { kind: "redirect", match, status: action.redirectCode, location, responseHeaders, delayMs };
    }
    case "directResponse": {
      const responseHeaders = routeResponseOps(route.headers);
      if (corsHeaders.length) responseHeaders.push({ set: corsHeaders });
      const d: Decision = { kind: "directResponse", match, status: action.status, responseHeaders, delayMs };
      if (action.body) d.body = action.body;
      return d;
    }
    case "route":
      return forward(table, pr, match, action, facts, opts, delayMs, corsHeaders);
  }
}

/**
 * The upstream URL is endpoint URL + this string, so it must be a path: a rewrite whose result
 * does not start with `/` (`uriRegexRewrite` `/(.*)` → `\1`, or `rewrite.uri: x`) would otherwise
 * let the request path extend the origin's authority (`http://origin` + `.evil.com/x`, `:8443/x`,
 * `@evil.com/x`) — an SSRF. Such a result gets a leading `/` (an origin-form request-target,
 * RFC 9112 §3.2.1), as an HTTP/1 proxy would have to send anyway.
 */
export function asOriginForm(pathAndQuery: string): string {
  return pathAndQuery.startsWith("/") ? pathAndQuery : "/" + pathAndQuery;
}

/**
 * The path + query the origin receives. A rewritten one must reach the origin exactly as decided:
 * one with a dot segment is refused (src/actions/rewrite.ts rewrittenPathProblem; SECURITY.md).
 */
function upstreamPathOf(pr: PreparedRoute, facts: RequestFacts): { upstreamPath: string; rewritten: boolean } | { problem: string } {
  const rw = pr.route.rewrite;
  let upstreamPath: string;
  // HTTPRoute URLRewrite (GATEWAY-API-SEMANTICS §6.4): whole path, or element-wise prefix; query kept.
  if (rw?.fullPath !== undefined) upstreamPath = asOriginForm(rw.fullPath + facts.query);
  else if (rw?.replacePrefixMatch) upstreamPath = replacePrefixMatch(facts.path, rw.replacePrefixMatch.prefix, rw.replacePrefixMatch.replacement) + facts.query;
  else if (rw?.uri !== undefined && rw.uri !== "") upstreamPath = asOriginForm(rewriteMatchedPrefix(pr.route.match, facts.path, facts.query, rw.uri));
  else if (pr.regexRewrite) upstreamPath = asOriginForm(applyRegexRewrite(pr.regexRewrite, facts.path) + facts.query);
  else return { upstreamPath: facts.path + facts.query, rewritten: false };
  const problem = rewrittenPathProblem(upstreamPath);
  return problem === null ? { upstreamPath, rewritten: true } : { problem };
}

function forward(
  table: PreparedTable,
  pr: PreparedRoute,
  match: MatchInfo,
  action: Extract<Route["action"], { kind: "route" }>,
  facts: RequestFacts,
  opts: DecideOptions,
  delayMs: number,
  corsHeaders: Array<[string, string]>,
): Decision {
  const route = pr.route;
  if (action.destinations.length === 0) return { kind: "noRoute", vhost: match.vhost };
  const pick = pickDestination(rolloutAction(action, opts), facts, opts);
  const destination = pick.destination;
  // HTTPRoute backend a controller reports ResolvedRefs=False: its share of traffic gets 500 (§7.3).
  if (destination.invalid !== undefined) {
    const responseHeaders = routeResponseOps(route.headers);
    if (corsHeaders.length) responseHeaders.push({ set: corsHeaders });
    return { kind: "directResponse", match, status: 500, responseHeaders, delayMs };
  }
  const cluster = resolveCluster(table, destination.cluster);
  if (!cluster) return { kind: "clusterNotFound", match, destination };
  // Sticky split (DESIGN.md §4): a visitor id minted just now is visible to the endpoint hash.
  if (pick.minted) facts = withVisitorCookie(facts, pick.minted.cookie, pick.minted.id);
  const ep = pickEndpoint(cluster, facts, opts);
  if (!ep) return { kind: "noHealthyUpstream", match, destination };

  const up = upstreamPathOf(pr, facts);
  if ("problem" in up) return { kind: "badRequest", match, reason: up.problem, delayMs };
  const { upstreamPath, rewritten } = up;
  const weighted = action.destinations.length > 1;

  const mirrors: UpstreamTarget[] = [];
  if (facts.method !== "CONNECT") {
    for (const m of route.mirrors ?? []) {
      if (!rollPercent(opts.rand, m.percentage)) continue;
      const mc = resolveCluster(table, m.destination.cluster);
      if (!mc) continue;
      const mep = pickEndpoint(mc, facts, opts);
      if (!mep) continue;
      mirrors.push({ destination: m.destination, cluster: mc, endpoint: mep.endpoint, url: mep.endpoint.url + upstreamPath });
    }
  }

  const d: ForwardDecision = {
    kind: "forward",
    match,
    target: { destination, cluster, endpoint: ep.endpoint, url: ep.endpoint.url + upstreamPath },
    upstreamPath,
    // Route-level authority (rewrite.authority / `set host`) wins over the destination's (§2.8).
    authority: route.rewrite?.authority || destination.authority || facts.authority,
    requestHeaders: orderHeaderOps(route.headers, destination.headers, weighted, "request"),
    responseHeaders: orderHeaderOps(route.headers, destination.headers, weighted, "response"),
    delayMs,
    retries: routeRetries(route),
    mirrors,
    corsHeaders,
    // The split owns its visitor cookie: a load-balancer cookie of the same name (DestinationRule
    // consistentHash.httpCookie) must never replace the id the split assigned or recognised.
    setCookies: [...pick.setCookies, ...(action.sticky && pick.visitor !== undefined ? ep.setCookies.filter((c) => !c.startsWith(`${action.sticky!.cookie}=`)) : ep.setCookies)],
    faultConfigured: route.fault !== undefined,
  };
  if (rewritten) d.originalPath = facts.path + facts.query;
  if (route.timeoutMs !== undefined) d.timeoutMs = route.timeoutMs;
  if (weighted) d.variant = destinationLabel(destination);
  // Sticky split: variant to the origin, cache safety on the response (src/select/ab-analytics.ts).
  if (action.sticky && d.variant) {
    d.requestHeaders.push(variantRequestOps(d.variant));
    const header = action.sticky.header;
    // A minted Header session is an assignment too: not for shared caches.
    d.responseHeaders.push(stickyResponseOps(pick.setCookies.length > 0 || pick.headerMinted === true, header ?? "cookie"));
    if (pick.responseHeader) d.responseHeaders.push({ set: [pick.responseHeader] });
  }
  return d;
}

type RouteActionOf = Extract<Route["action"], { kind: "route" }>;
/** The effective split of a Canary-driven action at a canary weight, made once per (action, weight). */
const rolloutSplits = new WeakMap<RouteActionOf, { weight: number; action: RouteActionOf }>();

/**
 * A split under a running rollout (issue #14): the primary gets 100 − w and the canary w, with the
 * same sticky identity, so raising w moves visitors only into the canary (DESIGN.md §4) and
 * w = 0 sends every visitor back to the primary.
 */
function rolloutAction(action: RouteActionOf, opts: DecideOptions): RouteActionOf {
  const r = action.rollout;
  if (r === undefined || opts.rolloutWeights === undefined) return action;
  const w = opts.rolloutWeights.get(r.name);
  if (w === undefined) return action;
  const cached = rolloutSplits.get(action);
  if (cached && cached.weight === w) return cached.action;
  const destinations = action.destinations.map((d, i) => ({ ...d, weight: i === r.canary ? w : i === r.primary ? 100 - w : 0 }));
  const effective = { ...action, destinations, totalWeight: 100 };
  rolloutSplits.set(action, { weight: w, action: effective });
  return effective;
}
