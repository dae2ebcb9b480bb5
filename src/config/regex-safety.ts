/**
 * Which engine may run a route regex within the time bound (SECURITY.md "Regex time bound").
 *
 * Envoy runs RE2 (linear time). The Worker has two engines: V8's backtracking RegExp (fast, but
 * exponential or polynomial on ambiguous patterns: `[a-z]{0,63}` five times before `x` took 3.5 s
 * on 158 bytes, runs of `[a-z]?` 47 s) and re2js (RE2's automata in JavaScript: linear, but 10–20×
 * slower on ordinary inputs and its cost grows with the program size). So:
 *
 *  - **Proven linear ⇒ V8.** A pattern whose Glushkov automaton is *deterministic* and
 *    *unambiguous* is matched by a backtracking engine in O(n·m): at every input character at
 *    most one position of the pattern can take it (the follow set of every position, and the first
 *    set, have pairwise disjoint character sets), so every alternative a backtracker leaves behind
 *    dies on the next character; and no repeated part can match the empty string and no
 *    alternation has two empty branches, so no two ε-paths lead to the same position (`(a?)?` ×k
 *    would otherwise retry 2^k times). Bounded repetitions are expanded (`x{2,4}` = `xx(x(x)?)?`),
 *    so `[a-z]{0,63}[a-z]{0,63}` is seen as the ambiguous thing it is. Assertions count as ε (an
 *    over-approximation: the proof stays valid). Character sets are over-approximated (`(?i)`
 *    widened, Unicode properties = anything), which can only refuse a proof, never fake one.
 *  - **Otherwise ⇒ re2js**, full match without captures (its DFA; linear), accepted only when
 *    its program is at most MAX_RE2_PROGRAM_SIZE instructions, which keeps the worst case on
 *    8 KiB within the bound (measured in `npm run bench`, asserted in test/unit/fuzz/redos.test.ts).
 *  - **uriRegexRewrite (search with captures) ⇒ V8 only.** re2js with captures is far too slow on
 *    8 KiB (tens to hundreds of ms), so a rewrite pattern must be proven linear, and also either
 *    anchored with `^` (one start position) or of bounded width (≤ MAX_SEARCH_WIDTH characters:
 *    each of the n start positions costs at most that much). Otherwise it is an edge error.
 */
import { complement, MAX_CP, normalize, type CharSet, type Node } from "./regex-ast.ts";

const ANY: CharSet = [[0, MAX_CP]];

/**
 * Largest re2js program accepted for a pattern that runs on re2js. 100 is also Envoy's own default
 * `re2.max_program_size.error_level` (Istio raises it to 32768); measured worst case at 100 on
 * adversarial 8 KiB inputs: a few ms (bench "regex engines"); at 600, 70 ms and more.
 */
export const MAX_RE2_PROGRAM_SIZE = 100;
/** Positions (after expanding bounded repetitions) a linearity proof may build. */
export const MAX_PROOF_POSITIONS = 1000;
/** Widest match of an unanchored rewrite pattern proven safe for every start position. */
export const MAX_SEARCH_WIDTH = 256;

export type Engine = "js" | "re2";

export type EngineChoice = { engine: Engine } | { error: string };

class NotProven extends Error {}

interface Info {
  nullable: boolean;
  first: number[];
  last: number[];
  /** Longest match in characters (Infinity with a star). */
  width: number;
}

/** Glushkov construction with a position budget; throws NotProven on ambiguity or size. */
class Glushkov {
  sets: CharSet[] = [];
  follow: Array<Set<number>> = [];
  /** Positions inside an unbounded repetition. */
  looped: number[] = [];
  private loopDepth = 0;

  pos(set: CharSet): Info {
    if (this.sets.length >= MAX_PROOF_POSITIONS) throw new NotProven(`more than ${MAX_PROOF_POSITIONS} positions once repetitions are expanded`);
    const id = this.sets.length;
    this.sets.push(set);
    if (this.loopDepth > 0) this.looped.push(id);
    this.follow.push(new Set());
    return { nullable: false, first: [id], last: [id], width: 1 };
  }

