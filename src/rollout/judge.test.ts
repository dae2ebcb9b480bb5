import { describe, expect, it } from "vitest";
import { BOUNDS_MS, addInto, bucketOf, emptyHistogram, quantile, record } from "./histogram.ts";
import { stepsOf } from "../compile/canary.ts";
import { act, judge, startRollout, type RolloutSpec, type VariantCounts } from "./judge.ts";

const spec: RolloutSpec = {
  name: "default/checkout",
  steps: [10, 25, 50],
  intervalMs: 60_000,
  threshold: 2,
  minRequests: 100,
  successRate: { min: 99, maxDrop: 1 },
  latencyP99: { maxMs: 500, maxRatio: 2 },
};

/** `requests` requests, `failures` of them failed, every latency `ms`. */
function counts(requests: number, failures: number, ms = 20): VariantCounts {
  const latency = emptyHistogram();
  for (let i = 0; i < requests; i++) record(latency, ms);
  return { requests, failures, latency };
}
const healthy = { primary: counts(1000, 1), canary: counts(200, 0) };

describe("latency histogram", () => {
  it("puts a value in the first bucket whose bound is at least it; 25 % growth keeps a quantile within 25 %", () => {
    expect(bucketOf(0.2)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(1.1)).toBe(1);
    expect(bucketOf(1e9)).toBe(BOUNDS_MS.length);
    for (let i = 1; i < BOUNDS_MS.length; i++) expect(BOUNDS_MS[i]! / BOUNDS_MS[i - 1]!).toBeLessThanOrEqual(1.2501);
  });

  it("reads p99 as the bound of the bucket holding it; merges bucket by bucket; null when empty", () => {
    const h = emptyHistogram();
    for (let i = 0; i < 990; i++) record(h, 10);
    for (let i = 0; i < 10; i++) record(h, 1000);
    expect(quantile(h, 0.99)).toBeGreaterThanOrEqual(10);
    expect(quantile(h, 0.99)).toBeLessThan(12.5);
    const slow = emptyHistogram();
    for (let i = 0; i < 100; i++) record(slow, 1000);
    addInto(h, slow);
    expect(quantile(h, 0.99)).toBeGreaterThanOrEqual(1000);
    expect(quantile(h, 0.99)).toBeLessThan(1250);
    expect(quantile(emptyHistogram(), 0.99)).toBeNull();
    const over = emptyHistogram();
    record(over, 120_000);
    expect(quantile(over, 0.5)).toBe(Infinity);
  });
});

describe("judge: one interval", () => {
  it("a healthy canary advances step by step and is promoted after passing the last step", () => {
    let s = startRollout(spec, 0);
    expect([s.phase, s.canaryWeight]).toEqual(["progressing", 10]);
    const weights: number[] = [];
    for (let i = 1; i <= 3; i++) {
      s = judge(spec, s, healthy, i * 60_000);
      weights.push(s.canaryWeight);
    }
    expect(weights).toEqual([25, 50, 100]);
    expect(s.phase).toBe("promoted");
    expect(s.history.map((h) => ("verdict" in h ? h.verdict : h.event))).toEqual(["start", "advance", "advance", "promote"]);
  });

  it("too little canary traffic decides nothing and counts no failed check", () => {
    const s = judge(spec, startRollout(spec, 0), { primary: counts(1000, 500), canary: counts(99, 99) }, 1);
    expect([s.phase, s.canaryWeight, s.failedChecks]).toEqual(["progressing", 10, 0]);
    expect(s.history.at(-1)).toMatchObject({ verdict: "insufficient", reason: "99 canary request(s) < minRequests 100: no decision" });
  });

  it("a failing canary holds, then aborts at the threshold: weight 0, every later interval ignored", () => {
    const bad = { primary: counts(1000, 0), canary: counts(200, 20) };
    let s = judge(spec, startRollout(spec, 0), bad, 1);
    expect([s.phase, s.canaryWeight, s.failedChecks]).toEqual(["progressing", 10, 1]);
    expect(s.history.at(-1)).toMatchObject({ verdict: "hold" });
    s = judge(spec, s, bad, 2);
    expect([s.phase, s.canaryWeight, s.failedChecks]).toEqual(["aborted", 0, 2]);
    expect((s.history.at(-1) as { reason: string }).reason).toBe("success rate 90% < 99%; success rate 90% is 10 points below the primary's 100% (max 1) — failed check 2 of 2: abort, canary weight 0");
    expect(judge(spec, s, healthy, 3)).toBe(s);
  });

  it("failed checks need not be consecutive (Flagger's threshold)", () => {
    const bad = { primary: counts(1000, 0), canary: counts(200, 20) };
    let s = judge(spec, startRollout(spec, 0), bad, 1);
    s = judge(spec, s, healthy, 2);
    expect([s.canaryWeight, s.failedChecks]).toEqual([25, 1]);
    s = judge(spec, s, bad, 3);
    expect(s.phase).toBe("aborted");
  });

  it("a slow canary fails on p99 (absolute and relative to the primary)", () => {
    const slow = { primary: counts(1000, 0, 20), canary: counts(200, 0, 800) };
    const s = judge(spec, startRollout(spec, 0), slow, 1);
    const reason = (s.history.at(-1) as { reason: string }).reason;
    expect(reason).toMatch(/^p99 \d+(\.\d+)? ms > 500 ms; p99 \d+(\.\d+)? ms > 2 × the primary's \d+(\.\d+)? ms/);
  });

  it("relative checks are skipped when the primary had too little traffic itself", () => {
    const s = judge(spec, startRollout(spec, 0), { primary: counts(10, 5, 1), canary: counts(200, 0, 20) }, 1);
    expect(s.history.at(-1)).toMatchObject({ verdict: "advance" });
  });
});

describe("operator actions", () => {
  it("pause holds the weight and stops judging; resume continues; promote and abort are final", () => {
    let s = act(startRollout(spec, 0), "pause", 1);
    expect(s.phase).toBe("paused");
    expect(judge(spec, s, healthy, 2)).toBe(s);
    s = act(s, "resume", 3);
    expect(judge(spec, s, healthy, 4).canaryWeight).toBe(25);
    const promoted = act(s, "promote", 5);
    expect([promoted.phase, promoted.canaryWeight]).toEqual(["promoted", 100]);
    expect(act(promoted, "resume", 6)).toBe(promoted);
    const aborted = act(s, "abort", 7);
    expect([aborted.phase, aborted.canaryWeight]).toEqual(["aborted", 0]);
  });
});

describe("steps", () => {
  it("explicit stepWeights win; otherwise stepWeight up to maxWeight (the last step is maxWeight)", () => {
    expect(stepsOf({ stepWeights: [1, 5, 25, 50, 100] })).toEqual([1, 5, 25, 50, 100]);
    expect(stepsOf({ stepWeight: 10, maxWeight: 50 })).toEqual([10, 20, 30, 40, 50]);
    expect(stepsOf({ stepWeight: 20, maxWeight: 50 })).toEqual([20, 40, 50]);
  });
});
