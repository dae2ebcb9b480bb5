/**
 * A small RE2 parser (syntax as in https://github.com/google/re2/wiki/Syntax) producing an AST
 * that regex.ts emits as an equivalent JavaScript RegExp and regex-safety.ts analyses for
 * catastrophic backtracking. The input has already been accepted by re2js (the reference RE2
 * parser), so this parser only has to be right on valid RE2, not diagnose bad input.
 *
 * Code points, not UTF-16 units: RE2 matches runes, JS with the `u` flag matches code points.
 */

export type Range = [number, number];
/** Sorted, merged, inclusive code point ranges. */
export type CharSet = Range[];

export const MAX_CP = 0x10ffff;

export type Node =
  | { t: "empty" }
  | { t: "lit"; cp: number; fold: boolean }
  /** `props`: Unicode property escapes (`\pL`, `\p{Greek}`), kept symbolic; `neg` on each. */
  | { t: "class"; set: CharSet; props: Array<{ name: string; neg: boolean }>; negate: boolean; fold: boolean }
  | { t: "dot"; nl: boolean }
  | { t: "assert"; kind: "textStart" | "textEnd" | "lineStart" | "lineEnd" | "wordB" | "notWordB" }
  | { t: "group"; capture: boolean; node: Node }
  | { t: "concat"; items: Node[] }
  | { t: "alt"; branches: Node[] }
  | { t: "repeat"; min: number; max: number; greedy: boolean; node: Node };

interface Flags {
  i: boolean;
  m: boolean;
  s: boolean;
  U: boolean;
}

export class Unsupported extends Error {}

export function normalize(set: CharSet): CharSet {
  const s = [...set].sort((a, b) => a[0] - b[0]);
  const out: CharSet = [];
  for (const r of s) {
    const last = out[out.length - 1];
    if (last && r[0] <= last[1] + 1) last[1] = Math.max(last[1], r[1]);
    else out.push([r[0], r[1]]);
  }
  return out;
}

