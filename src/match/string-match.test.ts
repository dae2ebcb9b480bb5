import { describe, expect, it } from "vitest";
import { asciiLower, compileStringMatch, literalRegexPrefix } from "./string-match.ts";

const re = (src: string, flags = "u") => ({ regex: src, js: `^(?:${src})$`, flags });

describe("compileStringMatch", () => {
  it.each([
    { name: "exact matches the same string", m: { exact: "abc" }, v: "abc", want: true },
    { name: "exact is case-sensitive", m: { exact: "abc" }, v: "ABC", want: false },
    { name: "exact does not match a longer value", m: { exact: "abc" }, v: "abcd", want: false },
    { name: "prefix matches a raw string prefix", m: { prefix: "/v2" }, v: "/v2example", want: true },
    { name: "prefix is case-sensitive", m: { prefix: "/V2" }, v: "/v2", want: false },
    { name: "regex must match the whole value", m: re("\\d+"), v: "a123", want: false },
    { name: "regex full match succeeds", m: re("\\d+"), v: "123", want: true },
    { name: "regex alternation is anchored as a whole", m: re("a|b"), v: "ab", want: false },
    { name: "present matches anything", m: { present: true as const }, v: "", want: true },
  ])("$name", ({ m, v, want }) => {
    expect(compileStringMatch(m)(v)).toBe(want);
  });

  it.each([
    { m: { exact: "/Api" }, v: "/aPI", want: true },
    { m: { prefix: "/Api" }, v: "/API/x", want: true },
    { m: { prefix: "/Api" }, v: "/Ap", want: false },
    { m: re("/api"), v: "/API", want: false },
  ])("ignoreCase folds exact/prefix but never regex: $m.exact$m.prefix$m.regex vs $v", ({ m, v, want }) => {
    expect(compileStringMatch(m, true)(v)).toBe(want);
  });

  it("a regex compiled with the g flag has no lastIndex state", () => {
    const m = compileStringMatch({ regex: "a", js: "^(?:a)$", flags: "gu" });
    expect([m("a"), m("a"), m("a")]).toEqual([true, true, true]);
  });
});

describe("asciiLower", () => {
  it("folds ASCII only, leaving non-ASCII letters alone", () => {
    expect(asciiLower("/ÄbC/İ")).toBe("/Äbc/İ");
    expect(asciiLower("/ABC")).toBe("/abc");
  });
});

describe("literalRegexPrefix (index pruning only)", () => {
  it.each([
    ["/api/v[0-9]+", "/api/v"],
    ["^/api/.*", "/api/"],
    ["/users/\\d+", "/users/"],
    ["/ab?c", "/a"],
    ["/ab*", "/a"],
    ["/ab{2}", "/a"],
    ["/ab+", "/ab"],
    ["/a|/b", ""],
    ["(/a|/b)/c", ""],
    ["/x/(a|b)", "/x/"],
    ["/x[|]y", "/x"],
    ["(?i)/api", ""],
    [".*", ""],
    ["/plain", "/plain"],
    ["/😀?", "/"],
  ])("%s ⇒ %j", (src, want) => {
    expect(literalRegexPrefix(src)).toBe(want);
  });
  it("a JS i flag means no prefix", () => {
    expect(literalRegexPrefix("/api", "iu")).toBe("");
  });
});