  link(from: number[], to: number[]): void {
    for (const f of from) for (const t of to) this.follow[f]!.add(t);
  }

  concat(a: Info, b: Info): Info {
    this.link(a.last, b.first);
    return {
      nullable: a.nullable && b.nullable,
      first: a.nullable ? [...a.first, ...b.first] : a.first,
      last: b.nullable ? [...a.last, ...b.last] : b.last,
      width: a.width + b.width,
    };
  }

  build(n: Node): Info {
    switch (n.t) {
      case "empty":
      case "assert":
        return { nullable: true, first: [], last: [], width: 0 };
      case "lit":
      case "class":
      case "dot":
        return this.pos(chars(n));
      case "group":
        return this.build(n.node);
      case "concat":
        return n.items.reduce<Info>((acc, x) => this.concat(acc, this.build(x)), { nullable: true, first: [], last: [], width: 0 });
      case "alt": {
        const bs = n.branches.map((b) => this.build(b));
        if (bs.filter((b) => b.nullable).length > 1) throw new NotProven("two branches of an alternation can match the empty string");
        return { nullable: bs.some((b) => b.nullable), first: bs.flatMap((b) => b.first), last: bs.flatMap((b) => b.last), width: Math.max(0, ...bs.map((b) => b.width)) };
      }
      case "repeat": {
        if (n.min === 1 && n.max === 1) return this.build(n.node);
        if (nullable(n.node)) throw new NotProven("a repeated or optional part can match the empty string");
        let acc: Info = { nullable: true, first: [], last: [], width: 0 };
        for (let i = 0; i < n.min; i++) acc = this.concat(acc, this.build(n.node));
        if (n.max === Infinity) {
          this.loopDepth++;
          const star = this.build(n.node);
          this.loopDepth--;
          this.link(star.last, star.first);
          return this.concat(acc, { nullable: true, first: star.first, last: star.last, width: Infinity });
        }
        // x{0,k} as nested optionals (x(x(x)?)?)? — one ε-path to every position.
        let tail: Info = { nullable: true, first: [], last: [], width: 0 };
        for (let i = n.min; i < n.max; i++) {
          const body = this.build(n.node);
          const both = this.concat(body, tail);
          tail = { nullable: true, first: both.first, last: both.last, width: both.width };
        }
        return this.concat(acc, tail);
      }
    }
  }
}

/** Two positions of `ids` that can take the same character, or null. */
function overlap(sets: CharSet[], ids: Iterable<number>): [number, number] | null {
  const ranges: Array<[number, number, number]> = [];
  for (const id of new Set(ids)) for (const [lo, hi] of sets[id]!) ranges.push([lo, hi, id]);
  ranges.sort((a, b) => a[0] - b[0]);
  let maxHi = -1;
  let owner = -1;
  for (const [lo, hi, id] of ranges) {
    if (lo <= maxHi && id !== owner) return [owner, id];
    if (hi > maxHi) [maxHi, owner] = [hi, id];
  }
  return null;
}

/**
 * Why the pattern is not proven linear for a backtracking engine (null = proven).
 * `search`: also anchored at the start or of bounded width (see the header).
 */
export function linearityProblem(node: Node, mode: "match" | "search" = "match"): string | null {
  const g = new Glushkov();
  let info: Info;
  try {
    info = g.build(node);
  } catch (e) {
    if (e instanceof NotProven) return e.message;
    throw e;
  }
  if (overlap(g.sets, info.first)) return "two alternatives can start with the same character";
  for (const f of g.follow) if (f.size > 1 && overlap(g.sets, f)) return "a character can continue the match in two ways (like [a-z]*[a-z] or .*/): the pattern is ambiguous";
  if (mode === "search" && !anchoredAtStart(node) && info.width > MAX_SEARCH_WIDTH && !boundedBeforeAnyTail(node) && !loopsAvoidStart(g, info))
    return `an unanchored rewrite pattern that can match more than ${MAX_SEARCH_WIDTH} characters is tried at every start position; start it with ^`;
  return null;
}

