/**
 * ReDoS (issue #18 item 2). Target: no accepted pattern takes more than 10 ms on any input up to
 * the 8 KiB cap. The Worker runs a regex on V8 only when it is proven linear for a backtracking
 * engine, else on re2js (an RE2 automaton) with a bounded program size, and a rewrite pattern
 * only when proven linear (src/config/regex-safety.ts). These tests take every pattern of the
 * corpus (the issue's, the classic ones, random ones), keep those the validator accepts, build
 * the matcher exactly as the Worker does and run it on adversarial inputs up to 8 KiB.
 *
 * The assertion is a wall-clock bound of BOUND_MS per evaluation (best of 3 runs). It is far
 * above the typical time (≤ 1 ms for re2js on 8 KiB, µs for V8) and the 10 ms target measured in
 * `npm run bench` (section "regex engines"), so a loaded 2-core CI machine or a GC pause cannot
 * make it flaky; and far below what the attacks took before (3.5 s, 5.6 s and 47 s for one
 * request), so a pattern that backtracks catastrophically cannot pass.
 */
import fc from "fast-check";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { applyRegexRewrite, compileRegexRewrite } from "../../../src/actions/rewrite.ts";
import { loadConfig } from "../../../src/config/index.ts";
import { checkRegex } from "../../../src/config/regex.ts";
import { compileRegexMatcher, MAX_REGEX_INPUT_LENGTH } from "../../../src/match/string-match.ts";
import { adversarial, CORPUS } from "../../fixtures/redos-corpus.ts";

const BOUND_MS = 250;
const N = MAX_REGEX_INPUT_LENGTH;

function worstMs(run: (s: string) => unknown, inputs: string[]): { ms: number; input: string } {
  let worst = { ms: 0, input: "" };
  for (const s of inputs) {
    let best = Infinity;
    for (let i = 0; i < 3 && best > BOUND_MS / 5; i++) {
      const t = performance.now();
      run(s);
      best = Math.min(best, performance.now() - t);
    }
    if (best > worst.ms) worst = { ms: best, input: s };
  }
  return worst;
}

describe("every accepted pattern of the ReDoS corpus runs in bounded time on adversarial 8 KiB inputs", () => {
  it.each(CORPUS)("%s (%s)", (re) => {
    const r = checkRegex(re);
    if (!r.ok) {
      // Rejected with a reason that names the bound; never accepted and slow.
      expect(r.message).toMatch(/time bound|linear/);
      return;
    }
    const m = compileRegexMatcher({ regex: re, js: r.js, flags: r.flags });
    const w = worstMs(m, adversarial(re));
    expect(w.ms, `${re} on ${r.engine} took ${w.ms.toFixed(1)} ms on ${JSON.stringify(w.input.slice(0, 40))}…`).toBeLessThan(BOUND_MS);
  });

  it("the issue's patterns: the 3.5 s one is rejected at validation, the 47 s one runs on re2js", () => {
    expect(checkRegex("/" + "[a-z]{0,63}".repeat(5) + "x").ok).toBe(false);
    expect(checkRegex("[a-z]?".repeat(32) + "[a-z]".repeat(32))).toMatchObject({ ok: true, engine: "re2" });
  });

  it("a pattern too complex for the bound is a located error (here in a query-parameter match), and the config is not accepted", () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [a.com]
  gateways: [g]
  http:
  - match:
    - queryParams:
        q: {regex: "${"[a-z]{0,63}".repeat(5)}x"}
    route: [{destination: {host: b.com}}]
`;
    const { issues } = loadConfig([{ path: "r.yaml", text }]);
    const e = issues.find((i) => i.severity === "error" && i.path.includes("regex"));
    expect(e).toMatchObject({ file: "r.yaml", line: 10, path: "spec.http[0].match[0].queryParams.q.regex" });
    expect(e!.message).toMatch(/too complex for the edge's time bound/);
  });
});

describe("uriRegexRewrite patterns: proven linear for V8 or rejected", () => {
  it.each([
    ["/(.*)/(.*)", false],
    ["^/(.*)/(.*)$", false],
    ["^/([^/]*)/(.*)$", true],
    ["/v1/(.*)", true],
    ["^/service/([^/]+)(/.*)$", true],
    ["^/img(.*)$", true],
    ["a", true],
    ["a*b", false],
    ["(a+)+$", false],
    ["/x+/", true],
    ["/v([0-9]+)/", true],
  ])("%s accepted as a rewrite search: %s", (re, ok) => {
    expect(checkRegex(re, "search").ok).toBe(ok);
  });

  it.each(["^/([^/]*)/(.*)$", "/v1/(.*)", "^/service/([^/]+)(/.*)$", "^/img(.*)$", "a", "[a-z]{0,63}/", "/v([0-9]+)/", "/x+/"])("%s rewrites adversarial 8 KiB paths in bounded time", (re) => {
    const r = checkRegex(re, "search");
    if (!r.ok) throw new Error(r.message);
    const js = r.js.startsWith("^(?:") && r.js.endsWith(")$") ? r.js.slice(4, -2) : r.js;
    const rr = compileRegexRewrite({ js, flags: r.flags, rewrite: "/\\1/x" });
    const w = worstMs((s) => applyRegexRewrite(rr, s), adversarial(re).map((s) => "/" + s.slice(1)));
    expect(w.ms, `${re}: ${w.ms.toFixed(1)} ms`).toBeLessThan(BOUND_MS);
  });
});

describe("random patterns", () => {
  const atom = fc.constantFrom("a", "b", ".", "[ab]", "[^a]", "\\d", "(?:ab)", "(a|b)", "x", "[a-z]", "/", "(a|ab)");
  const quant = fc.constantFrom("", "", "*", "+", "?", "{2}", "{1,3}", "{0,9}", "{0,40}", "*?");
  const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
  const pattern = fc.array(piece, { minLength: 1, maxLength: 8 }).map((p) => p.join(""));

  it("accepted ones agree with RE2 (re2js) on random inputs, on whichever engine they run", () => {
    let accepted = 0;
    fc.assert(
      fc.property(pattern, fc.array(fc.string({ unit: fc.constantFrom("a", "b", "x", "1", "/", "\n"), maxLength: 12 }), { minLength: 20, maxLength: 20 }), (p, inputs) => {
        const r = checkRegex(p);
        if (!r.ok) return;
        accepted++;
        const mine = compileRegexMatcher({ regex: p, js: r.js, flags: r.flags });
        const re2 = RE2JS.compile(p);
        for (const s of inputs) expect(mine(s), `${p} (${r.engine}) on ${JSON.stringify(s)}`).toBe(re2.matches(s));
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(accepted).toBeGreaterThan(200);
  }, 60_000);

  it("accepted ones run in bounded time on adversarial 8 KiB inputs (120 patterns)", () => {
    fc.assert(
      fc.property(pattern, (p) => {
        const r = checkRegex(p);
        if (!r.ok) return;
        const m = compileRegexMatcher({ regex: p, js: r.js, flags: r.flags });
        const w = worstMs(m, ["a".repeat(N), "a".repeat(N - 1) + "!", "ab".repeat(N / 2), "/" + "a/".repeat(N / 2 - 1), "1".repeat(N)]);
        expect(w.ms, `${p} on ${r.engine}: ${w.ms.toFixed(1)} ms`).toBeLessThan(BOUND_MS);
      }),
      { numRuns: 120, seed: 18 },
    );
  }, 60_000);
});
