/**
 * Issue #18 items 3–5, decided as `routes route` decides (decideCase) and rendered with the
 * Worker's own response/upstream code: one cookie parser for the split and the load balancer
 * (`, `-joined cookie crumbs), no LB cookie over the visitor id, `private, no-store` on every
 * response with a gateway Set-Cookie, and no client `x-edge-variant` upstream.
 */
import { describe, expect, it } from "vitest";
import { decideCase } from "../../../src/cases/run.ts";
import { CaseRequest } from "../../../src/cases/schema.ts";
import type { ForwardDecision } from "../../../src/decision.ts";
import { planUpstream } from "../../../src/forward/upstream-request.ts";
import { prepare } from "../../../src/prepare.ts";
import { headerVars, proxiedHeaders } from "../../../src/respond.ts";
import { factsFromParts } from "../../../src/match/facts.ts";
import { headersFromObject } from "../../../src/match/headers.ts";
import { attackTable } from "../../fixtures/attack-config.ts";

const table = prepare(await attackTable({ origin: 9001, originB: 9002, shadow: 9003 }));
const VISITOR = "0123456789abcdef0123456789abcdef";

function forward(path: string, headers: Record<string, string>, random = 0.3): ForwardDecision {
  const d = decideCase(table, CaseRequest.parse({ url: `http://site.test${path}`, headers, random })).decision!;
  if (d.kind !== "forward") throw new Error(d.kind);
  return d;
}

describe("item 3: one cookie parser for the split and the load balancer", () => {
  it.each([
    ["; ", `theme=dark; ab_visitor=${VISITOR}`],
    [", (two Cookie lines joined by the runtime)", `theme=dark, ab_visitor=${VISITOR}`],
    [", with a quoted value", `theme=dark, ab_visitor="${VISITOR}"`],
  ])("cookies joined with %s: same variant, and no cookie issued over the visitor id", (_how, cookie) => {
    const a = forward("/split", { cookie }, 0.1);
    const b = forward("/split", { cookie }, 0.9);
    expect(a.setCookies).toEqual([]);
    expect(a.variant).toBe(b.variant);
    expect(a.target.endpoint.url).toBe(b.target.endpoint.url);
  });

  it("the non-split route of the same host hashes the same visitor cookie instead of issuing one", () => {
    expect(forward("/page", { cookie: `theme=dark, ab_visitor=${VISITOR}` }).setCookies).toEqual([]);
  });
});

describe("item 4: a response with a gateway Set-Cookie is never cacheable by a shared cache", () => {
  it("the load balancer's cookie on a non-split route: private, no-store replaces the origin's public", () => {
    const d = forward("/page", {});
    expect(d.setCookies.some((c) => c.startsWith("ab_visitor="))).toBe(true);
    const req = new Request("http://site.test/page");
    const facts = factsFromParts({ method: "GET", scheme: "http", authority: "site.test", path: "/page", query: "", headers: headersFromObject({}) });
    if ("error" in facts) throw new Error(facts.reason);
    const h = new Headers({ "cache-control": "public, max-age=3600" });
    proxiedHeaders(h, d, headerVars(facts, req.headers));
    expect(h.get("cache-control")).toBe("private, no-store");
    expect(h.get("set-cookie")).toMatch(/^ab_visitor=/);
  });

  it("a response without a gateway cookie keeps the origin's caching", () => {
    const d = forward("/page", { cookie: `ab_visitor=${VISITOR}` });
    const h = new Headers({ "cache-control": "public, max-age=3600" });
    const facts = factsFromParts({ method: "GET", scheme: "http", authority: "site.test", path: "/page", query: "", headers: headersFromObject({}) });
    if ("error" in facts) throw new Error(facts.reason);
    proxiedHeaders(h, d, headerVars(facts, new Headers()));
    expect(h.get("cache-control")).toBe("public, max-age=3600");
  });
});

describe("item 5: the client's x-edge-variant never travels upstream", () => {
  it.each(["/page", "/static/x"])("%s (no split)", (path) => {
    const d = forward(path, { cookie: `ab_visitor=${VISITOR}` });
    const req = new Request(`http://site.test${path}`, { headers: { "x-edge-variant": "origin.internal/b", "X-Edge-Variant-Other": "kept" } });
    const facts = factsFromParts({ method: "GET", scheme: "http", authority: "site.test", path, query: "", headers: headersFromObject({}) });
    if ("error" in facts) throw new Error(facts.reason);
    const plan = planUpstream(d, req, facts, "r1", headerVars(facts, req.headers));
    expect(plan.headers.get("x-edge-variant")).toBeNull();
    expect(plan.headers.get("x-edge-variant-other")).toBe("kept");
  });
});
