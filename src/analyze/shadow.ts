/**
 * Match implication for the unreachable-route analysis: `covers(a, b)` is true only when every
 * request matching `b` certainly matches `a` (conservative: false when unsure, e.g. two different
 * regexes). Inside a match all conditions are AND'ed, so `a` covers `b` when each condition of
 * `a` is implied by a condition of `b` on the same field.
 */
import type { RouteMatch, StringMatch } from "../table/types.ts";

type Cased = { m: StringMatch; ignoreCase: boolean };

/** Does a value matching `b` certainly match `a`? */
function implies(b: Cased, a: Cased): boolean {
  const am = a.m;
  const bm = b.m;
  if ("present" in am) return true; // b constrains the same field, so it is present
  if ("present" in bm) return false;
  if ("regex" in am) return "regex" in bm && bm.js === am.js && bm.flags === am.flags;
  if ("regex" in bm) return false;
  // exact / prefix: compare case-insensitively only when `a` is case-insensitive; a
  // case-insensitive `b` admits values `a` (case-sensitive) would reject.
  if (b.ignoreCase && !a.ignoreCase) return false;
  const norm = (s: string) => (a.ignoreCase ? s.toLowerCase() : s);
  const bValue = norm("exact" in bm ? bm.exact : bm.prefix);
  if ("exact" in am) return "exact" in bm && bValue === norm(am.exact);
  return bValue.startsWith(norm(am.prefix));
}

function pairsImply(a: ReadonlyArray<[string, StringMatch]> | undefined, b: ReadonlyArray<[string, StringMatch]> | undefined): boolean {
  for (const [name, am] of a ?? []) {
    const bm = b?.find(([n]) => n === name)?.[1];
    if (!bm || !implies({ m: bm, ignoreCase: false }, { m: am, ignoreCase: false })) return false;
  }
  return true;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** A uri condition every request path satisfies (`prefix: /` or `prefix: ""`). */
function uriMatchesAll(m: StringMatch | undefined): boolean {
  return m === undefined || ("prefix" in m && (m.prefix === "" || m.prefix === "/"));
}

export function covers(a: RouteMatch | null, b: RouteMatch | null): boolean {
  if (a === null) return true;
  const field = (x: StringMatch | undefined, y: StringMatch | undefined) => x === undefined || (y !== undefined && implies({ m: y, ignoreCase: false }, { m: x, ignoreCase: false }));
  if (!uriMatchesAll(a.uri)) {
    if (!b?.uri || !implies({ m: b.uri, ignoreCase: !!b.ignoreUriCase }, { m: a.uri!, ignoreCase: !!a.ignoreUriCase })) return false;
  }
  if (b === null) {
    return uriMatchesAll(a.uri) && !a.scheme && !a.method && !a.authority && !a.headers?.length && !a.withoutHeaders?.length && !a.queryParams?.length;
  }
  if (!field(a.scheme, b.scheme) || !field(a.method, b.method) || !field(a.authority, b.authority)) return false;
  if (!pairsImply(a.headers, b.headers) || !pairsImply(a.queryParams, b.queryParams)) return false;
  // withoutHeaders: only identical conditions are known to carry over.
  for (const [name, am] of a.withoutHeaders ?? []) {
    const bm = b.withoutHeaders?.find(([n]) => n === name)?.[1];
    if (!bm || !sameJson(am, bm)) return false;
  }
  return true;
}

/** Identical conditions (the match names do not matter). */
export function sameMatch(a: RouteMatch | null, b: RouteMatch | null): boolean {
  if (a === null || b === null) return a === b;
  const { name: _a, ...ra } = a;
  const { name: _b, ...rb } = b;
  return sameJson(ra, rb);
}
