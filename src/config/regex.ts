/**
 * checkRegex: an Istio regex (RE2 syntax, full match, ≤ 1024 characters — ISTIO-SEMANTICS §1.2
 * StringMatch) → a JavaScript RegExp source anchored for a full match, or a clear reason why not.
 *
 * 1. re2js (the RE2 grammar) validates syntax: no backreferences, no lookaround.
 * 2. regex-ast.ts parses it; this module emits JS (`u` flag, code points): `.` becomes `[^\n]`
 *    (JS `.` also excludes \r and U+2028/9), `\s` becomes RE2's [\t\n\f\r ], `(?m)` anchors become
 *    lookarounds on \n only, `\A`/`\z` become `^`/`$`, `(?P<n>…)` a numbered group, `\Q…\E`
 *    literals, POSIX classes ranges. `(?i)` over the whole pattern becomes flag "i"; partial
 *    case-insensitivity is expanded into case-variant classes.
 * 3. regex-safety.ts chooses the engine: V8 for patterns proven linear for a backtracking
 *    engine, re2js otherwise (bounded program size); a rewrite pattern must be proven linear.
 * The Worker (src/match/string-match.ts) runs `new RegExp(js, flags).test(input)` or re2js.
 */
import { RE2JS } from "re2js";
import { MAX_CP, normalize, parseRE2, Unsupported, type CharSet, type Node } from "./regex-ast.ts";
import { chooseEngine, type Engine } from "./regex-safety.ts";

/**
 * `engine`: where the Worker runs it (regex-safety.ts): "js" = V8 on `js`/`flags` (proven linear),
 * "re2" = re2js on the RE2 source itself (full match).
 * `edge: true` when the pattern is valid RE2 within Istio's limits (Istio accepts it) but the edge
 * cannot run it safely or translate it: an edge error, not Istio's verdict (DESIGN.md §9).
 */
export type RegexCheck = { ok: true; js: string; flags: string; engine: Engine } | { ok: false; message: string; edge?: boolean };

/** Istio's limit on regex length (istio:val validateStringRegexp). */
export const MAX_REGEX_LENGTH = 1024;

const cache = new Map<string, RegexCheck>();

/**
 * @param mode "match" (default): a full match, as every StringMatch; "search": an unanchored
 *   search for every occurrence (uriRegexRewrite), which gets a stricter backtracking bound.
 */
