/**
 * One HTTPRoute rule → its ranked matches and the action they share (GATEWAY-API-SEMANTICS §4,
 * §6–§8). Defaults are the CRD's: a rule without matches matches `PathPrefix /`; a path without a
 * type is a PathPrefix; weight 1; redirect 302; mirror 100 %; CORS maxAge 5.
 *
 * Matching at the edge reuses the Istio matchers: Exact → `exact` (path without query);
 * PathPrefix `/` → `prefix: "/"`; any other PathPrefix → an RE2 full match `<P>(/.*)?`, which is
 * the element-wise rule (§4.2: `/v2` matches `/v2`, `/v2/x`, never `/v2example`) and keeps a
 * literal prefix for the route index. Header names are case-insensitive and the first entry of a
 * name wins (§4.3); query names are case-sensitive and the first entry wins (§4.4).
 */
import type { CorsPolicy, HeaderOps, HeaderPolicy, Mirror, Precedence, RetryPolicy, Rewrite, RouteAction, RouteMatch, StringMatch, WeightedDestination } from "../../table/types.ts";
import type { Diagnostics } from "../diagnostics.ts";
import { sourceOf } from "../diagnostics.ts";
import type { Located } from "../input.ts";
import type { RouteBody } from "../rule.ts";
import { compileRegex } from "../regex.ts";
import type { HTTPHeaderFilter, HTTPRoute, HTTPRouteFilter, HTTPRouteMatch, HTTPRouteRule } from "../../config/gateway-api/index.ts";
import { parseGatewayDuration } from "../../config/gateway-api/index.ts";
import type { Backends } from "./backends.ts";
import { DEFAULT_BACKOFF_BASE_MS, DEFAULT_RETRY_ATTEMPTS } from "../retries.ts";
import { sessionSplit } from "./session.ts";

export interface GatewayApiMatch {
  match: RouteMatch;
  index: number;
  precedence: Precedence;
}

export interface GatewayApiRule {
  /** Envoy-style name: `namespace.name.<rule name or index>` (Istio's auto-name). */
  name: string;
  ruleIndex: number;
  source: string;
  matches: GatewayApiMatch[];
  body: RouteBody;
}

type Path = Array<string | number>;

const RE2_META = /[\\^$.|?*+()[\]{}]/g;

/** PathPrefix value → the ranked prefix (one trailing "/" removed, "/" stays "/"). */
export function rankedPrefix(value: string): string {
  return value.length > 1 && value.endsWith("/") ? value.slice(0, -1) : value;
}

function pathMatch(m: HTTPRouteMatch, route: Located<HTTPRoute>, at: Path, diags: Diagnostics): { uri?: StringMatch; type: Precedence["pathType"]; length: number } {
  const type = m.path?.type ?? "PathPrefix";
  const value = m.path?.value ?? "/";
  switch (type) {
    case "Exact":
      return { uri: { exact: value }, type, length: value.length };
    case "RegularExpression": {
      const re = compileRegex(value, { obj: route, path: [...at, "path", "value"] }, diags);
      return re ? { uri: re, type, length: value.length } : { type, length: value.length };
    }
    case "PathPrefix": {
      const p = rankedPrefix(value);
      if (p === "/") return { uri: { prefix: "/" }, type, length: 1 };
      const re = compileRegex(`${p.replace(RE2_META, "\\$&")}(/.*)?`, { obj: route, path: [...at, "path", "value"] }, diags);
      return re ? { uri: re, type, length: p.length } : { type, length: p.length };
    }
  }
}

