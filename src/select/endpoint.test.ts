import { describe, expect, it } from "vitest";
import type { Cluster, LoadBalancer } from "../table/types.ts";
import type { SelectState } from "../decision.ts";
import { cluster, req, scripted } from "../../test/fixtures/table.ts";
import { pickEndpoint, trackInFlight } from "./endpoint.ts";

const four = ["http://e0", "http://e1", "http://e2", "http://e3"];
const withLb = (loadBalancer: LoadBalancer, urls = four): Cluster => cluster("s", urls, { trafficPolicy: { loadBalancer } });
const url = (p: ReturnType<typeof pickEndpoint>) => p?.endpoint.url;

describe("pickEndpoint", () => {
  it("returns null for a cluster without endpoints", () => {
    expect(pickEndpoint(cluster("s", []), req("http://a.com/"), { rand: Math.random, now: 0 })).toBeNull();
  });

  it("uses no randomness for a single endpoint", () => {
    const s = scripted();
    expect(url(pickEndpoint(cluster("s", ["http://only"]), req("http://a.com/"), { rand: s.rand, now: 0 }))).toBe("http://only");
  });

  it("RANDOM: one weighted draw", () => {
    const c = withLb({ simple: "RANDOM" });
    const s = scripted(0.6);
    expect(url(pickEndpoint(c, req("http://a.com/"), { rand: s.rand, now: 0 }))).toBe("http://e2");
    expect(s.calls()).toBe(1);
  });

  it("honours endpoint weights", () => {
    const c: Cluster = { ...withLb({ simple: "RANDOM" }), endpoints: [{ url: "http://a", weight: 1 }, { url: "http://b", weight: 3 }] };
    expect([0.2, 0.26, 0.99].map((r) => url(pickEndpoint(c, req("http://a.com/"), { rand: () => r, now: 0 })))).toEqual(["http://a", "http://b", "http://b"]);
  });

  it("LEAST_REQUEST (default): two draws, the less loaded wins; stateless takes the first", () => {
    const c = cluster("s", four);
    const state: SelectState = {};
    trackInFlight(state, c, "http://e0", 1);
    expect(url(pickEndpoint(c, req("http://a.com/"), { rand: scripted(0, 0.5).rand, now: 0, state }))).toBe("http://e2");
    expect(url(pickEndpoint(c, req("http://a.com/"), { rand: scripted(0, 0.5).rand, now: 0 }))).toBe("http://e0");
    trackInFlight(state, c, "http://e0", -1);
    expect(url(pickEndpoint(c, req("http://a.com/"), { rand: scripted(0, 0.5).rand, now: 0, state }))).toBe("http://e0");
  });

  it("ROUND_ROBIN with state cycles without randomness, respecting weights", () => {
    const c: Cluster = { ...withLb({ simple: "ROUND_ROBIN" }), endpoints: [{ url: "http://a", weight: 2 }, { url: "http://b", weight: 1 }] };
    const state: SelectState = {};
    const seq = Array.from({ length: 6 }, () => url(pickEndpoint(c, req("http://a.com/"), { rand: scripted().rand, now: 0, state })));
    expect(seq).toEqual(["http://a", "http://b", "http://a", "http://a", "http://b", "http://a"]);
  });

  it("consistentHash by header: the same key always gives the same endpoint; a missing key is random", () => {
    const c = withLb({ consistentHash: { httpHeaderName: "x-user" } });
    const pick = (user: string) => url(pickEndpoint(c, req("http://a.com/", { headers: { "x-user": user } }), { rand: scripted().rand, now: 0 }));
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 40; i++) {
      expect(pick(`u${i}`)).toBe(pick(`u${i}`));
      seen.add(pick(`u${i}`));
    }
    expect(seen.size).toBe(4);
    const s = scripted(0.99);
    expect(url(pickEndpoint(c, req("http://a.com/"), { rand: s.rand, now: 0 }))).toBe("http://e3");
  });

  it.each([
    { lb: { consistentHash: { useSourceIp: true as const } }, init: { clientIp: "203.0.113.7" } },
    { lb: { consistentHash: { httpQueryParameterName: "k" } }, url: "http://a.com/?k=abc" },
    { lb: { consistentHash: { httpCookie: { name: "u" } } }, init: { headers: { cookie: "u=abc" } } },
  ])("consistentHash key %# is stable and needs no randomness", ({ lb, url: u, init }) => {
    const c = withLb(lb);
    const a = pickEndpoint(c, req(u ?? "http://a.com/", init), { rand: scripted().rand, now: 0 });
    const b = pickEndpoint(c, req(u ?? "http://a.com/", init), { rand: scripted().rand, now: 0 });
    expect([url(a), a?.setCookies]).toEqual([url(b), []]);
  });

  it("hash cookie without ttl and without cookie: random, no Set-Cookie", () => {
    const c = withLb({ consistentHash: { httpCookie: { name: "u" } } });
    expect(pickEndpoint(c, req("http://a.com/"), { rand: scripted(0).rand, now: 0 })?.setCookies).toEqual([]);
  });

  it("hash cookie with ttl and path: Max-Age and Path in the generated Set-Cookie", () => {
    const c = withLb({ consistentHash: { httpCookie: { name: "sid", ttlSeconds: 3600, path: "/app" } } });
    const p = pickEndpoint(c, req("http://a.com/"), { rand: scripted(0, 0.5).rand, now: 0 });
    expect(p?.setCookies).toEqual(['sid="0000000080000000"; Max-Age=3600; Path=/app; HttpOnly']);
  });

  it("consistent hashing moves only the keys of a removed endpoint (rendezvous)", () => {
    const c = withLb({ consistentHash: { httpHeaderName: "k" } });
    const smaller = withLb({ consistentHash: { httpHeaderName: "k" } }, four.slice(0, 3));
    for (let i = 0; i < 200; i++) {
      const f = req("http://a.com/", { headers: { k: `key-${i}` } });
      const before = url(pickEndpoint(c, f, { rand: scripted().rand, now: 0 }));
      const after = url(pickEndpoint(smaller, f, { rand: scripted().rand, now: 0 }));
      if (before !== "http://e3") expect(after).toBe(before);
    }
  });

  it("exclude skips previous hosts, and falls back to all when everything is excluded", () => {
    const c = withLb({ simple: "RANDOM" }, ["http://a", "http://b"]);
    expect(url(pickEndpoint(c, req("http://a.com/"), { rand: scripted().rand, now: 0 }, new Set(["http://a"])))).toBe("http://b");
    expect(url(pickEndpoint(c, req("http://a.com/"), { rand: () => 0, now: 0 }, new Set(["http://a", "http://b"])))).toBe("http://a");
  });
});
