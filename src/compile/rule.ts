/**
 * One HTTPRoute rule → its match entries and the action shared by all of them
 * (istio:route translateRoute; ISTIO-SEMANTICS §1.2 HTTPRoute). Compiled once per rule; routes.ts
 * then expands it for each gateway server that binds the VirtualService.
 */
import type { Mirror, RetryPolicy, Route, RouteAction, RouteMatch, Rewrite, WeightedDestination } from "../table/types.ts";
import { ISTIO_DEFAULT_RETRY_POLICY } from "../table/types.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { sourceOf } from "./diagnostics.ts";
import type { FlatRule } from "./delegate.ts";
import type { Destinations } from "./destinations.ts";
import type { HTTPRoute } from "./input.ts";
import { parseDuration } from "../config/duration.ts";
import { headerPolicy } from "./headers.ts";
import { isCatchAll, routeMatch } from "./match.ts";
import { retryPolicy } from "./retries.ts";
import { fault } from "./fault.ts";
import { corsPolicy } from "./cors.ts";
import { at, compileSearchRegex, type Where } from "./regex.ts";
import { resolveGatewayName } from "./gateway-names.ts";

export interface CompiledMatch {
  match: RouteMatch;
  index: number;
  /** Build-time conditions (§5 item 21): the server port, and gateway names (already `ns/name`). */
  port?: number;
  gateways?: string[];
  catchAll: boolean;
}

/** Everything of a Route that does not depend on which match entry produced it. */
export type RouteBody = Pick<Route, "action" | "rewrite" | "headers" | "timeoutMs" | "retries" | "fault" | "mirrors" | "corsPolicy">;

export interface CompiledRule {
  name: string;
  ruleIndex: number;
  source: string;
  /** null: the rule has no `match` (one catch-all route, and the end of its VirtualService). */
  matches: CompiledMatch[] | null;
  body: RouteBody;
}

export interface RuleContext {
  diags: Diagnostics;
  destinations: Destinations;
}

export function compileRule(flat: FlatRule, vsNamespace: string, ctx: RuleContext): CompiledRule {
  const { rule } = flat;
  const where = (field: keyof HTTPRoute): Where => at(flat.inherited.has(field) ? flat.root : flat.own, field);
  const matches =
    rule.match && rule.match.length
      ? rule.match.map((m, index): CompiledMatch => {
          const match = routeMatch(m, at(flat.own, "match", index), ctx.diags);
          const out: CompiledMatch = { match, index, catchAll: isCatchAll(match) };
          if (m.port !== undefined) out.port = m.port;
          // Delegate merging already resolved gateway names against the namespace that wrote them.
          if (m.gateways?.length) out.gateways = m.gateways.map((g) => resolveGatewayName(g, vsNamespace));
          return out;
        })
      : null;
  return { name: flat.name, ruleIndex: flat.ruleIndex, source: sourceOf(flat.own.obj, flat.own.path), matches, body: compileBody(rule, where, ctx) };
}

function compileBody(rule: HTTPRoute, where: (f: keyof HTTPRoute) => Where, ctx: RuleContext): RouteBody {
  const { diags, destinations } = ctx;
  const routeHeaders = headerPolicy(rule.headers);
  let authority = rule.rewrite?.authority || undefined; // proto3: "" is unset
  if (routeHeaders.authority !== undefined) {
    if (authority !== undefined)
      diags.warn(where("headers").obj, [...where("headers").path, "request"], "the authority is set both by rewrite.authority and by a host/:authority header; rewrite.authority is used", "authority-twice");
    else authority = routeHeaders.authority;
  }

  let action: RouteAction;
  if (rule.redirect) {
    const r = rule.redirect;
    action = { kind: "redirect", redirectCode: r.redirectCode ?? 301 };
    if (r.uri !== undefined) action.uri = r.uri;
    if (r.prefixRewrite !== undefined) action.prefixRewrite = r.prefixRewrite;
    if (r.authority) action.authority = r.authority; // proto3: "" is unset
    if (r.port !== undefined) action.port = r.port;
    if (r.derivePort !== undefined) action.derivePort = r.derivePort;
    if (r.scheme !== undefined) action.scheme = r.scheme;
  } else if (rule.directResponse) {
    const d = rule.directResponse;
    action = { kind: "directResponse", status: d.status };
    if (d.body?.string !== undefined) action.body = { string: d.body.string };
    else if (d.body?.bytes !== undefined) action.body = { bytes: d.body.bytes };
  } else {
    action = routeAction(rule, where("route"), authority !== undefined, ctx);
  }

  const body: RouteBody = {
    action,
    ...omitDefaultRetries(retryPolicy(rule.retries, action.kind === "route" && action.destinations.length > 0 && action.destinations.every((d) => destinations.usesConsistentHash(d)))),
  };
  const rewrite = compileRewrite(rule, authority, where("rewrite"), diags);
  if (rewrite) body.rewrite = rewrite;
  if (routeHeaders.policy) body.headers = routeHeaders.policy;
  // Absent timeout ⇒ no timeout at all (Istio programs 0, not Envoy's 15 s; §2.4).
  const timeoutMs = rule.timeout !== undefined ? parseDuration(rule.timeout) : null;
  if (timeoutMs !== null) body.timeoutMs = timeoutMs;
  const f = fault(rule.fault, where("fault"), diags);
  if (f) body.fault = f;
  const mirrors = compileMirrors(rule, where, ctx);
  if (mirrors.length) body.mirrors = mirrors;
  const cors = corsPolicy(rule.corsPolicy, where("corsPolicy"), diags);
  if (cors) body.corsPolicy = cors;
  return body;
}

