/**
 * The Canary document through the real loader and compiler, and the split decide() makes under a
 * rollout's weight: located errors for bad targets, a canary written with weight 0 kept in the
 * split, weights from the state plane replacing the pushed ones, visitors kept monotone.
 */
import { describe, expect, it } from "vitest";
import { decide } from "../../../src/decide.ts";
import { factsFromRequest } from "../../../src/match/facts.ts";
import { prepare } from "../../../src/prepare.ts";
import { loadConfig } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";
import { BASE, GOOD, build, canary } from "./fixture.ts";

describe("Canary: loading and compiling", () => {
  it("attaches the analysis to the rule's split and keeps a weight-0 canary in it", async () => {
    const { errors, table } = await build(canary(GOOD));
    expect(errors).toEqual([]);
    const action = table!.vhosts[0]!.routes[0]!.action;
    expect(action.kind).toBe("route");
    if (action.kind !== "route") return;
    expect(action.destinations.map((d) => [d.subset, d.weight])).toEqual([["v1", 100], ["v2", 0]]);
    expect(action.sticky).toBeDefined();
    expect(action.rollout).toMatchObject({
      name: "default/checkout",
      primary: 0,
      canary: 1,
      steps: [5, 25, 50],
      intervalMs: 30_000,
      threshold: 2,
      minRequests: 20,
      successRate: { min: 99, maxDrop: 1 },
      latencyP99: { maxMs: 800 },
      failures: { statuses: ["5xx"], gatewayErrors: true, timeouts: true },
    });
    expect(action.rollout!.specHash).toMatch(/^[0-9a-f]{16}$/);
  });

  it("compiles a good Canary without any finding (the rollout runs in the state plane)", async () => {
    const loaded = loadConfig([{ path: "routes/shop.yaml", text: BASE }, { path: "routes/canary.yaml", text: canary(GOOD) }]);
    const c = await compile(loaded.objects);
    expect(c.issues.filter((i) => i.file === "routes/canary.yaml")).toEqual([]);
  });

  it.each([
    ["a VirtualService that does not exist", GOOD.replace("virtualService: shop", "virtualService: nope"), /routes\/canary\.yaml:5:\d+: spec\.target\.virtualService: VirtualService default\/nope does not exist/],
    ["a rule that does not exist", GOOD.replace("rule: checkout", "rule: cart"), /spec\.target\.rule: VirtualService default\/shop has no http rule named "cart" \(its rules: "checkout"\)/],
    ["a primary the rule does not route to", GOOD.replace("primary: { host: checkout.internal, subset: v1 }", "primary: { host: other.internal }"), /spec\.primary: rule "checkout" of default\/shop does not route to the primary other\.internal/],
    ["both step forms", GOOD.replace("stepWeights: [5, 25, 50]", "stepWeights: [5, 25, 50]\n    stepWeight: 10"), /spec\.analysis\.stepWeights: give either stepWeights or stepWeight\/maxWeight, not both/],
    ["weights that do not increase", GOOD.replace("[5, 25, 50]", "[5, 50, 25]"), /spec\.analysis\.stepWeights\[2\]: stepWeights must increase: 25 after 50/],
    ["no check at all", GOOD.replace("    successRate: { min: 99, maxDrop: 1 }\n    latencyP99: { maxMs: 800 }\n", ""), /spec\.analysis: analysis needs a check/],
    ["an unknown field", GOOD.replace("threshold: 2", "treshold: 2"), /spec\.analysis/],
  ])("rejects %s with a located error", async (_, spec, message) => {
    const { errors, table } = await build(canary(spec));
    expect(table).toBeNull();
    expect(errors.join("\n")).toMatch(message);
  });
});

describe("Canary: the split under a rollout's weight", () => {
  const visitors = Array.from({ length: 2000 }, (_, i) => (i * 2654435761 % 2 ** 32).toString(16).padStart(8, "0").repeat(4));
  async function assignments(weight: number | undefined): Promise<string[]> {
    const { table } = await build(canary(GOOD));
    const prepared = prepare(table!);
    return visitors.map((v) => {
      const facts = factsFromRequest(new Request("http://shop.example.com/buy", { headers: { cookie: `ab_visitor=${v}` } }), { pathNormalization: "BASE" });
      if ("error" in facts) throw new Error("facts");
      const d = decide(prepared, facts, { rand: () => 0.5, now: 0, ...(weight === undefined ? {} : { rolloutWeights: new Map([["default/checkout", weight]]) }) });
      if (d.kind !== "forward") throw new Error(d.kind);
      return d.target.destination.subset!;
    });
  }

  it("uses the pushed weights without a rollout weight, and the rollout's weight when there is one", async () => {
    expect(new Set(await assignments(undefined))).toEqual(new Set(["v1"]));
    const at25 = await assignments(25);
    const share = at25.filter((s) => s === "v2").length / at25.length;
    expect(share).toBeGreaterThan(0.2); // 25 % ± 5 pp over 2,000 visitors (sd ≈ 1 pp)
    expect(share).toBeLessThan(0.3);
    expect(new Set(await assignments(0))).toEqual(new Set(["v1"]));
    expect(new Set(await assignments(100))).toEqual(new Set(["v2"]));
  });

  it("raising the canary weight only moves visitors into the canary (monotone), abort returns all", async () => {
    const steps = [5, 25, 50];
    let before = await assignments(steps[0]!);
    for (const w of steps.slice(1)) {
      const after = await assignments(w);
      before.forEach((s, i) => {
        if (s === "v2") expect(after[i], `visitor ${i} left the canary at ${w}%`).toBe("v2");
      });
      before = after;
    }
  });
});
