import { describe, expect, it } from "vitest";
import { normalizePath, removeDotSegments, pathNormalizationOf } from "./path.ts";

describe("normalizePath (Istio BASE emulation)", () => {
  it.each([
    { name: "a plain path is unchanged", raw: "/a/b", want: "/a/b" },
    { name: "slashes are not merged", raw: "//a//b", want: "//a//b" },
    { name: "dot segments are removed", raw: "/a/./b/../c", want: "/a/c" },
    { name: "dot segments cannot climb above the root", raw: "/../../etc/passwd", want: "/etc/passwd" },
    { name: "encoded unreserved characters are decoded", raw: "/%41%7e%2D%5f", want: "/A~-_" },
    { name: "encoded dots are decoded and then resolved", raw: "/a/%2e%2e/b", want: "/b" },
    { name: "mixed-case encoded dots are resolved too", raw: "/a/b/.%2E/%2e/c", want: "/a/c" },
    { name: "%2F is kept encoded and does not split segments", raw: "/a%2Fb/c%2F", want: "/a%2Fb/c%2F" },
    { name: "%2f keeps its case", raw: "/a%2fb", want: "/a%2fb" },
    { name: "%5C is kept encoded", raw: "/a%5Cb", want: "/a%5Cb" },
    { name: "dots inside a name next to an escaped slash are not dot segments", raw: "/a%2F...%2Fb.c", want: "/a%2F...%2Fb.c" },
    { name: "a ;parameter on an ordinary segment is kept", raw: "/a/b.c;v=1", want: "/a/b.c;v=1" },
    { name: "a raw backslash becomes a slash", raw: "/a\\..\\b", want: "/b" },
    { name: "reserved escapes are kept", raw: "/a%3Bb%20c", want: "/a%3Bb%20c" },
    { name: "a semicolon has no special meaning", raw: "/a;b=1/c", want: "/a;b=1/c" },
    { name: "a fragment is dropped", raw: "/a#frag", want: "/a" },
    { name: "a trailing dot-dot leaves a trailing slash", raw: "/a/b/..", want: "/a/" },
    { name: "non-ASCII escapes stay encoded", raw: "/%C3%A9", want: "/%C3%A9" },
  ])("$name", ({ raw, want }) => {
    expect(normalizePath(raw)).toEqual({ path: want });
  });

  it.each([
    { name: "%00 is rejected", raw: "/a%00b" },
    { name: "a lone % is rejected", raw: "/a%" },
    { name: "a non-hex escape is rejected", raw: "/a%zz" },
    { name: "a truncated escape is rejected", raw: "/a%4" },
    { name: "a path without a leading slash is rejected", raw: "a/b" },
    { name: "dot-dot hidden behind an escaped slash is rejected (CVE-2021-31920 class)", raw: "/a%2F..%2Fb" },
    { name: "dot-dot hidden behind an escaped backslash is rejected", raw: "/a%5C..%5Cb" },
    { name: "encoded dot-dot then an escaped slash is rejected", raw: "/public/%2e%2e%2fadmin" },
    { name: "a ;parameter on a dot-dot segment is rejected (Tomcat ..;/)", raw: "/public/..;/admin" },
    { name: "a ;parameter on a dot segment is rejected", raw: "/public/.;x/admin" },
    { name: "a path over 8 KiB is rejected", raw: "/" + "a".repeat(8192) },
  ])("$name with 400", ({ raw }) => {
    expect(normalizePath(raw)).toMatchObject({ error: 400 });
  });

  it("is idempotent over its own output", () => {
    for (const raw of ["/a/%2e%2e/b", "/%2E/x", "/a%2Fb%5C", "/x/%252e%252e/y"]) {
      const once = normalizePath(raw);
      if ("error" in once) throw new Error(once.reason);
      expect(normalizePath(once.path)).toEqual(once);
    }
  });

  it("double-encoded dots stay encoded (decoded once, never twice)", () => {
    expect(normalizePath("/a/%252e%252e/b")).toEqual({ path: "/a/%252e%252e/b" });
  });
});

describe("removeDotSegments (RFC 3986 §5.2.4)", () => {
  it.each([
    ["/", "/"],
    ["/.", "/"],
    ["/..", "/"],
    ["/a/.", "/a/"],
    ["/a/b/c/./../../g", "/a/g"],
    ["/.a/..b/c", "/.a/..b/c"],
  ])("%s ⇒ %s", (raw, want) => {
    expect(removeDotSegments(raw)).toBe(want);
  });
});

describe("pathNormalization modes (Istio MeshConfig ProxyPathNormalization)", () => {
  it.each([
    // [mode, raw, expected]
    ["BASE", "//admin", "//admin"],
    ["BASE", "/%2F/admin", "/%2F/admin"],
    ["MERGE_SLASHES", "//admin", "/admin"],
    ["MERGE_SLASHES", "/a///b//", "/a/b/"],
    ["MERGE_SLASHES", "/%2F/admin", "/%2F/admin"],
    ["MERGE_SLASHES", "/a//../b", "/a/b"],
    ["DECODE_AND_MERGE_SLASHES", "/%2F/admin", "/admin"],
    ["DECODE_AND_MERGE_SLASHES", "/%5cadmin", "/admin"],
    ["DECODE_AND_MERGE_SLASHES", "/public/..%2Fadmin", "/admin"],
    ["DECODE_AND_MERGE_SLASHES", "/public%2f%2e%2e%2fadmin", "/admin"],
    ["DECODE_AND_MERGE_SLASHES", "/a%20b", "/a%20b"],
  ] as const)("%s turns %s into %s", (mode, raw, want) => {
    expect(normalizePath(raw, mode)).toEqual({ path: want });
  });

  it("keeps BASE's 400 for ambiguous dot segments, which the decoding mode resolves instead", () => {
    expect(normalizePath("/public/..%2Fadmin", "BASE")).toMatchObject({ error: 400 });
    expect(normalizePath("/public/..%2Fadmin", "MERGE_SLASHES")).toMatchObject({ error: 400 });
  });

  it("reads the mode from a var, defaulting to BASE", () => {
    expect(pathNormalizationOf("merge_slashes")).toBe("MERGE_SLASHES");
    expect(pathNormalizationOf(" DECODE_AND_MERGE_SLASHES ")).toBe("DECODE_AND_MERGE_SLASHES");
    expect(pathNormalizationOf(undefined)).toBe("BASE");
    expect(pathNormalizationOf("NONE")).toBe("BASE");
  });
});
