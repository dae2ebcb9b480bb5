/**
 * `routes analyze` for HTTPRoutes (GATEWAY-API-SEMANTICS §5, §3.2, §10): what a Gateway API
 * controller would put in route status, or what no status shows but an operator would want to know.
 *
 *  - a match that can never be chosen: on a virtual host the compiler has already ordered every
 *    match of every attached route by the spec's precedence (compile/gateway-api/precedence.ts),
 *    so a match is shadowed when a match ranked before it accepts every request it would. The
 *    covering test reads the matches as written (HTTPRouteMatch), conservatively: it says "covers"
 *    only when that is certain (element-wise PathPrefix, equal Exact paths and equal regexes, the
 *    same method, and every header/query condition of the earlier match repeated in the later one);
 *  - a route hostname served on no listener the route is attached to (it intersects none of their
 *    hostnames, or a more specific listener owns it: listener isolation, §2.4), while other
 *    hostnames of the route are served — the compiler already warns when none is
 *    (Accepted=False/NoMatchingListenerHostname) and when a route attaches to nothing.
 */
import type { ConfigObjects, Issue, Located } from "../config/index.ts";
import type { HTTPRoute, HTTPRouteMatch } from "../config/gateway-api/index.ts";
import type { Route, RouteTable } from "../table/types.ts";
import { explainStep } from "../compile/gateway-api/precedence.ts";

type Path = ReadonlyArray<string | number>;

/** PathPrefix value without its ignored trailing "/" ("/" stays "/"), §4.2. */
function prefixOf(value: string): string {
  return value.length > 1 && value.endsWith("/") ? value.slice(0, -1) : value;
}

/** Does every path `b` accepts certainly satisfy `a`? */
function pathCovers(a: HTTPRouteMatch["path"], b: HTTPRouteMatch["path"]): boolean {
  const at = a?.type ?? "PathPrefix";
  const bt = b?.type ?? "PathPrefix";
  const av = a?.value ?? "/";
  const bv = b?.value ?? "/";
  if (at === "PathPrefix") {
    const p = prefixOf(av);
    if (p === "/") return true;
    if (bt === "RegularExpression") return false;
    const v = bt === "PathPrefix" ? prefixOf(bv) : bv;
    return v === p || v.startsWith(`${p}/`);
  }
  return at === bt && av === bv; // Exact = Exact, or the very same regex
}

/** First entry per name (header names case-insensitive, query names case-sensitive), §4.3–4.4. */
function conditions(list: HTTPRouteMatch["headers"], lower: boolean): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of list ?? []) {
    const name = lower ? c.name.toLowerCase() : c.name;
    if (!out.has(name)) out.set(name, `${c.type ?? "Exact"}:${c.value}`);
  }
  return out;
}

function conditionsCover(a: Map<string, string>, b: Map<string, string>): boolean {
  for (const [name, v] of a) if (b.get(name) !== v) return false;
  return true;
}

/** Does every request matching `b` certainly match `a`? (conservative) */
export function httpMatchCovers(a: HTTPRouteMatch, b: HTTPRouteMatch): boolean {
  if (!pathCovers(a.path, b.path)) return false;
  if (a.method !== undefined && a.method !== b.method) return false;
  return conditionsCover(conditions(a.headers, true), conditions(b.headers, true)) && conditionsCover(conditions(a.queryParams, false), conditions(b.queryParams, false));
}

function issueAt(obj: Located<unknown>, path: Path, message: string, code: string): Issue {
  const at = obj.at(path);
  return { severity: "warning", file: obj.file, line: at.line, col: at.col, path: pathText(path), message, code };
}

function pathText(path: Path): string {
  let s = "";
  for (const p of path) s += typeof p === "number" ? `[${p}]` : s ? `.${p}` : p;
  return s;
}

interface Source {
  obj: Located<HTTPRoute>;
  match: HTTPRouteMatch;
  /** Where the match is written (the rule itself when it has no matches). */
  path: Path;
  label: string;
}

export function httpRouteFindings(objects: Pick<ConfigObjects, "httpRoutes">, table: RouteTable): Issue[] {
  const routes = new Map(objects.httpRoutes.map((r) => [`${r.value.metadata.namespace}/${r.value.metadata.name}`, r]));
  const sourceOf = (r: Route): Source | null => {
    if (r.precedence === undefined) return null;
    const obj = routes.get(r.virtualService);
    const rule = obj?.value.spec.rules?.[r.ruleIndex];
    if (!obj) return null;
    const written = rule?.matches?.[r.matchIndex ?? 0];
    const path: Path = written ? ["spec", "rules", r.ruleIndex, "matches", r.matchIndex ?? 0] : rule ? ["spec", "rules", r.ruleIndex] : ["spec"];
    return { obj, match: written ?? {}, path, label: `${r.virtualService} rules[${r.ruleIndex}]${written ? `.matches[${r.matchIndex ?? 0}]` : ""}` };
  };

  const out: Issue[] = [];
  const seen = new Set<string>();
  for (const vh of table.vhosts) {
    // Read once: a lazy table (the CLI's lowMemory build) expands the routes on every read.
    const routes = vh.routes;
    const sources = routes.map(sourceOf);
    for (let j = 1; j < routes.length; j++) {
      const later = sources[j];
      if (!later) continue;
      for (let i = 0; i < j; i++) {
        const earlier = sources[i];
        if (!earlier || !httpMatchCovers(earlier.match, later.match)) continue;
        const key = `${later.label}|${earlier.label}`;
        if (seen.has(key)) break;
        seen.add(key);
        const sameRule = routes[i]!.virtualService === routes[j]!.virtualService && routes[i]!.ruleIndex === routes[j]!.ruleIndex;
        const why = explainStep(routes[i]!.precedence!, routes[j]!.precedence!);
        out.push(
          sameRule
            ? issueAt(later.obj, later.path, `on host ${vh.domain} this match never decides: ${earlier.label} of the same rule catches every request it would (${why})`, "duplicate-match")
            : issueAt(
                later.obj,
                later.path,
                `on host ${vh.domain} this match can never be chosen: ${earlier.label} ranks before it under the Gateway API precedence (${why}) and catches every request it would`,
                "unreachable-route",
              ),
        );
        break;
      }
    }
  }

  // Hostnames served nowhere, for routes that are served somewhere.
  const domains = new Map<string, Set<string>>();
  for (const vh of table.vhosts)
    for (const r of vh.routes) if (r.precedence !== undefined) (domains.get(r.virtualService) ?? domains.set(r.virtualService, new Set()).get(r.virtualService)!).add(vh.domain);
  for (const [key, obj] of routes) {
    const served = domains.get(key);
    if (!served?.size) continue;
    obj.value.spec.hostnames?.forEach((h, i) => {
      const host = h.toLowerCase();
      // Effective hostnames are each as specific as the narrower side (§3.2), so a served hostname
      // shows up as itself or as a narrower name inside its wildcard.
      const ok = [...served].some((d) => d === host || (host.startsWith("*.") && d.endsWith(host.slice(1))));
      if (!ok)
        out.push(
          issueAt(
            obj,
            ["spec", "hostnames", i],
            `hostname ${h} of HTTPRoute ${key} is served on none of the listeners the route is attached to (it intersects none of their hostnames, or a more specific listener owns it: listener isolation); requests for ${h} never reach this route`,
            "hostname-not-served",
          ),
        );
    });
  }
  return out;
}