export function complement(set: CharSet): CharSet {
  const out: CharSet = [];
  let next = 0;
  for (const [lo, hi] of normalize(set)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

const r = (a: string, b = a): Range => [a.codePointAt(0)!, b.codePointAt(0)!];
const DIGIT: CharSet = [r("0", "9")];
const WORD: CharSet = normalize([r("0", "9"), r("A", "Z"), r("a", "z"), r("_")]);
// RE2 \s is [\t\n\f\r ] — narrower than JS \s, so it is always emitted as explicit ranges.
const SPACE: CharSet = normalize([[9, 10], [12, 13], [32, 32]]);
const POSIX: Record<string, CharSet> = {
  alnum: normalize([r("0", "9"), r("A", "Z"), r("a", "z")]),
  alpha: normalize([r("A", "Z"), r("a", "z")]),
  ascii: [[0, 0x7f]],
  blank: [[9, 9], [32, 32]],
  cntrl: [[0, 0x1f], [0x7f, 0x7f]],
  digit: DIGIT,
  graph: [r("!", "~")],
  lower: [r("a", "z")],
  print: [r(" ", "~")],
  punct: normalize([r("!", "/"), r(":", "@"), r("[", "`"), r("{", "~")]),
  space: normalize([[9, 13], [32, 32]]),
  upper: [r("A", "Z")],
  word: WORD,
  xdigit: normalize([r("0", "9"), r("A", "F"), r("a", "f")]),
};
const PERL: Record<string, CharSet> = { d: DIGIT, w: WORD, s: SPACE };
const SIMPLE_ESC: Record<string, number> = { a: 7, f: 12, t: 9, n: 10, r: 13, v: 11 };

export function parseRE2(src: string): Node {
  let pos = 0;
  let flags: Flags = { i: false, m: false, s: false, U: false };
  const cps = Array.from(src);
  const peek = (k = 0) => cps[pos + k];
  const eat = (s: string) => {
    for (let k = 0; k < s.length; k++) if (cps[pos + k] !== s[k]) return false;
    pos += s.length;
    return true;
  };

  function alt(): Node {
    const branches = [concat()];
    while (peek() === "|") {
      pos++;
      branches.push(concat());
    }
    return branches.length === 1 ? branches[0]! : { t: "alt", branches };
  }

  function concat(): Node {
    const items: Node[] = [];
    while (pos < cps.length && peek() !== "|" && peek() !== ")") {
      const atom = parseAtom(items);
      if (atom) items.push(quantified(atom));
    }
    return items.length === 1 ? items[0]! : items.length === 0 ? { t: "empty" } : { t: "concat", items };
  }

  function quantified(atom: Node): Node {
    for (;;) {
      let min: number, max: number;
      const c = peek();
      if (c === "*") [min, max] = [0, Infinity];
      else if (c === "+") [min, max] = [1, Infinity];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(cps.slice(pos, pos + 16).join(""));
        if (!m) return atom; // RE2: a "{" that does not start a repeat is a literal
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
        pos += m[0].length - 1;
      } else return atom;
      pos++;
      let greedy = true;
      if (peek() === "?") {
        pos++;
        greedy = false;
      }
      if (flags.U) greedy = !greedy;
      atom = { t: "repeat", min, max, greedy, node: atom };
    }
  }

  function parseAtom(items: Node[]): Node | null {
    const c = cps[pos++]!;
    switch (c) {
      case "(":
        return group();
      case "[":
        return charClass();
      case ".":
        return { t: "dot", nl: flags.s };
      case "^":
        return { t: "assert", kind: flags.m ? "lineStart" : "textStart" };
      case "$":
        return { t: "assert", kind: flags.m ? "lineEnd" : "textEnd" };
      case "\\":
        return escape(items);
      default:
        return { t: "lit", cp: c.codePointAt(0)!, fold: flags.i };
    }
  }

  function group(): Node | null {
    if (peek() !== "?") return closeGroup(true);
    pos++;
    if (eat("P<") || eat("<")) {
      while (peek() !== ">") pos++;
      pos++;
      return closeGroup(true); // emitted as a plain numbered group: JS names are stricter than RE2's
    }
    // (?flags) or (?flags:...)
    const saved = { ...flags };
    let on = true;
    for (;;) {
      const f = cps[pos++]!;
      if (f === "-") on = false;
      else if (f === "i" || f === "m" || f === "s" || f === "U") flags[f] = on;
      else if (f === ")") return null; // flags apply to the rest of the enclosing group
      else if (f === ":") {
        const node = closeGroup(false);
        flags = saved;
        return node;
      }
    }
  }

  function closeGroup(capture: boolean): Node {
    const saved = { ...flags };
    const node = alt();
    flags = saved;
    pos++; // ")"
    return { t: "group", capture, node };
  }

  function escape(items: Node[]): Node | null {
    const c = cps[pos++]!;
    switch (c) {
      case "A":
        return { t: "assert", kind: "textStart" };
      case "z":
        return { t: "assert", kind: "textEnd" };
      case "b":
        return { t: "assert", kind: "wordB" };
      case "B":
        return { t: "assert", kind: "notWordB" };
      case "Q": {
        let end = cps.indexOf("\\", pos);
        while (end >= 0 && cps[end + 1] !== "E") end = cps.indexOf("\\", end + 1);
        const stop = end < 0 ? cps.length : end;
        const lits = cps.slice(pos, stop).map((ch): Node => ({ t: "lit", cp: ch.codePointAt(0)!, fold: flags.i }));
        pos = end < 0 ? cps.length : end + 2;
        // The quoted run is spliced into the surrounding sequence so a following quantifier binds
        // to its last character only (as in RE2).
        if (lits.length === 0) return null;
        items.push(...lits.slice(0, -1));
        return lits[lits.length - 1]!;
      }
    }
    pos--;
    const cls = classEscape();
    if (cls) return cls;
    return { t: "lit", cp: literalEscape(), fold: flags.i };
  }

  /** \d \D \w \W \s \S \pX \p{X} \PX \P{X} (at pos, after the backslash), or null. */
  function classEscape(): Extract<Node, { t: "class" }> | null {
    const c = peek()!;
    const lower = c.toLowerCase();
    if (lower in PERL) {
      pos++;
      const set = PERL[lower]!;
      return { t: "class", set: c === lower ? set : complement(set), props: [], negate: false, fold: flags.i };
    }
    if (c === "p" || c === "P") {
      pos++;
      let name: string;
      if (peek() === "{") {
        const end = cps.indexOf("}", pos);
        name = cps.slice(pos + 1, end).join("");
        pos = end + 1;
      } else name = cps[pos++]!;
      let neg = c === "P";
      if (name.startsWith("^")) {
        neg = !neg;
        name = name.slice(1);
      }
      if (name === "Any") return { t: "class", set: neg ? [] : [[0, MAX_CP]], props: [], negate: false, fold: false };
      return { t: "class", set: [], props: [{ name, neg }], negate: false, fold: flags.i };
    }
    return null;
  }

  /** A single-character escape (at pos, after the backslash). */
  function literalEscape(): number {
    const c = cps[pos++]!;
    if (c in SIMPLE_ESC) return SIMPLE_ESC[c]!;
    if (c === "x") {
      if (peek() === "{") {
        const end = cps.indexOf("}", pos);
        const v = parseInt(cps.slice(pos + 1, end).join(""), 16);
        pos = end + 1;
        return v;
      }
      const v = parseInt(cps.slice(pos, pos + 2).join(""), 16);
      pos += 2;
      return v;
    }
    if (c >= "0" && c <= "7") {
      let digits = c;
      while (digits.length < 3 && peek() !== undefined && peek()! >= "0" && peek()! <= "7") digits += cps[pos++];
      return parseInt(digits, 8);
    }
    return c.codePointAt(0)!; // escaped punctuation
  }

  function charClass(): Node {
    let negate = false;
    if (peek() === "^") {
      pos++;
      negate = true;
    }
    const set: CharSet = [];
    const props: Array<{ name: string; neg: boolean }> = [];
    let first = true;
    while (peek() !== "]" || first) {
      first = false;
      if (eat("[:")) {
        const end = cps.indexOf(":", pos);
        let name = cps.slice(pos, end).join("");
        pos = end + 2;
        const neg = name.startsWith("^");
        if (neg) name = name.slice(1);
        const s = POSIX[name];
        if (!s) throw new Unsupported(`unknown POSIX class [:${name}:]`);
        set.push(...(neg ? complement(s) : s));
        continue;
      }
      let lo: number;
      if (peek() === "\\") {
        pos++;
        const cls = classEscape();
        if (cls) {
          set.push(...cls.set);
          props.push(...cls.props);
          continue;
        }
        lo = literalEscape();
      } else lo = cps[pos++]!.codePointAt(0)!;
      let hi = lo;
      if (peek() === "-" && cps[pos + 1] !== "]" && cps[pos + 1] !== undefined) {
        pos++;
        if (peek() === "\\") {
          pos++;
          hi = literalEscape();
        } else hi = cps[pos++]!.codePointAt(0)!;
      }
      set.push([lo, hi]);
    }
    pos++; // "]"
    return { t: "class", set: normalize(set), props, negate, fold: flags.i };
  }

  const node = alt();
  if (pos < cps.length) throw new Unsupported(`unexpected ${JSON.stringify(cps[pos])} at position ${pos}`);
  return node;
}
