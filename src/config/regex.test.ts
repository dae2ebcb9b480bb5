import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RE2JS } from "re2js";
import { checkRegex } from "./regex.ts";

const js = (re: string) => {
  const r = checkRegex(re);
  if (!r.ok) throw new Error(r.message);
  return new RegExp(r.js, r.flags);
};

describe("checkRegex translation (RE2 full match → JS)", () => {
  it.each<[string, string[], string[]]>([
    ["anchors for a full match, so a partial match is not enough", ["123"], ["a123", "123a"]],
    ["/api/v[0-9]+/.*", ["/api/v2/x"], ["/api/v/x", "x/api/v2/"]],
    ["(?i)/Shop", ["/shop", "/SHOP"], ["/shops"]],
    ["a(?i)b", ["ab", "aB"], ["Ab"]],
    ["(?i:x)y", ["Xy"], ["XY"]],
    ["\\Qa.b\\E", ["a.b"], ["axb"]],
    ["(?P<v>v[12])/x", ["v1/x"], ["v3/x"]],
    ["[[:alpha:]]+[[:digit:]]", ["abc1"], ["abc", "1"]],
    ["[[:^digit:]]", ["a"], ["1"]],
    ["\\s", [" ", "\t"], ["\u000b", "\u00a0"]], // RE2 \s is [\t\n\f\r ]
    [".", ["\r", "é", "😀"], ["\n"]], // RE2 . matches \r and code points
    ["(?s).", ["\n"], []],
    ["\\Aab\\z", ["ab"], ["ab\n"]],
    ["(?m)^a$\\n^b$", ["a\nb"], ["a\nc"]],
    ["\\pL+", ["héllo"], ["h1"]],
    ["\\p{Greek}", ["λ"], ["l"]],
    ["x{2,3}", ["xx", "xxx"], ["x", "xxxx"]],
    ["a{,2}", ["a{,2}"], ["aa"]], // RE2: {,n} is a literal
    ["\\x41\\x{42}\\103", ["ABC"], []],
    ["a|", ["a", ""], ["b"]],
    ["[\\d\\-z]", ["-", "5", "z"], ["a"]],
  ])("%s", (re, yes, no) => {
    const r = js(re === "anchors for a full match, so a partial match is not enough" ? "\\d+" : re);
    for (const s of yes) expect(r.test(s), `${re} should match ${JSON.stringify(s)}`).toBe(true);
    for (const s of no) expect(r.test(s), `${re} should not match ${JSON.stringify(s)}`).toBe(false);
  });

  it("agrees with RE2 on generated inputs for a set of patterns", () => {
    const patterns = ["[a-c]+x?", "(ab|c)*d", "a.c", "(?i)[a-z]b", "\\w+@\\w+\\.com", "[^/]+/[0-9]{2,3}", "\\bfoo\\b", "(?U)a+b", "x*y+z?", "[[:punct:]]\\S"];
    const alphabet = fc.constantFrom(..."abcdxyzABZ019/@.-_ \n\r\tλ".split(""));
    for (const p of patterns) {
      const re2 = RE2JS.compile(`^(?:${p})$`);
      const mine = js(p);
      fc.assert(
        fc.property(fc.array(alphabet, { maxLength: 8 }).map((a) => a.join("")), (s) => re2.matches(s) === mine.test(s)),
        { numRuns: 300, seed: 42 },
      );
    }
  });
});

describe("checkRegex rejections", () => {
  it.each<[string, string, RegExp]>([
    ["a backreference (RE2 has none)", "(a)\\1", /RE2 has no backreferences/],
    ["lookahead (RE2 has none)", "a(?=b)", /RE2 has no lookahead/],
    ["lookbehind", "(?<=a)b", /invalid RE2 regex/],
    ["a missing repetition argument", "*", /missing argument to repetition operator/],
    ["more than 1024 characters", "a".repeat(1025), /1025 characters long; the maximum is 1024/],
  ])("rejects %s", (_name, re, message) => {
    const r = checkRegex(re);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(message);
  });

  // Istio accepts these (RE2 runs them in linear time); they cannot be proven linear for V8's
  // backtracking engine, so the Worker runs them on re2js (issue #18 item 2).
  it.each([
    ["nested quantifiers", "(a+)+$"],
    ["an alternation with identical branches under a star", "(a|a)*"],
    ["an alternation with overlapping branches under a star", "(a|ab)*c"],
    ["a repeated group that can be empty", "(.*)*"],
    ["word/space groups repeated", "(\\w+\\s?)+$"],
    ["a bounded repetition of an unbounded one", "(\\d+){5}"],
    ["adjacent overlapping unbounded repetitions", "\\d+\\d*"],
    ["an optional part that overlaps the delimiter", "(/a*/?)+"],
  ])("accepts %s (%s) on re2js, never on V8", (_name, re) => {
    expect(checkRegex(re)).toMatchObject({ ok: true, engine: "re2" });
  });

  it("rejects a pattern that is neither provably linear nor small enough for re2js (the issue's 3.5 s pattern)", () => {
    const r = checkRegex("/" + "[a-z]{0,63}".repeat(5) + "x");
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.message).toMatch(/too complex for the edge's time bound.*RE2 program has \d+ instructions, more than 100/);
  });

  it.each(["(/[a-z0-9-]+)+", "([a-z]+\\.)+[a-z]{2,}", "(foo|bar|baz)+", "[a-z]+(-[a-z]+)*", "(?:%[0-9a-f]{2}|[a-z])+", ".*\\.png", "^/api/.*/items/[0-9]+$"])(
    "accepts the safe repetition %s",
    (re) => expect(checkRegex(re).ok).toBe(true),
  );

  it.each(["/api/v[0-9]+/.*", "^/service/([^/]+)(/.*)$", "(/[a-z0-9-]+)+", "[a-z]+(-[a-z]+)*", "(?i)/shop/[a-z0-9-]+", "[a-z]{0,63}/", "(foo|bar)/.*"])(
    "runs %s on V8 (proven linear)",
    (re) => expect(checkRegex(re)).toMatchObject({ ok: true, engine: "js" }),
  );

  it.each([".*\\.png", "^(.*?;)?(user=jason)(;.*)?$", "(foo|far)/x", "[a-z]{0,3}[a-z]"])(
    "runs %s on re2js (ambiguous for a backtracker)",
    (re) => expect(checkRegex(re)).toMatchObject({ ok: true, engine: "re2" }),
  );
});
