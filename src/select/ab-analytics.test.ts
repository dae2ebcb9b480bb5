import { describe, expect, it } from "vitest";
import type { Decision } from "../decision.ts";
import { abOutcome, analyticsDataPoint, statusClass, stickyResponseOps, variantRequestOps } from "./ab-analytics.ts";

describe("variantRequestOps", () => {
  it("sets x-edge-variant (replacing any value the client sent)", () => {
    expect(variantRequestOps("b.origin.example")).toEqual({ set: [["x-edge-variant", "b.origin.example"]] });
  });
});

describe("stickyResponseOps", () => {
  it("makes the assigning response private and uncacheable, and varies on cookie", () => {
    expect(stickyResponseOps(true)).toEqual({ set: [["cache-control", "private, no-store"]], add: [["vary", "cookie"]] });
  });
  it("leaves the origin's cache-control alone once the visitor has a cookie, still varying on cookie", () => {
    expect(stickyResponseOps(false)).toEqual({ add: [["vary", "cookie"]] });
  });
});

describe("statusClass", () => {
  it.each([
    [200, "2xx"],
    [304, "3xx"],
    [404, "4xx"],
    [503, "5xx"],
    [0, "other"],
    [999, "other"],
  ])("maps %i to %s", (s, c) => expect(statusClass(s)).toBe(c));
});

describe("analyticsDataPoint", () => {
  const base = {
    splitId: "web/www/home-ab",
    route: "home-ab",
    variant: "b.origin.example",
    status: 502,
    latencyMs: 123.5,
    attempts: 2,
    newVisitor: true,
    tableVersion: "0123456789abcdef0123",
  };

  it("lays out index, blobs and doubles as documented", () => {
    expect(analyticsDataPoint(base)).toEqual({
      indexes: ["web/www/home-ab"],
      blobs: ["home-ab", "b.origin.example", "5xx", "new", "0123456789ab"],
      doubles: [123.5, 2, 502],
    });
  });

  it("marks a returning visitor and tolerates a missing table version", () => {
    const { tableVersion: _omit, ...rest } = base;
    expect(analyticsDataPoint({ ...rest, newVisitor: false }).blobs.slice(3)).toEqual(["returning", ""]);
  });

  it("keeps the index within Analytics Engine's 96 bytes, distinct for ids sharing a long head", () => {
    const long = "ns/" + "a".repeat(200);
    const a = analyticsDataPoint({ ...base, splitId: long + "/rule-1" }).indexes[0]!;
    const b = analyticsDataPoint({ ...base, splitId: long + "/rule-2" }).indexes[0]!;
    expect(new TextEncoder().encode(a).length).toBeLessThanOrEqual(96);
    expect(a).not.toBe(b);
    expect(a.startsWith("ns/aaa")).toBe(true);
  });

  it("keeps the index within 96 bytes for a multi-byte id", () => {
    const idx = analyticsDataPoint({ ...base, splitId: "é".repeat(120) }).indexes[0]!;
    expect(new TextEncoder().encode(idx).length).toBeLessThanOrEqual(96);
  });
});

describe("abOutcome", () => {
  const sticky = { cookie: "ab_visitor", ttlSeconds: 60, path: "/", splitId: "web/www/home-ab" };
  const decision = (setCookies: string[], withSticky = true, variant: string | undefined = "b.origin.example") =>
    ({
      kind: "forward",
      match: {
        vhost: "www.example.com",
        routeIndex: 0,
        route: { name: "home-ab", action: { kind: "route", destinations: [], totalWeight: 2, ...(withSticky ? { sticky } : {}) } },
      },
      setCookies,
      ...(variant ? { variant } : {}),
    }) as unknown as Decision;
  const r = { status: 200, latencyMs: 12, attempts: 1, tableVersion: "abc" };

  it("records a new visitor when the decision sets the split's cookie", () => {
    expect(abOutcome(decision(["ab_visitor=0123; Path=/"]), r)).toEqual({
      splitId: "web/www/home-ab",
      route: "home-ab",
      variant: "b.origin.example",
      status: 200,
      latencyMs: 12,
      attempts: 1,
      newVisitor: true,
      tableVersion: "abc",
    });
  });
  it("records a returning visitor when no visitor cookie is set (another cookie does not count)", () => {
    expect(abOutcome(decision(["other=1"]), r)?.newVisitor).toBe(false);
  });
  it("records nothing for a plain weighted split", () => {
    expect(abOutcome(decision([], false), r)).toBeUndefined();
  });
  it("records nothing for a decision that is not a forward", () => {
    expect(abOutcome({ kind: "noRoute" }, r)).toBeUndefined();
  });
});
