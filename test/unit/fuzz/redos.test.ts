/**
 * ReDoS: the Worker runs translated regexes on V8's backtracking engine, so the validator must
 * reject every pattern that backtracks catastrophically (src/config/regex-safety.ts), and a
 * regex is never run on more than MAX_REGEX_INPUT_LENGTH characters (src/match/string-match.ts).
 * No timing assertions here: the bench measures; these tests pin which patterns are accepted.
 */
import fc from "fast-check";
import { RE2JS } from "re2js";
import { describe, expect, it } from "vitest";
import { checkRegex } from "../../../src/config/regex.ts";
import { loadConfig } from "../../../src/config/index.ts";

/** Known catastrophic patterns (OWASP ReDoS examples, CVE write-ups, and polynomial ones). */
const REDOS: Array<[string, string]> = [
  ["(a+)+$", "nested quantifier"],
  ["(a|aa)+", "overlapping alternation under +"],
  ["(a|a?)+", "nullable alternation branch"],
  ["(.*a){20}", "bounded repetition of an ambiguous body"],
  ["^(([a-z])+.)+[A-Z]([a-z])+$", "OWASP example"],
  ["(\\w+\\s?)*$", "word/space repetition"],
  ["([a-zA-Z]+)*", "OWASP example"],
  ["(a|b|ab)*c", "overlapping branches"],
  ["(.*)*", "nullable body"],
  ["(x+x+)+y", "two overlapping repeats inside a repeat"],
  ["^(a+)+b", "anchored nested quantifier"],
  ["([a-z0-9]+)*@", "e-mail-like"],
  ["^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$", "OWASP e-mail validator"],
  ["\\d+\\d*x", "adjacent overlapping repeats"],
  [".*.*=.*", "adjacent .*"],
  [".*a.*a.*a.*b", "degree-4 polynomial (over 200 s on 1 KiB in V8)"],
  ["(.*)a(.*)a(.*)b", "degree-3 polynomial through groups"],
  ["[a-z]*x[a-z]*y[a-z]*z", "degree-3 polynomial over a class"],
  [".*x?.*x?.*", "degree-3 polynomial through optional separators"],
  ["(?:.*a|b)(?:.*a|b)(?:.*a|b)", "degree-3 polynomial through alternations"],
  [".*/a/.*/b/.*", "degree-3 path-style polynomial"],
];

describe("ReDoS patterns are rejected at validation", () => {
  it.each(REDOS)("%s (%s)", (re) => {
    const r = checkRegex(re);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/regex rejected|backtrack/);
  });

  it("a ReDoS pattern in a config is a located error, and the config is not accepted", () => {
    const text = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [a.com]
  gateways: [g]
  http:
  - match:
    - headers:
        cookie: {regex: ".*a.*a.*a.*b"}
    route: [{destination: {host: b.com}}]
`;
    const { issues } = loadConfig([{ path: "r.yaml", text }]);
    const e = issues.find((i) => i.severity === "error" && i.path.includes("regex"));
    expect(e).toMatchObject({ file: "r.yaml", line: 10, path: "spec.http[0].match[0].headers.cookie.regex" });
    expect(e!.message).toMatch(/O\(n\^4\)/);
  });
});

describe("useful patterns stay accepted", () => {
  it.each([
    "/api/v[0-9]+/.*",
    "^/api/.*/items/[0-9]+$",
    "/api/.*/items/.*",
    "[^/]+/[^/]+/[^/]+",
    "^(.*?;)?(user=jason)(;.*)?$", // the Istio docs' cookie example
    ".*\\.(png|jpg|gif)",
    "(?i)/shop/[a-z0-9-]+",
    "(/[a-z0-9-]+)+",
    "[a-z]+(-[a-z]+)*",
  ])("%s", (re) => expect(checkRegex(re)).toMatchObject({ ok: true }));
});

describe("uriRegexRewrite is a search over every start position: one degree stricter unless anchored", () => {
  it.each([
    ["/(.*)/(.*)", false],
    ["^/(.*)/(.*)$", true],
    ["/v1/(.*)", true],
    ["^/service/([^/]+)(/.*)$", true],
  ])("%s accepted as a rewrite search: %s", (re, ok) => {
    expect(checkRegex(re, "search").ok).toBe(ok);
    expect(checkRegex(re, "match").ok).toBe(true);
  });
});

describe("accepted random patterns keep RE2 semantics", () => {
  // Small random regexes over a tiny alphabet; whatever the safety check accepts must still
  // agree with RE2 (re2js) on random inputs: the check may reject, never change a meaning.
  const atom = fc.constantFrom("a", "b", ".", "[ab]", "[^a]", "\\d", "(?:ab)", "(a|b)", "x");
  const quant = fc.constantFrom("", "", "*", "+", "?", "{2}", "{1,3}");
  const piece = fc.tuple(atom, quant).map(([a, q]) => a + q);
  const pattern = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(""));
  it("300 patterns × 20 inputs", () => {
    let accepted = 0;
    fc.assert(
      fc.property(pattern, fc.array(fc.string({ unit: fc.constantFrom("a", "b", "x", "1", "\n"), maxLength: 12 }), { minLength: 20, maxLength: 20 }), (p, inputs) => {
        const r = checkRegex(p);
        if (!r.ok) return;
        accepted++;
        const mine = new RegExp(r.js, r.flags);
        const re2 = RE2JS.compile(p);
        for (const s of inputs) expect(mine.test(s), `${p} on ${JSON.stringify(s)}`).toBe(re2.matches(s));
      }),
      { numRuns: 300, seed: 11 },
    );
    expect(accepted).toBeGreaterThan(100);
  });
});
