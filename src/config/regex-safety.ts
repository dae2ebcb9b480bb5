/**
 * Conservative static check against catastrophic backtracking. RE2 (what Envoy runs) is linear
 * time; the Worker runs the translated pattern on V8's backtracking engine, where an ambiguous
 * repetition such as `(a+)+$`, `(a|a)*`, `(.*)*` or `(\w+\s?)+$` is exponential on a near-miss
 * input. We therefore accept a repetition (max ≥ 2) only when one iteration of its body can be
 * delimited unambiguously:
 *   - the body has a fixed shape (no quantifier or alternation inside, `{n}` allowed), or
 *   - it is an alternation of fixed-shape branches none of which can match a prefix of another's
 *     match (`foo|bar|baz` yes, `a|ab` no), or
 *   - its first (or last) element is one mandatory character whose set is disjoint from every other
 *     character the body can consume (`(/[a-z]+)+`, `([a-z]+\.)*`).
 * Two adjacent unbounded quantifiers whose bodies can start and end alike (`\d+\d*`, `.*.*`) are
 * rejected too (quadratic). This rejects some safe patterns; the message says how to rewrite them.
 *
 * Polynomial backtracking: in a sequence, each unbounded repetition that can swallow the
 * characters of what follows it up to the next unbounded repetition (`.*a.*`: `.*` can eat the
 * `a` and the rest) multiplies the work by the input length. A chain of k such repetitions costs
 * O(n^k): `.*a.*a.*a.*b` took over 200 s on 1,024 characters in V8. We bound the chain
 * ("degree"): at most 2 for a full match (quadratic, and string-match.ts caps the input length),
 * at most 1 for an unanchored search (uriRegexRewrite, which tries every start position and so
 * adds one factor n) unless the pattern starts with `^`.
 */
import { complement, MAX_CP, normalize, type CharSet, type Node } from "./regex-ast.ts";

const ANY: CharSet = [[0, MAX_CP]];

/** Largest chain of mutually swallowing unbounded repetitions accepted (see above). */
export const MAX_DEGREE = { match: 2, search: 1 } as const;

export function backtrackingProblem(node: Node, mode: "match" | "search" = "match"): string | null {
  let problem: string | null = null;
  walk(node, (n) => {
    if (problem) return;
    if (n.t === "repeat" && n.max >= 2 && !safeBody(n.node))
      problem = nullable(n.node)
        ? "a repeated group can match the empty string (like (a*)*); this can backtrack catastrophically in JavaScript"
        : "nested or ambiguous repetition (like (a+)+ or (a|ab)*): one input can be split into repetitions in many ways, which backtracks catastrophically in JavaScript; make each repetition start or end with a character the rest cannot match, e.g. (/[a-z]+)+";
    if (n.t === "concat")
      for (let i = 1; i < n.items.length; i++) {
        const a = n.items[i - 1]!, b = n.items[i]!;
        // Ambiguous only if an iteration of b could also be an iteration of a: approximated by
        // overlapping first and last characters of the two bodies.
        if (a.t === "repeat" && b.t === "repeat" && a.max === Infinity && b.max === Infinity && intersects(first(a.node), first(b.node)) && intersects(last(a.node), last(b.node)))
          problem = "two adjacent unbounded repetitions over overlapping characters (like \\d+\\d*) backtrack quadratically in JavaScript; merge them into one";
      }
  });
  if (problem) return problem;
  const anchored = flatten(node).some((x, i, all) => x.t === "assert" && x.kind === "textStart" && all.slice(0, i).every((y) => y.t === "assert"));
  const max = mode === "search" && !anchored ? MAX_DEGREE.search : MAX_DEGREE.match;
  const d = degree(node);
  if (d > max)
    return `${d} unbounded repetitions in a row can each take the characters of the next (like .*a.*a.*b); JavaScript then backtracks in O(n^${mode === "search" && !anchored ? d + 1 : d}) on a near-miss input${mode === "search" && !anchored ? " (an unanchored rewrite search tries every start position; start the pattern with ^ to anchor it)" : ""}; at most ${max} ${max === 1 ? "is" : "are"} accepted: use a class that excludes the separator, e.g. [^/]* instead of .*`;
  return null;
}

