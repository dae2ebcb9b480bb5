/**
 * Sticky splits through the whole pure decision (decide → pickDestination → pickEndpoint):
 * one visitor cookie, a stable variant, the origin/cache/analytics signals of DESIGN.md §4.
 */
import { describe, expect, it } from "vitest";
import type { Cluster, Route, RouteTable, StickySplit } from "../../../src/table/types.ts";
import type { DecideOptions, Decision, ForwardDecision } from "../../../src/decision.ts";
import { decide } from "../../../src/decide.ts";
import { prepare } from "../../../src/prepare.ts";
import { cluster, dest, req, route, scripted, table } from "../../fixtures/table.ts";
import { randomIds } from "../../fixtures/ids.ts";

const decideTable = (t: RouteTable, f: Parameters<typeof decide>[1], o: DecideOptions): Decision => decide(prepare(t), f, o);

const STICKY: StickySplit = { cookie: "ab_visitor", ttlSeconds: 2592000, path: "/", splitId: "web/www/home-ab" };
const NO_RAND = () => {
  throw new Error("rand() must not be called for a sticky assignment");
};

function fwd(d: Decision): ForwardDecision {
  if (d.kind !== "forward") throw new Error(`expected forward, got ${d.kind}`);
  return d;
}

function abTable(weights: [number, number], sticky: StickySplit | null = STICKY, clusters?: Cluster[]): RouteTable {
  const destinations = [dest("a.origin.test", { weight: weights[0] }), dest("b.origin.test", { weight: weights[1] })];
  const r: Route = route({ name: "home-ab", action: { kind: "route", destinations, totalWeight: weights[0] + weights[1], ...(sticky ? { sticky } : {}) } });
  return table([{ domain: "www.example.com", routes: [r] }], clusters ?? [cluster("a.origin.test"), cluster("b.origin.test")]);
}

let minted = 0;
function opts(extra: Partial<DecideOptions> = {}): DecideOptions {
  return { rand: NO_RAND, now: 0, newVisitorId: () => (++minted).toString(16).padStart(32, "0"), ...extra };
}

const visit = (t: RouteTable, cookie?: string, o = opts()) =>
  fwd(decideTable(t, req("https://www.example.com/", cookie ? { headers: { cookie } } : {}), o));

describe("a new visitor", () => {
  it("gets exactly one visitor cookie, a variant, and no die is rolled", () => {
    const d = visit(abTable([50, 50]));
    expect(d.setCookies).toHaveLength(1);
    expect(d.setCookies[0]).toMatch(/^ab_visitor=[0-9a-f]{32}; Max-Age=2592000; Path=\/; Secure; HttpOnly; SameSite=Lax$/);
    expect(["a.origin.test", "b.origin.test"]).toContain(d.variant);
  });

  it("tells the origin its variant with x-edge-variant, set after the route's own ops", () => {
    const d = visit(abTable([50, 50]));
    expect(d.requestHeaders.at(-1)).toEqual({ set: [["x-edge-variant", d.variant]] });
  });

  it("makes the assigning response private/no-store and varies it on cookie", () => {
    const d = visit(abTable([50, 50]));
    expect(d.responseHeaders.at(-1)).toEqual({ set: [["cache-control", "private, no-store"]], add: [["vary", "cookie"]] });
  });
});

