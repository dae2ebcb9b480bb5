/** HTTPRoute precedence (GATEWAY-API-SEMANTICS §5) and the step `routes route` reports. */
import { describe, expect, it } from "vitest";
import { comparePrecedence, explainStep } from "../../../src/compile/gateway-api/precedence.ts";
import type { Precedence } from "../../../src/table/types.ts";
import { explainPrecedence } from "../../../src/cases/precedence.ts";
import { factsFromRequest } from "../../../src/match/facts.ts";
import { decide } from "../../../src/decide.ts";
import { build } from "../vectors/pipeline.ts";
import { gateway, httpRoute, SERVICES, to } from "./helpers.ts";

const base: Precedence = { route: "ns/a", pathType: "PathPrefix", pathLength: 1, method: false, headers: 0, queryParams: 0, createdMs: 0, ruleIndex: 0, matchIndex: 0 };
const p = (o: Partial<Precedence>): Precedence => ({ ...base, ...o });

describe("comparePrecedence", () => {
  it.each([
    ["path type", p({ pathType: "Exact", pathLength: 1 }), p({ pathLength: 50 })],
    ["path length", p({ pathLength: 4 }), p({ pathLength: 3, method: true, headers: 5 })],
    ["method", p({ method: true }), p({ headers: 9 })],
    ["header count", p({ headers: 2 }), p({ headers: 1, queryParams: 9 })],
    ["query parameter count", p({ queryParams: 1 }), p({})],
    ["route age", p({ createdMs: 1, route: "z/z" }), p({ createdMs: 2, route: "a/a" })],
    ["route name", p({ route: "a/b" }), p({ route: "b/a" })],
    ["rule order", p({ ruleIndex: 0 }), p({ ruleIndex: 1 })],
    ["match order", p({ matchIndex: 0 }), p({ matchIndex: 1 })],
  ] as const)("%s decides", (step, first, second) => {
    expect(comparePrecedence(first, second)).toEqual({ order: expect.any(Number), step });
    expect(comparePrecedence(first, second).order).toBeLessThan(0);
    expect(comparePrecedence(second, first).order).toBeGreaterThan(0);
  });
  it("a regular expression ranks after a prefix of any length", () => {
    expect(comparePrecedence(p({ pathLength: 1 }), p({ pathType: "RegularExpression", pathLength: 40 })).step).toBe("path type");
    expect(explainStep(p({ pathType: "Exact" }), p({}))).toBe("path type: Exact ranks before PathPrefix");
  });
});

describe("routes route: which step decided", () => {
  it("names the step against the next matching rule", async () => {
    const b = await build(gateway(), SERVICES, httpRoute([to("a", "[{ path: { value: / } }]"), to("b", "[{ path: { value: /v2 } }]"), to("c", "[{ path: { value: /v2 }, headers: [{ name: x, value: y }] }]")].join("")));
    const ask = (url: string, headers: Record<string, string> = {}) => {
      const facts = factsFromRequest(new Request(url, { headers }));
      if ("error" in facts) throw new Error(facts.reason);
      return explainPrecedence(b.prepared!, facts, decide(b.prepared!, facts, { rand: () => 0.5, now: 0 }));
    };
    expect(ask("http://x/v2/z")).toMatch(/^path length: 3 characters before 1/);
    expect(ask("http://x/v2/z", { x: "y" })).toMatch(/^header count: 1 header matches before 0/);
    expect(ask("http://x/other")).toBe("the only matching rule on this host");
  });
});