/** A repetition that can consume unboundedly many characters (or ≥ 64: bounded but large). */
function unbounded(n: Node): boolean {
  return n.t === "repeat" && n.max >= 64;
}

/**
 * Items of a sequence, looking through groups and optional (`?`) parts, so `(.*)a(?:.*b)?` is
 * seen as `.*`, `a`, `.*`, `b`. An item that is not itself an unbounded repetition but contains
 * one (an alternation `(?:.*a|b)`) is kept whole and treated as one.
 */
function seqItems(n: Node): Node[] {
  n = unwrap(n);
  if (n.t === "concat") return n.items.flatMap(seqItems);
  if (n.t === "repeat" && n.max <= 1) return seqItems(n.node);
  return [n];
}

function containsUnbounded(n: Node): boolean {
  let found = false;
  walk(n, (x) => {
    if (unbounded(x)) found = true;
  });
  return found;
}

/** Longest chain of unbounded repetitions in any sequence of the pattern (see the header). */
function degree(node: Node): number {
  let best = 0;
  walk(node, (n) => {
    // Sequences are analysed from their outermost node; a repetition's body counts on its own.
    if (n.t !== "concat" && n.t !== "repeat" && n.t !== "alt" && n.t !== "group") return;
    const items = n.t === "repeat" && n.max > 1 ? seqItems(n.node) : seqItems(n);
    const reps = items.map((x) => unbounded(x) || (x.t !== "lit" && x.t !== "class" && x.t !== "dot" && containsUnbounded(x)));
    const chain: number[] = [];
    for (let i = 0; i < items.length; i++) {
      if (!reps[i]) continue;
      let d = 1;
      const ci = chars(items[i]!);
      for (let j = 0; j < i; j++) {
        if (!reps[j]) continue;
        const cj = chars(items[j]!);
        if (!intersects(cj, ci)) continue;
        // j can take over what lies between it and i only if no mandatory item there is foreign to it.
        let blocked = false;
        for (let k = j + 1; k < i; k++) if (!nullable(items[k]!) && !intersects(cj, chars(items[k]!)) ) blocked = true;
        if (!blocked) d = Math.max(d, chain[j]! + 1);
      }
      chain[i] = d;
      best = Math.max(best, d);
    }
  });
  return best;
}

function walk(n: Node, f: (n: Node) => void): void {
  f(n);
  if (n.t === "group" || n.t === "repeat") walk(n.node, f);
  else if (n.t === "concat") n.items.forEach((x) => walk(x, f));
  else if (n.t === "alt") n.branches.forEach((x) => walk(x, f));
}

function unwrap(n: Node): Node {
  while (n.t === "group") n = n.node;
  return n;
}

function safeBody(body: Node): boolean {
  if (nullable(body)) return false;
  if (fixedShape(body)) return true;
  const b = unwrap(body);
  if (b.t === "alt") {
    if (!b.branches.every((x) => fixedShape(x) && !nullable(x))) return false;
    // Fixed-shape branches conflict when one could match a prefix of what another matches
    // (`a|ab`, `a|a`); without conflicts at most one branch fits at any input position.
    const seqs = b.branches.map(sequence);
    for (let i = 0; i < seqs.length; i++) for (let j = 0; j < i; j++) if (compatible(seqs[i]!, seqs[j]!)) return false;
    return true;
  }
  const items = flatten(b).filter((x) => x.t !== "assert");
  if (items.length < 2) return false;
  const delimited = (edge: Node, rest: Node[]) => isSingleChar(edge) && !rest.some((x) => intersects(chars(x), chars(edge)));
  return delimited(items[0]!, items.slice(1)) || delimited(items[items.length - 1]!, items.slice(0, -1));
}

/** Top-level sequence of a body, looking through non-repeated groups. */
function flatten(n: Node): Node[] {
  n = unwrap(n);
  return n.t === "concat" ? n.items.flatMap(flatten) : [n];
}

function isSingleChar(n: Node): boolean {
  n = unwrap(n);
  return n.t === "lit" || n.t === "class" || n.t === "dot";
}