function valueMatchers(
  list: HTTPRouteMatch["headers"],
  lower: boolean,
  route: Located<HTTPRoute>,
  at: Path,
  diags: Diagnostics,
): Array<[string, StringMatch]> {
  const out: Array<[string, StringMatch]> = [];
  const seen = new Set<string>();
  list?.forEach((h, i) => {
    const name = lower ? h.name.toLowerCase() : h.name;
    // First entry of a name wins; later ones are ignored (§4.3, §4.4).
    if (seen.has(name)) return;
    seen.add(name);
    if (h.type === "RegularExpression") {
      const re = compileRegex(h.value, { obj: route, path: [...at, i, "value"] }, diags);
      if (re) out.push([name, re]);
    } else out.push([name, { exact: h.value }]);
  });
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function compileMatch(m: HTTPRouteMatch, route: Located<HTTPRoute>, at: Path, diags: Diagnostics): { match: RouteMatch; rank: Pick<Precedence, "pathType" | "pathLength" | "method" | "headers" | "queryParams"> } {
  const match: RouteMatch = {};
  const path = pathMatch(m, route, at, diags);
  if (path.uri) match.uri = path.uri;
  if (m.method) match.method = { exact: m.method };
  const headers = valueMatchers(m.headers, true, route, [...at, "headers"], diags);
  if (headers.length) match.headers = headers;
  const query = valueMatchers(m.queryParams, false, route, [...at, "queryParams"], diags);
  if (query.length) match.queryParams = query;
  return { match, rank: { pathType: path.type, pathLength: path.length, method: m.method !== undefined, headers: headers.length, queryParams: query.length } };
}

/** Header modifier → HeaderOps: names lower-cased, the first entry of a name wins (§6.2). */
export function headerOps(f: HTTPHeaderFilter | undefined): HeaderOps | undefined {
  if (!f) return undefined;
  const out: HeaderOps = {};
  const firsts = (list: Array<{ name: string; value: string }> | undefined) => {
    const seen = new Set<string>();
    const pairs: Array<[string, string]> = [];
    for (const h of list ?? []) {
      const n = h.name.toLowerCase();
      if (seen.has(n)) continue;
      seen.add(n);
      pairs.push([n, h.value]);
    }
    return pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  };
  const remove = [...new Set((f.remove ?? []).map((n) => n.toLowerCase()))];
  if (remove.length) out.remove = remove;
  const set = firsts(f.set);
  if (set.length) out.set = set;
  const add = firsts(f.add);
  if (add.length) out.add = add;
  return out.remove || out.set || out.add ? out : undefined;
}

function headerPolicy(filters: readonly HTTPRouteFilter[] | undefined): HeaderPolicy | undefined {
  const request = headerOps(filters?.find((f) => f.type === "RequestHeaderModifier")?.requestHeaderModifier);
  const response = headerOps(filters?.find((f) => f.type === "ResponseHeaderModifier")?.responseHeaderModifier);
  if (!request && !response) return undefined;
  const p: HeaderPolicy = {};
  if (request) p.request = request;
  if (response) p.response = response;
  return p;
}

const DEFAULT_PORT = { http: 80, https: 443 } as const;

/** RequestRedirect → redirect action (§6.3): 302 default, listener port unless a scheme is set, hostname without the Host's port. */
function redirectAction(f: NonNullable<HTTPRouteFilter["requestRedirect"]>, singlePrefix: string | null): RouteAction {
  const a: Extract<RouteAction, { kind: "redirect" }> = { kind: "redirect", redirectCode: f.statusCode ?? 302, gatewayApi: true };
  if (f.hostname !== undefined) a.authority = f.hostname;
  if (f.scheme !== undefined) a.scheme = f.scheme;
  if (f.port !== undefined) a.port = f.port;
  else if (f.scheme !== undefined) a.port = DEFAULT_PORT[f.scheme];
  else a.derivePort = "FROM_REQUEST_PORT";
  if (f.path?.type === "ReplaceFullPath") a.uri = f.path.replaceFullPath!;
  if (f.path?.type === "ReplacePrefixMatch" && singlePrefix !== null) a.replacePrefixMatch = { prefix: singlePrefix, replacement: f.path.replacePrefixMatch! };
  return a;
}

function rewriteOf(f: NonNullable<HTTPRouteFilter["urlRewrite"]>, singlePrefix: string | null): Rewrite | undefined {
  const r: Rewrite = {};
  if (f.hostname !== undefined) {
    r.authority = f.hostname;
    r.forwardedHost = true;
  }
  if (f.path?.type === "ReplaceFullPath") r.fullPath = f.path.replaceFullPath!;
  if (f.path?.type === "ReplacePrefixMatch" && singlePrefix !== null) r.replacePrefixMatch = { prefix: singlePrefix, replacement: f.path.replacePrefixMatch! };
  return Object.keys(r).length ? r : undefined;
}

/** `https://*.bar.com` → a full-match regex on the Origin; a missing port means the scheme's default (§6.6). */
function corsOrigin(o: string, route: Located<HTTPRoute>, at: Path, diags: Diagnostics): StringMatch | null {
  if (o === "*") return { exact: "*" };
  const m = /^(https?):\/\/(.+?)(?::(\d+))?$/.exec(o)!;
  const scheme = m[1] as "http" | "https";
  const host = m[2]!;
  const port = m[3];
  const hostRe = host === "*" ? "[^/:]+" : host.startsWith("*.") ? `[^/:]+${host.slice(1).replace(RE2_META, "\\$&")}` : host.replace(RE2_META, "\\$&");
  const portRe = port === undefined || Number(port) === DEFAULT_PORT[scheme] ? `(:${DEFAULT_PORT[scheme]})?` : `:${port}`;
  return compileRegex(`(?i)${scheme}://${hostRe}${portRe}`, { obj: route, path: at }, diags);
}

function corsPolicy(c: NonNullable<HTTPRouteFilter["cors"]>, route: Located<HTTPRoute>, at: Path, diags: Diagnostics): CorsPolicy {
  const allowOrigins: StringMatch[] = [];
  c.allowOrigins?.forEach((o, i) => {
    const sm = corsOrigin(o, route, [...at, "allowOrigins", i], diags);
    if (sm) allowOrigins.push(sm);
  });
  const out: CorsPolicy = {
    allowOrigins,
    allowMethods: [...(c.allowMethods ?? [])],
    allowHeaders: [...(c.allowHeaders ?? [])],
    exposeHeaders: [...(c.exposeHeaders ?? [])],
    // Preflights on a CORS route are always answered by the gateway (§6.6), allowed or not.
    unmatchedPreflights: "IGNORE",
    maxAgeSeconds: c.maxAge ?? 5,
    exposeOnPreflight: true,
  };
  if (c.allowCredentials === true) out.allowCredentials = true;
  return out;
}

export interface RuleContext {
  diags: Diagnostics;
  backends: Backends;
}

export function compileGatewayApiRule(route: Located<HTTPRoute>, rule: HTTPRouteRule, ruleIndex: number, ctx: RuleContext): GatewayApiRule {
  const { diags } = ctx;
  const r = route.value;
  const ns = r.metadata.namespace;
  const key = `${ns}/${r.metadata.name}`;
  const at: Path = ["spec", "rules", ruleIndex];
  const createdMs = r.metadata.creationTimestamp !== undefined ? Date.parse(r.metadata.creationTimestamp) : 0;
  const entries = rule.matches?.length ? rule.matches : [{}];
  const matches = entries.map((m, index): GatewayApiMatch => {
    const { match, rank } = compileMatch(m, route, [...at, "matches", index], diags);
    return { match, index, precedence: { route: key, ...rank, createdMs, ruleIndex, matchIndex: index } };
  });
  const onlyMatch = rule.matches?.length === 1 ? rule.matches[0]! : rule.matches?.length ? null : {};
  const singlePrefix = onlyMatch && (onlyMatch.path?.type ?? "PathPrefix") === "PathPrefix" ? rankedPrefix(onlyMatch.path?.value ?? "/") : null;
  return {
    name: `${ns}.${r.metadata.name}.${rule.name ?? ruleIndex}`,
    ruleIndex,
    source: sourceOf(route, at),
    matches,
    body: compileBody(route, rule, at, singlePrefix, ctx),
  };
}

function compileBody(route: Located<HTTPRoute>, rule: HTTPRouteRule, at: Path, singlePrefix: string | null, ctx: RuleContext): RouteBody {
  const { diags, backends } = ctx;
  const filters = rule.filters ?? [];
  let action: RouteAction | null = null;
  let rewrite: Rewrite | undefined;
  const mirrors: Mirror[] = [];
  let corsPol: CorsPolicy | undefined;

  filters.forEach((f, i) => {
    const fat = [...at, "filters", i];
    switch (f.type) {
      case "RequestRedirect":
        action = redirectAction(f.requestRedirect!, singlePrefix);
        break;
      case "URLRewrite":
        rewrite = rewriteOf(f.urlRewrite!, singlePrefix);
        break;
      case "RequestMirror": {
        const m = f.requestMirror!;
        const b = backends.resolve(m.backendRef, route, [...fat, "requestMirror", "backendRef"]);
        if (!b.ok) break; // an unresolvable mirror is dropped; the primary keeps working (§6.5)
        const percentage = m.fraction ? (m.fraction.numerator / (m.fraction.denominator ?? 100)) * 100 : m.percent ?? 100;
        mirrors.push({ destination: b.destination, percentage });
        break;
      }
      case "CORS":
        corsPol = corsPolicy(f.cors!, route, [...fat, "cors"], diags);
        break;
      case "ExtensionRef":
      case "ExternalAuth":
        // A filter that cannot run must not be skipped: its requests get 500 (§6.7).
        diags.warn(route, [...fat, "type"], `${f.type} filters are not available at the edge; requests to this rule get 500 (a filter that cannot run is never skipped)`, "unsupported-filter");
        action = { kind: "directResponse", status: 500 };
        break;
      case "RequestHeaderModifier":
      case "ResponseHeaderModifier":
        break;
    }
  });

  action ??= routeAction(route, rule, at, ctx);
  if (action.kind === "route") {
    const sticky = sessionSplit(route, rule, at[2] as number, action.destinations, diags);
    if (sticky) action.sticky = sticky;
  } else if (rule.sessionPersistence)
    diags.warn(route, [...at, "sessionPersistence"], "this rule answers without a backend (redirect or local reply): sessionPersistence has nothing to keep", "session-persistence");
  // A single backendRef's own filters apply to every request of the rule: lift the ones the table
  // keeps per rule (redirect, rewrite) so HTTPRouteBackendRequestRedirect/URLRewrite hold (§7.5).
  const refs = (rule.backendRefs ?? []).filter((b) => (b.weight ?? 1) > 0);
  if (refs.length === 1 && action.kind === "route") {
    const bf = refs[0]!.filters ?? [];
    const bi = rule.backendRefs!.indexOf(refs[0]!);
    for (const [j, f] of bf.entries()) {
      if (f.type === "RequestRedirect") action = redirectAction(f.requestRedirect!, singlePrefix);
      else if (f.type === "URLRewrite") rewrite = rewriteOf(f.urlRewrite!, singlePrefix);
      else if (f.type !== "RequestHeaderModifier" && f.type !== "ResponseHeaderModifier")
        diags.warn(route, [...at, "backendRefs", bi, "filters", j, "type"], `${f.type} on a backendRef is not supported at the edge; it is ignored`, "unsupported-filter");
    }
  } else if (refs.length > 1) {
    rule.backendRefs!.forEach((b, bi) =>
      b.filters?.forEach((f, j) => {
        if (f.type !== "RequestHeaderModifier" && f.type !== "ResponseHeaderModifier")
          diags.warn(route, [...at, "backendRefs", bi, "filters", j, "type"], `${f.type} on one of several backendRefs is not supported at the edge; it is ignored`, "unsupported-filter");
      }),
    );
  }

  const body: RouteBody = { action };
  const headers = headerPolicy(filters);
  if (headers) body.headers = headers;
  if (rewrite) body.rewrite = rewrite;
  if (mirrors.length) body.mirrors = mirrors;
  if (corsPol) body.corsPolicy = corsPol;
  timeoutsAndRetries(rule, body);
  return body;
}

/** backendRefs → weighted destinations; no usable weight at all → 500 for every request (§7.2). */
function routeAction(route: Located<HTTPRoute>, rule: HTTPRouteRule, at: Path, ctx: RuleContext): RouteAction {
  const destinations: WeightedDestination[] = [];
  rule.backendRefs?.forEach((b, i) => {
    const weight = b.weight ?? 1;
    if (weight <= 0) return;
    const resolved = ctx.backends.resolve(b, route, [...at, "backendRefs", i]);
    const dest: WeightedDestination = resolved.ok
      ? { ...resolved.destination, weight }
      : { host: resolved.host, ...(resolved.port !== undefined ? { port: resolved.port } : {}), cluster: null, weight, invalid: resolved.reason };
    const h = headerPolicy(b.filters);
    if (h) dest.headers = h;
    destinations.push(dest);
  });
  if (!destinations.length) {
    if (!rule.backendRefs?.length) ctx.diags.warn(route, at, "this rule has no backendRefs: its requests get 500", "no-backends");
    else ctx.diags.warn(route, [...at, "backendRefs"], "every backendRef has weight 0: requests to this rule get 500", "no-backends");
    return { kind: "directResponse", status: 500 };
  }
  return { kind: "route", destinations, totalWeight: destinations.reduce((s, d) => s + d.weight, 0) };
}

/**
 * timeouts (GEP-1742) and retry (GEP-1731), as Istio maps them (§8): `request` → the route
 * timeout; `backendRequest` → the per-try timeout with a retry block, else the route timeout;
 * `0s` disables. No retry block ⇒ Istio's default policy. A retry block also retries connection
 * errors and timed-out tries (`reset`), as the GEP asks.
 */
function timeoutsAndRetries(rule: HTTPRouteRule, body: RouteBody): void {
  const request = rule.timeouts?.request !== undefined ? parseGatewayDuration(rule.timeouts.request) : null;
  const backend = rule.timeouts?.backendRequest !== undefined ? parseGatewayDuration(rule.timeouts.backendRequest) : null;
  if (request) body.timeoutMs = request;
  if (rule.retry) {
    const codes = [...new Set(rule.retry.codes ?? [])];
    const policy: RetryPolicy = {
      attempts: rule.retry.attempts ?? DEFAULT_RETRY_ATTEMPTS,
      retryOn: ["connect-failure", "refused-stream", "unavailable", "cancelled", "reset", "retriable-status-codes"],
      retriableStatusCodes: codes,
      backoffBaseMs: (rule.retry.backoff !== undefined ? parseGatewayDuration(rule.retry.backoff) : null) ?? DEFAULT_BACKOFF_BASE_MS,
      retryIgnorePreviousHosts: true,
    };
    if (backend) policy.perTryTimeoutMs = backend;
    body.retries = policy;
  } else if (backend && (!request || backend < request)) {
    body.timeoutMs = backend;
  }
}
