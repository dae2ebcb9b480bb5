import { describe, expect, it } from "vitest";
import { annotationItems } from "./annotation-items.ts";
import { parseHealthCheck } from "./health-check.ts";
import { parseStickyAnnotation } from "./sticky.ts";

describe("annotationItems (the key=value; form of our annotations)", () => {
  it("splits into trimmed pairs in order, skipping empty items; a value may hold '='", () => {
    const bad: string[] = [];
    expect(annotationItems(" a = 1 ;; b=x=y; ", "a, b", (m) => bad.push(m))).toEqual([
      ["a", "1"],
      ["b", "x=y"],
    ]);
    expect(bad).toEqual([]);
  });

  it("reports an item without a key, and a repeated key (still returned, so its value is checked too)", () => {
    const bad: string[] = [];
    expect(annotationItems("=1; junk; a=1; a=2", "a", (m) => bad.push(m))).toEqual([
      ["a", "1"],
      ["a", "2"],
    ]);
    expect(bad).toEqual([
      'expected "key=value" items separated by ";" (keys: a), got "=1"',
      'expected "key=value" items separated by ";" (keys: a), got "junk"',
      '"a" is given twice',
    ]);
  });

  it("both annotations report a malformed item with their own keys and refuse the value", () => {
    const sticky: string[] = [];
    expect(parseStickyAnnotation("cookie", (_s, _p, m) => sticky.push(m))).toBeUndefined();
    expect(sticky).toEqual(['expected "key=value" items separated by ";" (keys: cookie, ttl, path, rules), got "cookie"']);
    const health: string[] = [];
    expect(parseHealthCheck("path=/healthz; path=/h", (_s, m) => health.push(m))).toBeUndefined();
    expect(health).toEqual(['"path" is given twice']);
  });
});