/**
 * Weighted destinations (§1.2 `weight`, §5 item 7): weights are relative (Istio ≥ 1.15); one
 * destination takes all traffic whatever its weight; with several, zero-weight entries are dropped.
 */
function routeAction(rule: HTTPRoute, where: Where, routeAuthority: boolean, ctx: RuleContext): RouteAction {
  const list = rule.route ?? [];
  const single = list.length === 1;
  const destinations: WeightedDestination[] = [];
  list.forEach((d, i) => {
    const weight = single ? 1 : d.weight ?? 0;
    if (weight <= 0) return;
    const dest: WeightedDestination = { ...ctx.destinations.resolve(d.destination, at(where, i, "destination")), weight };
    const h = headerPolicy(d.headers);
    if (h.policy) dest.headers = h.policy;
    // Route-level authority wins; a destination's host/:authority applies only without one (§2.8).
    if (h.authority !== undefined && !routeAuthority) dest.authority = h.authority;
    destinations.push(dest);
  });
  if (list.length > 1 && destinations.length === 0)
    ctx.diags.error(where.obj, where.path, `the weights of ${list.length} destinations add up to 0; give at least one a positive weight`, "weights");
  const totalWeight = destinations.reduce((s, d) => s + d.weight, 0);
  return { kind: "route", destinations, totalWeight: Math.max(totalWeight, 1) };
}

function compileRewrite(rule: HTTPRoute, authority: string | undefined, where: Where, diags: Diagnostics): Rewrite | undefined {
  const r = rule.rewrite;
  const out: Rewrite = {};
  if (r?.uri !== undefined) out.uri = r.uri;
  if (r?.uriRegexRewrite?.match !== undefined && r.uriRegexRewrite.rewrite !== undefined) {
    const re = compileSearchRegex(r.uriRegexRewrite.match, at(where, "uriRegexRewrite", "match"), diags);
    if (re) out.uriRegexRewrite = { ...re, rewrite: r.uriRegexRewrite.rewrite };
  }
  if (authority !== undefined) out.authority = authority;
  return out.uri !== undefined || out.uriRegexRewrite || out.authority !== undefined ? out : undefined;
}

/** `mirror` + `mirrorPercentage` (deprecated `mirrorPercent` / `mirror_percent`), or `mirrors[]`; absent percentage ⇒ 100 (§2.7). */
function compileMirrors(rule: HTTPRoute, where: (f: keyof HTTPRoute) => Where, ctx: RuleContext): Mirror[] {
  const out: Mirror[] = [];
  if (rule.mirror) {
    out.push({
      destination: ctx.destinations.resolve(rule.mirror, where("mirror")),
      percentage: rule.mirrorPercentage?.value ?? rule.mirrorPercent ?? rule.mirror_percent ?? 100,
    });
  }
  rule.mirrors?.forEach((m, i) => {
    out.push({ destination: ctx.destinations.resolve(m.destination, at(where("mirrors"), i, "destination")), percentage: m.percentage?.value ?? 100 });
  });
  return out;
}

/** The table leaves Istio's default retry policy implicit (see Route.retries). */
function omitDefaultRetries(policy: RetryPolicy): { retries?: RetryPolicy } {
  return JSON.stringify(policy) === JSON.stringify(ISTIO_DEFAULT_RETRY_POLICY) ? {} : { retries: policy };
}