/**
 * The engine a pattern runs on, or why it cannot run within the time bound.
 * @param programSize re2js program size of the pattern (RE2JS.compile(src).programSize()).
 */
export function chooseEngine(node: Node, programSize: number, mode: "match" | "search"): EngineChoice {
  const problem = linearityProblem(node, mode);
  if (problem === null) return { engine: "js" };
  if (mode === "search")
    return { error: `a uriRegexRewrite pattern must be proven to run in linear time at the edge, and this one is not: ${problem}; use classes that exclude what follows, e.g. ^/([^/]+)/(.*)$ instead of ^/(.*)/(.*)$` };
  if (programSize > MAX_RE2_PROGRAM_SIZE)
    return { error: `regex too complex for the edge's time bound: it is not provably linear for JavaScript (${problem}) and its RE2 program has ${programSize} instructions, more than ${MAX_RE2_PROGRAM_SIZE} (Envoy's default limit); use fewer or smaller counted repetitions` };
  return { engine: "re2" };
}

/**
 * `/v([0-9]+)/`: no character an unbounded repetition takes can start a match. Then a start
 * position inside another attempt's span is taken by that attempt at a position outside every
 * loop, which a deterministic attempt visits at most once, so every character is covered by at
 * most (positions + 1) attempts: the search costs O(n · positions).
 */
function loopsAvoidStart(g: Glushkov, info: Info): boolean {
  return !g.looped.some((p) => info.first.some((f) => f === p || overlap(g.sets, [p, f]) !== null));
}

/**
 * `/v1/(.*)`: a bounded-width head followed by a tail that takes whatever remains (`.*`, `(.*)`,
 * `$`). An attempt at any start position either fails within the head or matches to the end of
 * the path (a path has no newline for `.` to stop at), so the search costs O(n · head width).
 */
function boundedBeforeAnyTail(n: Node): boolean {
  const items = flatten(n);
  let k = items.length;
  let sawAny = false;
  for (; k > 0; k--) {
    let x = items[k - 1]!;
    while (x.t === "group") x = x.node;
    if (x.t === "assert" && x.kind === "textEnd") continue;
    if (x.t === "repeat" && x.min === 0 && x.max === Infinity && x.node.t === "dot") {
      sawAny = true;
      continue;
    }
    break;
  }
  if (!sawAny) return false;
  const g = new Glushkov();
  try {
    return items.slice(0, k).reduce((w, x) => w + g.build(x).width, 0) <= MAX_SEARCH_WIDTH;
  } catch {
    return false;
  }
}

function anchoredAtStart(n: Node): boolean {
  const items = flatten(n);
  const i = items.findIndex((x) => x.t !== "assert");
  return items.slice(0, i === -1 ? items.length : i).some((x) => x.t === "assert" && x.kind === "textStart");
}

function flatten(n: Node): Node[] {
  while (n.t === "group") n = n.node;
  return n.t === "concat" ? n.items.flatMap(flatten) : [n];
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

/** Characters one position can take (over-approximated). */
function chars(n: Extract<Node, { t: "lit" | "class" | "dot" }>): CharSet {
  switch (n.t) {
    case "lit":
      return fold([[n.cp, n.cp]], n.fold);
    case "class":
      if (n.props.length) return ANY;
      // A negated class takes the complement of its (case-folded) set: `[^/]` never takes `/`.
      // (fold() widens non-ASCII sets to "anything"; its complement would under-approximate.)
      if (n.negate) return n.fold && n.set.some(([, hi]) => hi >= 0x80) ? ANY : complement(fold(n.set, n.fold));
      return fold(n.set, n.fold);
    case "dot":
      return n.nl ? ANY : complement([[10, 10]]);
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
    // k and s also fold to the Kelvin sign and the long s (RE2 and JS `iu`): exactly, since a
    // negated class takes the complement of this set.
    const has = (cp: number) => lo <= cp && cp <= hi;
    if (has(0x6b) || has(0x4b)) out.push([0x212a, 0x212a]);
    if (has(0x73) || has(0x53)) out.push([0x17f, 0x17f]);
    if (hi >= 0x80) return ANY;
  }
  return normalize(out);
}
