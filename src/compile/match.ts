/**
 * HTTPMatchRequest → RouteMatch (istio:route TranslateRouteMatch, ISTIO-SEMANTICS §1.2).
 * `port` and `gateways` are build-time conditions handled by routes.ts, not carried here.
 */
import type { RouteMatch, StringMatch } from "../table/types.ts";
import type { HTTPMatchRequest, IstioStringMatch } from "./input.ts";
import type { Diagnostics } from "./diagnostics.ts";
import { at, compileRegex, type Where } from "./regex.ts";

/**
 * StringMatch for uri/scheme/method/authority/origins: exact | prefix | regex (RE2, full match).
 * An empty `{}` carries no condition: null.
 */
export function stringMatch(m: IstioStringMatch, where: Where, diags: Diagnostics): StringMatch | null {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return compileRegex(m.regex, at(where, "regex"), diags);
  return null;
}

/**
 * Header and query parameter matchers: `{}` or `regex: "*"` mean "present" (istio:route
 * isCatchAllHeaderMatch; §1.2 headers/queryParams).
 */
export function presenceOrMatch(m: IstioStringMatch, where: Where, diags: Diagnostics): StringMatch | null {
  if (m.exact === undefined && m.prefix === undefined && (m.regex === undefined || m.regex === "*")) return { present: true };
  return stringMatch(m, where, diags);
}

type NamedMatchers = Array<[string, StringMatch]>;

/** Envoy lower-cases configured header names (matching is case-insensitive); sorted as Istio does. */
function headerMatchers(map: Record<string, IstioStringMatch>, lower: boolean, where: Where, diags: Diagnostics): NamedMatchers {
  const out: NamedMatchers = [];
  for (const [name, m] of Object.entries(map)) {
    const sm = presenceOrMatch(m, at(where, name), diags);
    if (sm) out.push([lower ? name.toLowerCase() : name, sm]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export function routeMatch(m: HTTPMatchRequest, where: Where, diags: Diagnostics): RouteMatch {
  const out: RouteMatch = {};
  if (m.name !== undefined) out.name = m.name;
  const field = (k: "uri" | "scheme" | "method" | "authority") => {
    const v = m[k];
    if (v === undefined) return;
    const sm = stringMatch(v, at(where, k), diags);
    if (sm) out[k] = sm;
  };
  field("uri");
  // ignoreUriCase sets Envoy case_sensitive=false: exact and prefix only, never regex (§1.2).
  if (m.ignoreUriCase) out.ignoreUriCase = true;
  field("scheme");
  field("method");
  field("authority");
  if (m.headers && Object.keys(m.headers).length) out.headers = headerMatchers(m.headers, true, at(where, "headers"), diags);
  if (m.withoutHeaders && Object.keys(m.withoutHeaders).length)
    out.withoutHeaders = headerMatchers(m.withoutHeaders, true, at(where, "withoutHeaders"), diags);
  // Query parameter names are case-sensitive in Envoy's query_parameter matcher.
  if (m.queryParams && Object.keys(m.queryParams).length) out.queryParams = headerMatchers(m.queryParams, false, at(where, "queryParams"), diags);
  return out;
}

/**
 * istio:route isCatchAllRoute: the path matcher is prefix `/` (no uri ⇒ prefix `/`) or regex `.*`,
 * and there is no header or query matcher. `method`, `authority` and `scheme` are header matchers
 * in Envoy, so they prevent catch-all status too (§1.2 "Route ordering" item 2).
 */
export function isCatchAll(m: RouteMatch | null): boolean {
  if (m === null) return true;
  const uri = m.uri;
  const pathAll = uri === undefined || ("prefix" in uri && uri.prefix === "/") || ("regex" in uri && uri.regex === ".*");
  return (
    pathAll &&
    m.scheme === undefined &&
    m.method === undefined &&
    m.authority === undefined &&
    !m.headers?.length &&
    !m.withoutHeaders?.length &&
    !m.queryParams?.length
  );
}
