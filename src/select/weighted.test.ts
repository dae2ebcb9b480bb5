import { describe, expect, it } from "vitest";
import { dest, req, scripted } from "../../test/fixtures/table.ts";
import { rollPercent, percentToPpm } from "./dice.ts";
import { pickDestination, weightedIndex } from "./weighted.ts";

describe("weightedIndex", () => {
  it("walks Σweights buckets over the destinations in order", () => {
    const items = [{ weight: 1 }, { weight: 0 }, { weight: 2 }];
    expect([0, 0.33, 0.34, 0.99].map((r) => weightedIndex(items, 3, r))).toEqual([0, 0, 2, 2]);
  });
});

describe("pickDestination", () => {
  const split = (sticky?: boolean) => ({
    kind: "route" as const,
    destinations: [dest("s1", { weight: 50 }), dest("s2", { weight: 50 })],
    totalWeight: 100,
    ...(sticky ? { sticky: { cookie: "gw_vid", ttlSeconds: 86400, path: "/", splitId: "vs/r0" } } : {}),
  });

  it("rolls once for a plain split", () => {
    const s = scripted(0.7);
    expect(pickDestination(split(), req("http://a.com/"), { rand: s.rand, now: 0 }).destination.host).toBe("s2");
    expect(s.calls()).toBe(1);
  });

  it("a sticky split with a visitor cookie uses no randomness and is stable", () => {
    const f = req("http://a.com/", { headers: { cookie: "gw_vid=0123456789abcdef0123456789abcdef" } });
    const a = pickDestination(split(true), f, { rand: scripted().rand, now: 0 });
    const b = pickDestination(split(true), f, { rand: scripted().rand, now: 0 });
    expect([a.index, a.setCookies]).toEqual([b.index, []]);
  });

  it("a sticky split without a cookie mints a visitor and sets its cookie", () => {
    const p = pickDestination(split(true), req("https://a.com/"), { rand: scripted().rand, now: 0, newVisitorId: () => "0123456789abcdef0123456789abcdef" });
    expect(p.setCookies).toHaveLength(1);
    expect(p.setCookies[0]).toMatch(/^gw_vid=0123456789abcdef0123456789abcdef; Max-Age=86400; Path=\//);
  });

  it("a sticky split without any visitor id falls back to one roll", () => {
    const s = scripted(0.1);
    expect(pickDestination(split(true), req("http://a.com/"), { rand: s.rand, now: 0 }).destination.host).toBe("s1");
    expect(s.calls()).toBe(1);
  });
});

describe("percentage dice", () => {
  it.each([
    [100, 0.999999, true],
    [0, 0, false],
    [50, 0.4999, true],
    [50, 0.5, false],
    [0.0001, 0, true],
    [0.0001, 0.000001, false],
  ])("%f%% with r=%f fires: %s", (pct, r, want) => {
    expect(rollPercent(() => r, pct)).toBe(want);
  });
  it("converts to parts per million, truncating", () => {
    expect([percentToPpm(12.34567), percentToPpm(100), percentToPpm(0.1)]).toEqual([123456, 1_000_000, 1000]);
  });
});
