/**
 * Unreachable rules and ineffective matches of one VirtualService, on the rules as written
 * (Istio's webhook warnings IST0130 VirtualServiceUnreachableRule and IST0131
 * VirtualServiceIneffectiveMatch, istio pkg/config/validation analyzeUnreachableHTTPRules /
 * coveredValidation). Written rules, not the compiled table: the compiler drops every route after
 * a catch-all (Envoy could never reach them), so only the source still shows them.
 *
 * Istio's rules, reproduced:
 *  - a rule without `match` after another rule without `match`: "only the last rule can have no
 *    matches"; every match of a rule after a rule without `match`: "route without matches defined
 *    before" (one finding per match);
 *  - a match identical to an earlier one (names ignored): IST0131; a rule whose matches all are:
 *    IST0130 "all matches used by prior rules";
 *  - a uri-prefix match covered by an earlier uri-prefix match (coveredValidation: the later prefix
 *    starts with the earlier one, same port, method/authority/header/query/withoutHeaders maps of
 *    the same size whose values start with the earlier ones, a missing method meaning `GET`): IST0131.
 * And one step further (the issue's "a rule after a catch-all, fault or not"): a match that
 * matches every request (`prefix: /` or `regex: .*` with no other condition) shadows everything
 * after it exactly as a rule without `match` does.
 */
import type { HTTPMatchRequest, StringMatch, VirtualService } from "../config/index.ts";

/** `istio`: Istio's webhook itself warns so (kubectl apply prints it); false for the catch-all-match extension. */
export type RuleFinding =
  | { kind: "unreachable"; rule: number; match?: number; ruleName: string; reason: string; istio: boolean }
  | { kind: "ineffective"; rule: number; match: number; ruleName: string; matchName: string; dup: string; istio: boolean };

/** `"name"` or `#3`, as Istio names rules and matches in its messages. */
const ruleName = (name: string | undefined, i: number) => (name ? JSON.stringify(name) : `#${i}`);

/** JSON of a match without its name: Istio's asJSON identity of a match (key order normalised). */
function identity(m: HTTPMatchRequest): string {
  const { name: _name, ...rest } = m;
  return stable(rest);
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(",")}]`;
  if (v && typeof v === "object")
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  return JSON.stringify(v);
}

/** A match every request satisfies (Istio isCatchAllMatch; build-time `port`/`gateways` make it conditional). */
export function matchesEverything(m: HTTPMatchRequest): boolean {
  const uri = m.uri;
  const pathAll = uri === undefined || uri.prefix === "/" || uri.regex === ".*";
  const { name: _n, uri: _u, ignoreUriCase: _i, statPrefix: _s, ...rest } = m as HTTPMatchRequest & { statPrefix?: string };
  return pathAll && Object.values(rest).every((v) => v === undefined || (typeof v === "object" && v !== null && Object.keys(v).length === 0));
}

const EXACT = "exact:";
const PREFIX = "prefix:";
function exactOrPrefix(s: StringMatch | undefined): string {
  if (s?.exact) return EXACT + s.exact;
  if (s?.prefix) return PREFIX + s.prefix;
  return "";
}

interface Overlap {
  rule: number;
  ruleStr: string;
  matchStr: string;
  prefix: string;
  port: number | undefined;
  method: string;
  authority: string;
  headers: Map<string, string>;
  query: Map<string, string>;
  without: Map<string, string>;
}

function overlapOf(rule: number, ruleStr: string, m: HTTPMatchRequest, j: number): Overlap | undefined {
  const prefix = m.uri?.prefix;
  if (!prefix) return undefined;
  const map = (x: Record<string, StringMatch> | undefined) => new Map(Object.entries(x ?? {}).map(([k, v]) => [k, exactOrPrefix(v)]));
  return {
    rule,
    ruleStr,
    matchStr: ruleName(m.name, j),
    prefix,
    port: m.port,
    // No method means GET to Istio's overlap check (pkg/config/validation genMatchHTTPRoutes).
    method: exactOrPrefix(m.method) || EXACT + "GET",
    authority: exactOrPrefix(m.authority),
    headers: map(m.headers),
    query: map(m.queryParams),
    without: map(m.withoutHeaders),
  };
}

/** Istio coveredValidation(a, b): does the earlier `a` cover the later `b`? */
function covered(a: Overlap, b: Overlap): boolean {
  if (!b.prefix.startsWith(a.prefix) || a.port !== b.port) return false;
  const value = (x: string, y: string) => x === y || x.startsWith(y);
  if (!value(a.method, b.method) || !value(a.authority, b.authority)) return false;
  for (const [am, bm] of [[a.headers, b.headers], [a.query, b.query], [a.without, b.without]] as const) {
    if (am.size !== bm.size) return false;
    for (const [k, v] of am) {
      const w = bm.get(k);
      if (w === undefined || !value(v, w)) return false;
    }
  }
  return true;
}

export function analyzeRules(vs: VirtualService): RuleFinding[] {
  const out: RuleFinding[] = [];
  const seen = new Map<string, number>();
  let catchAll: { rule: number; reason: string; istio: boolean } | null = null;
  const overlaps: Overlap[] = [];
  (vs.spec.http ?? []).forEach((r, i) => {
    const name = ruleName(r.name, i);
    if (!r.match?.length) {
      if (catchAll)
        out.push({ kind: "unreachable", rule: i, ruleName: name, reason: catchAll.istio ? "only the last rule can have no matches" : catchAll.reason, istio: catchAll.istio });
      // Only the first catch-all shadows; a later one is itself unreachable (reported above).
      if (!catchAll) catchAll = { rule: i, reason: "route without matches defined before", istio: true };
      return;
    }
    let duplicates = 0;
    r.match.forEach((m, j) => {
      if (catchAll) {
        out.push({ kind: "unreachable", rule: i, match: j, ruleName: name, reason: catchAll.reason, istio: catchAll.istio });
        return;
      }
      const id = identity(m);
      const dup = seen.get(id);
      if (dup !== undefined) {
        const d = vs.spec.http![dup]!;
        out.push({ kind: "ineffective", rule: i, match: j, ruleName: name, matchName: ruleName(m.name, j), dup: ruleName(d.name, dup), istio: true });
        duplicates++;
        return;
      }
      seen.set(id, i);
      const o = overlapOf(i, name, m, j);
      if (o) {
        const by = overlaps.find((a) => a.prefix !== o.prefix && covered(a, o));
        if (by)
          out.push({ kind: "ineffective", rule: i, match: j, ruleName: name, matchName: `${o.matchStr} of prefix ${o.prefix}`, dup: `${by.matchStr} of prefix ${by.prefix} on ${by.ruleStr}`, istio: true });
        overlaps.push(o);
      }
      if (matchesEverything(m)) catchAll = { rule: i, reason: `match ${ruleName(m.name, j)} of rule ${name} matches every request (${m.uri ? "prefix /" : "no conditions"}) and is defined before`, istio: false };
    });
    if (duplicates === r.match.length) out.push({ kind: "unreachable", rule: i, ruleName: name, reason: "all matches used by prior rules", istio: true });
  });
  return out;
}
