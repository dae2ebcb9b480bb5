import { describe, expect, it } from "vitest";
import type { RouteMatch } from "../table/types.ts";
import { applyRegexRewrite, compileRegexRewrite, parseSubstitution, rewriteMatchedPrefix } from "./rewrite.ts";

const re = (src: string) => ({ regex: src, js: `^(?:${src})$`, flags: "u" });

describe("rewriteMatchedPrefix (Envoy prefix_rewrite)", () => {
  it.each<{ name: string; match: RouteMatch | null; path: string; query: string; uri: string; want: string }>([
    { name: "prefix: exactly the matched characters", match: { uri: { prefix: "/foo" } }, path: "/foo/bar", query: "?q=1", uri: "/", want: "//bar?q=1" },
    { name: "prefix with ignoreUriCase uses the configured length", match: { uri: { prefix: "/FOO" }, ignoreUriCase: true }, path: "/foo/bar", query: "", uri: "/x", want: "/x/bar" },
    { name: "exact: the whole path, query kept", match: { uri: { exact: "/a" } }, path: "/a", query: "?z", uri: "/b", want: "/b?z" },
    { name: "regex: the whole path, query kept", match: { uri: re("/a/.*") }, path: "/a/b/c", query: "?z", uri: "/b", want: "/b?z" },
    { name: "no uri condition: only the leading slash", match: { headers: [["x", { present: true }]] }, path: "/x", query: "?q", uri: "/api", want: "/apix?q" },
    { name: "no match at all: only the leading slash", match: null, path: "/x", query: "", uri: "/api/", want: "/api/x" },
  ])("$name", ({ match, path, query, uri, want }) => {
    expect(rewriteMatchedPrefix(match, path, query, uri)).toBe(want);
  });
});

describe("uriRegexRewrite", () => {
  it("parses RE2 substitutions: \\N references, \\\\ literal, $ literal", () => {
    expect(parseSubstitution("/\\2/\\1$1\\\\x")).toEqual(["/", 2, "/", 1, "$1\\x"]);
  });
  it("replaces every non-overlapping match", () => {
    const rr = compileRegexRewrite({ js: "a", flags: "u", rewrite: "b" });
    expect(applyRegexRewrite(rr, "/aXaYa")).toBe("/bXbYb");
  });
  it("\\0 is the whole match; references beyond the group count expand to nothing", () => {
    const rr = compileRegexRewrite({ js: "(o)", flags: "u", rewrite: "[\\0\\1\\5]" });
    expect(applyRegexRewrite(rr, "/foo")).toBe("/f[oo][oo]");
  });
  it("a $ in the rewrite stays literal", () => {
    const rr = compileRegexRewrite({ js: "^/x$", flags: "u", rewrite: "/$&$1" });
    expect(applyRegexRewrite(rr, "/x")).toBe("/$&$1");
  });
});