describe("a returning visitor", () => {
  it("stays on its variant for 200 requests, without a new cookie or a cache-control override", () => {
    const first = visit(abTable([50, 50]));
    const cookie = first.setCookies[0]!.split(";")[0]!;
    for (let i = 0; i < 200; i++) {
      const d = visit(abTable([50, 50]), `other=1; ${cookie}`);
      expect(d.variant).toBe(first.variant);
      expect(d.setCookies).toEqual([]);
      expect(d.responseHeaders.at(-1)).toEqual({ add: [["vary", "cookie"]] });
    }
  });

  it("is re-assigned (new cookie) when the cookie value is forged", () => {
    const d = visit(abTable([50, 50]), "ab_visitor=i-want-b");
    expect(d.setCookies[0]).toMatch(/^ab_visitor=[0-9a-f]{32};/);
  });

  it("keeps its variant when the client sends its own x-edge-variant header", () => {
    const first = visit(abTable([50, 50]));
    const cookie = first.setCookies[0]!.split(";")[0]!;
    const d = fwd(decideTable(abTable([50, 50]), req("https://www.example.com/", { headers: { cookie, "x-edge-variant": "forged" } }), opts()));
    expect(d.requestHeaders.at(-1)).toEqual({ set: [["x-edge-variant", first.variant]] });
  });
});

describe("DestinationRule httpCookie of the same name (endpoint hashing inside the subset)", () => {
  const lb = { consistentHash: { httpCookie: { name: "ab_visitor", ttlSeconds: 2592000, path: "/" } } };
  const clusters = [
    cluster("a.origin.test", ["http://a1.test", "http://a2.test", "http://a3.test"], { trafficPolicy: { loadBalancer: lb } }),
    cluster("b.origin.test", ["http://b1.test", "http://b2.test", "http://b3.test"], { trafficPolicy: { loadBalancer: lb } }),
  ];

  it("sets one cookie (the visitor id) and hashes the endpoint with it, as the next request will", () => {
    for (let i = 0; i < 30; i++) {
      const t = abTable([50, 50], STICKY, clusters);
      const first = visit(t);
      expect(first.setCookies).toHaveLength(1);
      const cookie = first.setCookies[0]!.split(";")[0]!;
      const next = visit(t, cookie);
      expect(next.target.endpoint.url).toBe(first.target.endpoint.url);
    }
  });
});

describe("application-owned cookie (DestinationRule httpCookie without ttl)", () => {
  const owned: StickySplit = { ...STICKY, cookie: "sid", appOwned: true };

  it("falls back to one weighted die and sets nothing when the application has not set it yet", () => {
    const s = scripted(0.99);
    const d = visit(abTable([50, 50], owned), undefined, opts({ rand: s.rand }));
    expect(d.setCookies).toEqual([]);
    expect(d.variant).toBe("b.origin.test");
    expect(s.calls()).toBe(1);
  });

  it("hashes the application's value once it exists", () => {
    const a = visit(abTable([50, 50], owned), "sid=session-42");
    const b = visit(abTable([50, 50], owned), "sid=session-42");
    expect(a.variant).toBe(b.variant);
    expect(a.setCookies).toEqual([]);
  });
});

describe("rollout while visitors keep their cookies", () => {
  it("10% → 20% keeps every canary visitor on the canary (2,000 visitors)", () => {
    const ids = randomIds(2000, 20);
    const before = abTable([90, 10]);
    const after = abTable([80, 20]);
    let canaryBefore = 0;
    let lost = 0;
    let gained = 0;
    for (const id of ids) {
      const was = visit(before, `ab_visitor=${id}`).variant;
      const now = visit(after, `ab_visitor=${id}`).variant;
      if (was === "b.origin.test") {
        canaryBefore++;
        if (now !== "b.origin.test") lost++;
      } else if (now === "b.origin.test") gained++;
    }
    expect(lost).toBe(0);
    expect(canaryBefore).toBeGreaterThan(150); // ≈ 200: the population really had canary visitors
    expect(gained).toBeGreaterThan(120); // ≈ 200 newly moved into the canary
  });
});

describe("plain (non-sticky) splits are unchanged", () => {
  it("adds no cookie, variant header or cache rule", () => {
    const d = fwd(decideTable(abTable([50, 50], null), req("https://www.example.com/"), { rand: () => 0.1, now: 0 }));
    expect(d.setCookies).toEqual([]);
    expect(JSON.stringify(d.requestHeaders)).not.toContain("x-edge-variant");
    expect(JSON.stringify(d.responseHeaders)).not.toContain("vary");
  });
});