export function checkRegex(re2Source: string, mode: "match" | "search" = "match"): RegexCheck {
  const key = mode === "match" ? re2Source : `search\0${re2Source}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = check(re2Source, mode);
    if (cache.size > 10_000) cache.clear();
    cache.set(key, hit);
  }
  return hit;
}

function check(src: string, mode: "match" | "search"): RegexCheck {
  if (src.length > MAX_REGEX_LENGTH) return { ok: false, message: `regex is ${src.length} characters long; the maximum is ${MAX_REGEX_LENGTH}` };
  let programSize: number;
  try {
    programSize = RE2JS.compile(src).programSize();
  } catch (e) {
    const msg = (e as Error).message.replace(/^error parsing regexp: /, "");
    const hint = /\\[1-9]/.test(src) ? " (RE2 has no backreferences)" : /\(\?<?[=!]/.test(src) ? " (RE2 has no lookahead or lookbehind)" : "";
    return { ok: false, message: `invalid RE2 regex: ${msg}${hint}` };
  }
  let ast: Node;
  try {
    ast = parseRE2(src);
  } catch (e) {
    if (e instanceof Unsupported) return { ok: false, edge: true, message: `regex cannot be translated for the edge: ${e.message}` };
    throw e;
  }
  const choice = chooseEngine(ast, programSize, mode);
  if ("error" in choice) return { ok: false, edge: true, message: `regex rejected at the edge: ${choice.error}` };
  try {
    const folds = collectFolds(ast);
    const globalFold = folds.size === 1 && folds.has(true);
    const js = `^(?:${emit(ast, !globalFold)})$`;
    const flags = globalFold ? "iu" : "u";
    new RegExp(js, flags); // must compile; a failure here is a translator bug, reported as such
    return { ok: true, js, flags, engine: choice.engine };
  } catch (e) {
    return { ok: false, edge: true, message: `regex cannot be translated for the edge: ${(e as Error).message}` };
  }
}

/** Which case modes literals/classes carry: {true} ⇒ the whole pattern is (?i) ⇒ flag "i". */
function collectFolds(n: Node, out = new Set<boolean>()): Set<boolean> {
  if (n.t === "lit" || (n.t === "class" && !(n.set.length === 1 && n.set[0]![0] === 0 && n.set[0]![1] === MAX_CP))) out.add(n.fold);
  if (n.t === "group" || n.t === "repeat") collectFolds(n.node, out);
  if (n.t === "concat") n.items.forEach((x) => collectFolds(x, out));
  if (n.t === "alt") n.branches.forEach((x) => collectFolds(x, out));
  return out;
}

const SYNTAX = new Set("^$\\.*+?()[]{}|/".split(""));

function lit(cp: number): string {
  const ch = String.fromCodePoint(cp);
  if (SYNTAX.has(ch)) return "\\" + ch;
  if (cp < 0x20 || cp > 0x7e) return `\\u{${cp.toString(16)}}`;
  return ch;
}

function classChar(cp: number): string {
  const ch = String.fromCodePoint(cp);
  if ("\\]^-[/".includes(ch)) return "\\" + ch;
  if (cp < 0x20 || cp > 0x7e) return `\\u{${cp.toString(16)}}`;
  return ch;
}

/** JS property escape for an RE2 property name: general categories as-is, scripts as Script=. */
function prop(name: string, neg: boolean): string {
  const body = /^[A-Z][a-z]?$/.test(name) ? name : `Script=${name}`;
  return `\\${neg ? "P" : "p"}{${body}}`;
}

function classSource(set: CharSet, props: Array<{ name: string; neg: boolean }>, negate: boolean): string {
  const parts = set.map(([lo, hi]) => (lo === hi ? classChar(lo) : hi === lo + 1 ? classChar(lo) + classChar(hi) : `${classChar(lo)}-${classChar(hi)}`));
  return `[${negate ? "^" : ""}${parts.join("")}${props.map((p) => prop(p.name, p.neg)).join("")}]`;
}

/** Case variants (simple case folding, incl. the Kelvin/long-s/Angstrom specials RE2 folds). */
function caseVariants(set: CharSet): CharSet {
  const size = set.reduce((s, [lo, hi]) => s + hi - lo + 1, 0);
  if (size > 20_000) throw new Error("a large character class under a partial (?i) cannot be case-folded; put (?i) at the start of the pattern");
  const out: CharSet = [...set];
  const extra: Record<number, number[]> = { 0x6b: [0x212a], 0x4b: [0x212a], 0x73: [0x17f], 0x53: [0x17f], 0xe5: [0x212b], 0xc5: [0x212b], 0x212a: [0x6b, 0x4b], 0x17f: [0x73, 0x53], 0x212b: [0xe5, 0xc5] };
  for (const [lo, hi] of set)
    for (let cp = lo; cp <= hi; cp++) {
      const ch = String.fromCodePoint(cp);
      for (const v of [ch.toLowerCase(), ch.toUpperCase()]) {
        const vcp = v.codePointAt(0)!;
        if (v.length === String.fromCodePoint(vcp).length && vcp !== cp) out.push([vcp, vcp]);
      }
      for (const x of extra[cp] ?? []) out.push([x, x]);
    }
  return normalize(out);
}

function emit(n: Node, expandFold: boolean): string {
  const e = (x: Node) => emit(x, expandFold);
  switch (n.t) {
    case "empty":
      return "";
    case "lit": {
      if (!(expandFold && n.fold)) return lit(n.cp);
      const v = caseVariants([[n.cp, n.cp]]);
      return v.length === 1 && v[0]![0] === v[0]![1] ? lit(n.cp) : classSource(v, [], false);
    }
    case "class": {
      if (expandFold && n.fold && n.props.length) throw new Error("a Unicode property class under a partial (?i) cannot be translated; put (?i) at the start of the pattern");
      const set = expandFold && n.fold ? caseVariants(n.set) : n.set;
      return classSource(set, n.props, n.negate);
    }
    case "dot":
      return n.nl ? "[^]" : "[^\\n]";
    case "assert":
      return { textStart: "^", textEnd: "$", lineStart: "(?<![^\\n])", lineEnd: "(?![^\\n])", wordB: "\\b", notWordB: "\\B" }[n.kind];
    case "group":
      return n.capture ? `(${e(n.node)})` : `(?:${e(n.node)})`;
    case "concat":
      return n.items.map(e).join("");
    case "alt":
      return n.branches.map(e).join("|");
    case "repeat": {
      const inner = e(n.node);
      // lits (a char, an escape or a case-variant class), classes, dots and groups are single atoms.
      const single = n.node.t === "group" || n.node.t === "class" || n.node.t === "dot" || n.node.t === "lit";
      const atom = single ? inner : `(?:${inner})`;
      const q = n.min === 0 && n.max === Infinity ? "*" : n.min === 1 && n.max === Infinity ? "+" : n.min === 0 && n.max === 1 ? "?" : n.max === Infinity ? `{${n.min},}` : n.min === n.max ? `{${n.min}}` : `{${n.min},${n.max}}`;
      return atom + q + (n.greedy ? "" : "?");
    }
  }
}