function fixedShape(n: Node): boolean {
  switch (n.t) {
    case "alt":
      return false;
    case "repeat":
      return n.min === n.max && fixedShape(n.node);
    case "group":
      return fixedShape(n.node);
    case "concat":
      return n.items.every(fixedShape);
    default:
      return true;
  }
}

function nullable(n: Node): boolean {
  switch (n.t) {
    case "empty":
    case "assert":
      return true;
    case "lit":
    case "class":
    case "dot":
      return false;
    case "group":
      return nullable(n.node);
    case "repeat":
      return n.min === 0 || nullable(n.node);
    case "concat":
      return n.items.every(nullable);
    case "alt":
      return n.branches.some(nullable);
  }
}

/** Characters a node can consume (over-approximated). */
function chars(n: Node): CharSet {
  switch (n.t) {
    case "empty":
    case "assert":
      return [];
    case "lit":
      return fold([[n.cp, n.cp]], n.fold);
    case "class":
      if (n.props.length) return ANY;
      // A negated class consumes the complement of its (case-folded) set: `[^/]` never takes `/`.
      // (fold() widens non-ASCII sets to "anything"; its complement would under-approximate.)
      if (n.negate) return n.fold && n.set.some(([, hi]) => hi >= 0x80) ? ANY : complement(fold(n.set, n.fold));
      return fold(n.set, n.fold);
    case "dot":
      return ANY;
    case "group":
    case "repeat":
      return chars(n.node);
    case "concat":
      return normalize(n.items.flatMap(chars));
    case "alt":
      return normalize(n.branches.flatMap(chars));
  }
}

/** Characters a match of the node can start with. */
function first(n: Node): CharSet {
  switch (n.t) {
    case "group":
    case "repeat":
      return first(n.node);
    case "concat": {
      const out: CharSet = [];
      for (const x of n.items) {
        out.push(...first(x));
        if (!nullable(x)) break;
      }
      return normalize(out);
    }
    case "alt":
      return normalize(n.branches.flatMap(first));
    default:
      return chars(n);
  }
}

/** Character sets position by position of a fixed-shape node. */
function sequence(n: Node): CharSet[] {
  switch (n.t) {
    case "group":
      return sequence(n.node);
    case "repeat": {
      const one = sequence(n.node);
      return Array.from({ length: n.min }, () => one).flat();
    }
    case "concat":
      return n.items.flatMap(sequence);
    case "empty":
    case "assert":
    case "alt":
      return [];
    default:
      return [chars(n)];
  }
}

function compatible(a: CharSet[], b: CharSet[]): boolean {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (!intersects(a[i]!, b[i]!)) return false;
  return true;
}

/** Characters a match of the node can end with. */
function last(n: Node): CharSet {
  switch (n.t) {
    case "group":
    case "repeat":
      return last(n.node);
    case "concat": {
      const out: CharSet = [];
      for (let i = n.items.length - 1; i >= 0; i--) {
        out.push(...last(n.items[i]!));
        if (!nullable(n.items[i]!)) break;
      }
      return normalize(out);
    }
    case "alt":
      return normalize(n.branches.flatMap(last));
    default:
      return chars(n);
  }
}

function fold(set: CharSet, on: boolean): CharSet {
  if (!on) return set;
  const out: CharSet = [...set];
  for (const [lo, hi] of set) {
    // ASCII letters swap case; anything else folding outside ASCII is treated as "anything".
    const a = Math.max(lo, 0x41), b = Math.min(hi, 0x5a);
    if (a <= b) out.push([a + 32, b + 32]);
    const c = Math.max(lo, 0x61), d = Math.min(hi, 0x7a);
    if (c <= d) out.push([c - 32, d - 32]);
    if (hi >= 0x80) return ANY;
  }
  return normalize(out);
}

function intersects(a: CharSet, b: CharSet): boolean {
  let i = 0, j = 0;
  while (i < a.length && j < b.length) {
    const [alo, ahi] = a[i]!, [blo, bhi] = b[j]!;
    if (ahi < blo) i++;
    else if (bhi < alo) j++;
    else return true;
  }
  return false;
}
