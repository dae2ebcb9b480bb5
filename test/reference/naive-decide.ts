/**
 * Deliberately naive reference matcher: the same Istio/Envoy semantics as src/match, written
 * independently and without any index, for oracle (differential) tests and benchmarks.
 * It scans every vhost domain to choose the vhost and every route of that vhost in order.
 * Only the post-match steps (faults, CORS, actions) are shared with decide(), via decideMatched.
 */
import type { RouteMatch, RouteTable, StringMatch } from "../../src/table/types.ts";
import type { DecideOptions, Decision, RequestFacts } from "../../src/decision.ts";
import { decideMatched } from "../../src/decide.ts";
import { httpsRedirectLocation } from "../../src/actions/redirect.ts";
import type { PreparedTable } from "../../src/prepare.ts";

const regexCache = new Map<string, RegExp>();
function regex(js: string, flags: string): RegExp {
  const key = `${flags}/${js}`;
  let r = regexCache.get(key);
  if (!r) regexCache.set(key, (r = new RegExp(js, flags.replace(/[gy]/g, ""))));
  return r;
}

const lowerAscii = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function stringMatches(m: StringMatch, value: string, ignoreCase = false): boolean {
  if ("exact" in m) return ignoreCase ? lowerAscii(value) === lowerAscii(m.exact) : value === m.exact;
  if ("prefix" in m) return ignoreCase ? lowerAscii(value).startsWith(lowerAscii(m.prefix)) : value.startsWith(m.prefix);
  // Values over 8 KiB never reach a regex (src/match/string-match.ts MAX_REGEX_INPUT_LENGTH).
  if ("regex" in m) return value.length <= 8192 && regex(m.js, m.flags).test(value);
  return true;
}

function firstQueryValue(query: string, name: string): string | undefined {
  for (const pair of query.replace(/^\?/, "").split("&")) {
    const [k, ...rest] = pair.split("=");
    if (k === name) return rest.join("=");
  }
  return undefined;
}

export function naiveRouteMatches(m: RouteMatch | null, f: RequestFacts): boolean {
  if (m === null) return true;
  if (m.uri) {
    const isPrefix = "prefix" in m.uri;
    const subject = isPrefix ? f.path + f.query : f.path;
    const ci = m.ignoreUriCase === true && !("regex" in m.uri);
    if (!stringMatches(m.uri, subject, ci)) return false;
  }
  if (m.method && !stringMatches(m.method, f.method)) return false;
  if (m.scheme && !stringMatches(m.scheme, f.scheme)) return false;
  if (m.authority && !stringMatches(m.authority, f.authority)) return false;
  for (const [name, sm] of m.headers ?? []) {
    const v = f.headers.get(name);
    if (v === null || !stringMatches(sm, v)) return false;
  }
  for (const [name, sm] of m.withoutHeaders ?? []) {
    const v = f.headers.get(name);
    const hit = "present" in sm ? v !== null : stringMatches(sm, v ?? "");
    if (hit) return false;
  }
  for (const [name, sm] of m.queryParams ?? []) {
    const v = firstQueryValue(f.query, name);
    if (v === undefined || !stringMatches(sm, v)) return false;
  }
  return true;
}

export function naiveVhost(table: RouteTable, f: RequestFacts): number | null {
  const l = table.listeners[f.scheme];
  if (Object.hasOwn(l.exact, f.host)) return l.exact[f.host]!;
  let best: number | null = null;
  let bestLen = -1;
  for (const [suffix, index] of Object.entries(l.suffix)) {
    if (f.host.length > suffix.length && f.host.endsWith(suffix) && suffix.length > bestLen) {
      best = index;
      bestLen = suffix.length;
    }
  }
  return best ?? l.star;
}

/** vhost index (or null) and the first matching route index (or -1). */
export function naiveMatch(table: RouteTable, f: RequestFacts): { vhost: number | null; route: number } {
  const vhost = naiveVhost(table, f);
  if (vhost === null) return { vhost, route: -1 };
  const routes = table.vhosts[vhost]!.routes;
  for (let i = 0; i < routes.length; i++) if (naiveRouteMatches(routes[i]!.match, f)) return { vhost, route: i };
  return { vhost, route: -1 };
}

/** decide() with the naive matcher in front (same post-match logic). */
export function naiveDecide(table: PreparedTable, f: RequestFacts, opts: DecideOptions): Decision {
  const { vhost, route } = naiveMatch(table.table, f);
  if (vhost === null) return { kind: "noRoute" };
  const v = table.table.vhosts[vhost]!;
  if (v.httpsRedirect && f.scheme === "http") return { kind: "httpsRedirect", location: httpsRedirectLocation(f), vhost: v.domain };
  if (route < 0) return { kind: "noRoute", vhost: v.domain };
  return decideMatched(table, vhost, route, f, opts);
}
