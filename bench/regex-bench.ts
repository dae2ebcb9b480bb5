/**
 * 6. Regex engines (issue #18 item 2). The Worker runs a route regex on V8 when the pattern is
 * proven linear for a backtracking engine, on re2js otherwise (src/config/regex-safety.ts).
 *  a. typical cost: ordinary route regexes on ordinary values, V8 vs re2js in the same rounds
 *     (ratio re2js ÷ V8 per round): what choosing re2js for every pattern would cost;
 *  b. worst case: every accepted pattern of the ReDoS corpus (test/fixtures/redos-corpus.ts) on
 *     its adversarial inputs up to 8 KiB, on the engine the gateway chooses. Target ≤ 10 ms.
 */
import { RE2JS } from "re2js";
import { checkRegex } from "../src/config/regex.ts";
import { compileRegexMatcher } from "../src/match/string-match.ts";
import { adversarial, CORPUS } from "../test/fixtures/redos-corpus.ts";
import { ratios, roundOrder, spread, type Spread } from "./stats.ts";

export interface TypicalRow {
  pattern: string;
  engine: string;
  v8Ns: Spread;
  re2Ns: Spread;
  ratio: Spread;
}

export interface WorstRow {
  pattern: string;
  engine: string;
  worstMs: number;
  input: string;
}

const TYPICAL: Array<[string, string]> = [
  ["/api/v[0-9]+/.*", "/api/v2/users/12345/orders"],
  ["^/service/([^/]+)(/.*)$", "/service/reviews/v1/ratings"],
  ["(?i)/shop/[a-z0-9-]+", "/Shop/blue-running-shoes-42"],
  [".*\\.(png|jpg|gif)", "/static/img/products/2026/hero-banner.png"],
  ["^(.*?;)?(user=jason)(;.*)?$", "theme=dark; ab_visitor=0123456789abcdef0123456789abcdef; lang=en; user=jason; consent=1"],
];

function nsPerOp(run: () => unknown, ms: number): number {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let i = 0; i < 200; i++) run();
    n += 200;
    t = performance.now();
  }
  return ((t - t0) * 1e6) / n;
}

export function measureTypical(rounds: number, sliceMs = 30): TypicalRow[] {
  return TYPICAL.map(([pattern, input]) => {
    const r = checkRegex(pattern);
    if (!r.ok) throw new Error(`${pattern}: ${r.message}`);
    const v8 = new RegExp(r.js, r.flags);
    const re2 = RE2JS.compile(pattern);
    if (v8.test(input) !== re2.matches(input)) throw new Error(`${pattern}: engines disagree on ${input}`);
    const a: number[] = [];
    const b: number[] = [];
    const subjects = [() => a.push(nsPerOp(() => v8.test(input), sliceMs)), () => b.push(nsPerOp(() => re2.matches(input), sliceMs))];
    for (let i = 0; i < rounds; i++) for (const s of roundOrder(subjects, i)) s();
    return { pattern, engine: r.engine, v8Ns: spread(a), re2Ns: spread(b), ratio: spread(ratios(b, a)) };
  });
}

export function measureWorst(): WorstRow[] {
  const rows: WorstRow[] = [];
  for (const [pattern] of CORPUS) {
    const r = checkRegex(pattern);
    if (!r.ok) {
      rows.push({ pattern, engine: "rejected", worstMs: 0, input: "" });
      continue;
    }
    const m = compileRegexMatcher({ regex: pattern, js: r.js, flags: r.flags });
    let worst = { ms: 0, input: "" };
    for (const s of adversarial(pattern)) {
      let best = Infinity;
      for (let i = 0; i < 3; i++) {
        const t = performance.now();
        m(s);
        best = Math.min(best, performance.now() - t);
      }
      if (best > worst.ms) worst = { ms: best, input: s };
    }
    rows.push({ pattern, engine: r.engine, worstMs: worst.ms, input: worst.input.slice(0, 12) + (worst.input.length > 12 ? `… (${worst.input.length})` : "") });
  }
  return rows;
}
