import { describe, expect, it } from "vitest";
import { actionsFor, entryKind, fmtAnalysis, fmtChecks, fmtFailures, fmtDuration, fmtP99, fmtRate, fmtStep, fmtSteps, fmtTime, isInterval, lastEntry } from "./describe.ts";
import { act, judge, startRollout, type Phase, type RolloutSpec } from "./judge.ts";
import { emptyHistogram, record } from "./histogram.ts";

const spec: RolloutSpec = { name: "default/checkout", steps: [5, 25, 50], intervalMs: 60_000, threshold: 3, minRequests: 100, successRate: { min: 99, maxDrop: 1 }, latencyP99: { maxMs: 500, maxRatio: 1.5 } };

describe("a rollout in words", () => {
  it("writes an interval as a person would", () => {
    expect([fmtDuration(60_000), fmtDuration(90_000), fmtDuration(10_000), fmtDuration(3_600_000), fmtDuration(1500), fmtDuration(250)]).toEqual(["1m", "1m30s", "10s", "1h", "1.5s", "250ms"]);
  });

  it("shows the ladder up to 100 % (passing the last step promotes), without repeating a last step of 100", () => {
    expect(fmtSteps(spec)).toBe("5% → 25% → 50% → 100%");
    expect(fmtSteps({ ...spec, steps: [10, 100] })).toBe("10% → 100%");
  });

  it("states every configured check, and only those", () => {
    expect(fmtChecks(spec)).toBe("success rate ≥ 99% and at most 1 point below the primary's; p99 ≤ 500 ms and ≤ 1.5 × the primary's");
    expect(fmtChecks({ ...spec, successRate: { maxDrop: 2 }, latencyP99: undefined })).toBe("success rate at most 2 points below the primary's");
    expect(fmtAnalysis({ ...spec, minRequests: 1, threshold: 1, latencyP99: undefined })).toBe(
      "every 1m: success rate ≥ 99% and at most 1 point below the primary's; at least 1 canary request to judge; abort after 1 failed check",
    );
  });

  it("reads a p99 that JSON turned from Infinity into null as over 60 s, and no requests as a dash", () => {
    expect(fmtP99({ requests: 0, failures: 0, successRate: null, p99Ms: null })).toBe("–");
    expect(fmtP99({ requests: 3, failures: 0, successRate: 100, p99Ms: null })).toBe("over 60 s");
    expect(fmtP99({ requests: 3, failures: 0, successRate: 100, p99Ms: Infinity })).toBe("over 60 s");
    expect(fmtP99({ requests: 3, failures: 0, successRate: 100, p99Ms: 35.53 })).toBe("35.53 ms");
    expect(fmtRate({ requests: 0, failures: 0, successRate: null, p99Ms: null })).toBe("–");
  });

  it("lists what counts as a failed request", () => {
    expect(fmtFailures({ statuses: ["5xx", 429], gatewayErrors: true, timeouts: false })).toBe("5xx, 429, gateway errors");
    expect(fmtFailures({ statuses: [], gatewayErrors: false, timeouts: false })).toBe("nothing");
  });

  it("says where the rollout stands in each phase", () => {
    const s = startRollout(spec, 0);
    expect(fmtStep(spec, s)).toBe("step 1 of 3 (5%)");
    expect(fmtStep(spec, act(s, "pause", 1))).toBe("paused at step 1 of 3 (5%)");
    expect(fmtStep(spec, act(s, "promote", 1))).toBe("promoted");
    expect(fmtStep(spec, act(s, "abort", 1))).toBe("aborted");
  });

  it("offers exactly the actions judge.act applies in each phase", () => {
    const at: Record<Phase, ReturnType<typeof startRollout>> = {
      progressing: startRollout(spec, 0),
      paused: act(startRollout(spec, 0), "pause", 1),
      promoted: act(startRollout(spec, 0), "promote", 1),
      aborted: act(startRollout(spec, 0), "abort", 1),
    };
    for (const [phase, state] of Object.entries(at) as Array<[Phase, ReturnType<typeof startRollout>]>) {
      const changes = (["promote", "pause", "resume", "abort"] as const).filter((a) => act(state, a, 2) !== state);
      expect(actionsFor(phase), phase).toEqual(changes);
    }
  });

  it("names the last decision and formats a history entry's parts as the CLI and console print them, in UTC", () => {
    const latency = emptyHistogram();
    for (let i = 0; i < 200; i++) record(latency, 20);
    const s = judge(spec, startRollout(spec, Date.parse("2026-12-03T19:00:00Z")), { primary: { requests: 200, failures: 0, latency }, canary: { requests: 200, failures: 0, latency } }, Date.parse("2026-12-03T19:01:00Z"));
    const e = lastEntry(s)!;
    expect(entryKind(e)).toBe("advance");
    expect(fmtTime(e.at)).toBe("2026-12-03 19:01:00Z");
    expect(isInterval(e) && [e.canaryWeight, e.primary.requests, e.primary.failures, fmtRate(e.primary), fmtP99(e.primary), e.canary.requests, e.canary.failures, fmtRate(e.canary), fmtP99(e.canary)]).toEqual([5, 200, 0, "100%", "22.74 ms", 200, 0, "100%", "22.74 ms"]);
    expect(e.reason).toBe("checks passed: advance 5% → 25%");
    const first = s.history[0]!;
    expect([isInterval(first), fmtTime(first.at), entryKind(first), first.canaryWeight, first.reason]).toEqual([false, "2026-12-03 19:00:00Z", "start", 5, "started at 5%"]);
  });
});
