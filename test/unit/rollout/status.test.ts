/**
 * The admin contract's pure helpers (src/rollout/status.ts): a compiled table's Canaries, their
 * status before the state plane has said anything, and how an admin path's NAME finds one.
 */
import { describe, expect, it } from "vitest";
import { act, startRollout } from "../../../src/rollout/judge.ts";
import { canariesOf, findCanary, rolloutStatus, specOf } from "../../../src/rollout/status.ts";
import { GOOD, build, canary } from "./fixture.ts";

describe("rollout status", () => {
  it("finds the table's Canary with its target, destinations and pushed weights", async () => {
    const { errors, table } = await build(canary(GOOD));
    expect(errors).toEqual([]);
    const [c, ...rest] = canariesOf(table!);
    expect(rest).toEqual([]);
    expect(c).toMatchObject({ virtualService: "default/shop", rule: "checkout", primary: "checkout.internal/v1", canary: "checkout.internal/v2", pushedCanaryWeight: 0 });
    expect(c!.rollout.name).toBe("default/checkout");
  });

  it("shows the initial state and the pushed weights while the object has none", async () => {
    const { table } = await build(canary(GOOD));
    const c = canariesOf(table!)[0]!;
    const s = rolloutStatus(c, null, "initial", 1000);
    expect(s.weights).toEqual({ primary: 100, canary: 0 });
    expect(s.state).toEqual(startRollout(specOf(c.rollout), 1000));
    expect(s.state.canaryWeight).toBe(5);
    expect(s.spec.steps).toEqual([5, 25, 50]);
    expect(s.failures).toEqual({ statuses: ["5xx"], gatewayErrors: true, timeouts: true });
  });

  it("serves the object's weight when the object answered", async () => {
    const { table } = await build(canary(GOOD));
    const c = canariesOf(table!)[0]!;
    const aborted = act(startRollout(specOf(c.rollout), 0), "abort", 5);
    expect(rolloutStatus(c, aborted, "object", 10).weights).toEqual({ primary: 100, canary: 0 });
    const running = { ...startRollout(specOf(c.rollout), 0), canaryWeight: 25, step: 1 };
    expect(rolloutStatus(c, running, "object", 10).weights).toEqual({ primary: 75, canary: 25 });
    // An unreachable object: what the Worker serves without it (the pushed weights), and why.
    const u = rolloutStatus(c, null, "unreachable", 10, "timeout");
    expect(u).toMatchObject({ weights: { primary: 100, canary: 0 }, source: "unreachable", error: "timeout" });
  });

  it("finds a Canary by namespace/name, or by a bare name when only one namespace has it", async () => {
    const { table } = await build(canary(GOOD));
    const cs = canariesOf(table!);
    expect(findCanary(cs, "default/checkout")?.rollout.name).toBe("default/checkout");
    expect(findCanary(cs, "checkout")?.rollout.name).toBe("default/checkout");
    expect(findCanary(cs, "other/checkout")).toBeUndefined();
    expect(findCanary(cs, "nope")).toBeUndefined();
    const twice = [cs[0]!, { ...cs[0]!, rollout: { ...cs[0]!.rollout, name: "prod/checkout" } }];
    expect(findCanary(twice, "checkout")).toBeUndefined();
    expect(findCanary(twice, "prod/checkout")?.rollout.name).toBe("prod/checkout");
  });
});
