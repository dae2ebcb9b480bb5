/**
 * The rollout object's logic with a fake storage and clock: start on the first sync, windows
 * summed over isolates, the alarm judging each interval, what a push does to a running rollout,
 * operator actions and their conflicts, the idle stop, the wire checks.
 */
import { describe, expect, it, vi } from "vitest";
import { count, emptyCounts, type RolloutCounts } from "../rollout/counters.ts";
import type { RolloutState } from "../rollout/judge.ts";
import type { RouteRollout } from "../table/types.ts";
import { IDLE_INTERVALS, RolloutRunner, asSync, handleRollout, type RolloutRecord, type RolloutStorage, type SyncRequest } from "./rollout-object.ts";

class FakeStorage implements RolloutStorage {
  data = new Map<string, unknown>();
  alarm: number | null = null;
  async get<T>(key: string) {
    return structuredClone(this.data.get(key)) as T | undefined;
  }
  async put<T>(key: string, value: T) {
    this.data.set(key, structuredClone(value));
  }
  async setAlarm(at: number) {
    this.alarm = at;
  }
  async deleteAlarm() {
    this.alarm = null;
  }
}

const ROLLOUT: RouteRollout = {
  name: "default/checkout",
  primary: 0,
  canary: 1,
  specHash: "aaaa",
  steps: [10, 50],
  intervalMs: 1000,
  threshold: 2,
  minRequests: 10,
  successRate: { min: 95 },
  failures: { statuses: ["5xx"], gatewayErrors: true, timeouts: true },
};
const TARGET = { virtualService: "default/shop", rule: "checkout" };
const sync = (over: Partial<SyncRequest> = {}, rollout: Partial<RouteRollout> = {}): SyncRequest => ({
  rollout: { ...ROLLOUT, ...rollout },
  target: TARGET,
  activatedAt: "2026-12-03T10:00:00.000Z",
  ...over,
});

function traffic(canary: number, canaryFailures: number, primary = 0): RolloutCounts {
  const c = emptyCounts();
  for (let i = 0; i < canary; i++) count(c, "canary", i < canaryFailures, 20);
  for (let i = 0; i < primary; i++) count(c, "primary", false, 20);
  return c;
}

function setup() {
  const storage = new FakeStorage();
  const events: Array<{ state: RolloutState; record: RolloutRecord }> = [];
  const runner = new RolloutRunner(storage, (state, record) => events.push({ state, record }));
  return { storage, events, runner, names: () => events.map((e) => { const h = e.state.history.at(-1)!; return "verdict" in h ? h.verdict : h.event; }) };
}

describe("rollout object", () => {
  it("starts on the first sync at the first step with an alarm one interval away", async () => {
    const { runner, storage, names } = setup();
    const r = await runner.sync(sync(), 0);
    expect(r.state).toMatchObject({ phase: "progressing", step: 0, canaryWeight: 10 });
    expect(storage.alarm).toBe(1000);
    expect(names()).toEqual(["start"]);
    // A second sync of the same spec changes nothing.
    await runner.sync(sync(), 10);
    expect(names()).toEqual(["start"]);
  });

  it("sums the reports of several isolates into one interval and steps, then promotes", async () => {
    const { runner, storage, names } = setup();
    await runner.sync(sync(), 0);
    await runner.report({ sync: sync(), counts: traffic(6, 0, 50) }, 100);
    await runner.report({ sync: sync(), counts: traffic(6, 0, 50) }, 200);
    await runner.alarm(1000);
    let r = (await runner.record())!;
    // 12 canary requests from two isolates ≥ minRequests 10: judged, advanced.
    expect(r.state).toMatchObject({ step: 1, canaryWeight: 50 });
    const judged = r.state.history.at(-1)!;
    expect(judged).toMatchObject({ verdict: "advance", canary: { requests: 12, failures: 0 }, primary: { requests: 100 } });
    expect(storage.alarm).toBe(2000);
    await runner.report({ sync: sync(), counts: traffic(20, 0) }, 1500);
    await runner.alarm(2000);
    r = (await runner.record())!;
    expect(r.state).toMatchObject({ phase: "promoted", canaryWeight: 100 });
    expect(names()).toEqual(["start", "advance", "promote"]);
  });

  it("aborts after `threshold` failed intervals: canary weight 0, no more alarms", async () => {
    const { runner, names } = setup();
    await runner.sync(sync(), 0);
    await runner.report({ sync: sync(), counts: traffic(20, 5) }, 100);
    await runner.alarm(1000);
    expect((await runner.record())!.state).toMatchObject({ phase: "progressing", canaryWeight: 10, failedChecks: 1 });
    await runner.report({ sync: sync(), counts: traffic(20, 5) }, 1100);
    await runner.alarm(2000);
    expect((await runner.record())!.state).toMatchObject({ phase: "aborted", canaryWeight: 0 });
    expect(names()).toEqual(["start", "hold", "abort"]);
    // Reports after the end are not counted; the alarm judges nothing.
    await runner.report({ sync: sync(), counts: traffic(20, 0) }, 2100);
    await runner.alarm(3000);
    expect(names()).toEqual(["start", "hold", "abort"]);
  });

  it("too little canary traffic decides nothing; no reports at all leave no entry and stop the alarm", async () => {
    const { runner, storage, names } = setup();
    await runner.sync(sync(), 0);
    await runner.report({ sync: sync(), counts: traffic(3, 0, 100) }, 100);
    await runner.alarm(1000);
    expect((await runner.record())!.state).toMatchObject({ step: 0, canaryWeight: 10 });
    expect(names()).toEqual(["start", "insufficient"]);
    for (let i = 0; i < IDLE_INTERVALS; i++) {
      expect(storage.alarm).not.toBeNull();
      const at = storage.alarm!;
      storage.alarm = null;
      await runner.alarm(at);
    }
    expect(storage.alarm).toBeNull();
    expect(names()).toEqual(["start", "insufficient"]);
    // A report re-arms it with a fresh interval.
    await runner.report({ sync: sync(), counts: traffic(20, 0) }, 50_000);
    expect(storage.alarm).toBe(51_000);
    await runner.alarm(51_000);
    expect(names()).toEqual(["start", "insufficient", "advance"]);
  });

  it("a push: same spec carries on, a changed spec or target restarts, an older version cannot", async () => {
    const { runner, names } = setup();
    await runner.sync(sync(), 0);
    await runner.report({ sync: sync(), counts: traffic(20, 0) }, 100);
    await runner.alarm(1000);
    expect((await runner.record())!.state.canaryWeight).toBe(50);
    // Identical re-push (later activation): still at 50 %.
    await runner.sync(sync({ activatedAt: "2026-12-03T11:00:00.000Z" }), 1100);
    expect((await runner.record())!).toMatchObject({ activatedAt: "2026-12-03T11:00:00.000Z", state: { canaryWeight: 50 } });
    // Changed analysis from a newer version: restart at the first step, history kept.
    await runner.sync(sync({ activatedAt: "2026-12-03T12:00:00.000Z" }, { specHash: "bbbb", steps: [5, 20] }), 1200);
    let r = (await runner.record())!;
    expect(r.state).toMatchObject({ phase: "progressing", step: 0, canaryWeight: 5 });
    expect(r.state.history.at(-1)).toMatchObject({ event: "restart", reason: "spec changed (aaaa → bbbb): restart at 5%" });
    expect(r.state.history.map((h) => ("verdict" in h ? h.verdict : h.event))).toEqual(["start", "advance", "restart"]);
    // An isolate still on the older version cannot flip it back.
    await runner.sync(sync({ activatedAt: "2026-12-03T11:00:00.000Z" }), 1300);
    expect((await runner.record())!.spec.specHash).toBe("bbbb");
    // Its counts are for another spec: not summed.
    await runner.report({ sync: sync({ activatedAt: "2026-12-03T11:00:00.000Z" }), counts: traffic(20, 20) }, 1400);
    await runner.report({ sync: sync({ activatedAt: "2026-12-03T12:00:00.000Z" }, { specHash: "bbbb", steps: [5, 20] }), counts: traffic(20, 0) }, 1500);
    await runner.alarm(2200);
    expect((await runner.record())!.state).toMatchObject({ canaryWeight: 20, failedChecks: 0 });
    // Same spec, another rule: restart.
    await runner.sync({ ...sync({ activatedAt: "2026-12-03T13:00:00.000Z" }, { specHash: "bbbb", steps: [5, 20] }), target: { virtualService: "default/shop", rule: "pay" } }, 3000);
    r = (await runner.record())!;
    expect(r.state.history.at(-1)).toMatchObject({ event: "restart", reason: "target changed (default/shop#checkout → default/shop#pay): restart at 5%" });
    expect(names()).toEqual(["start", "advance", "restart", "advance", "restart"]);
  });

  it("operator actions apply in their phase and conflict otherwise", async () => {
    const { runner, storage } = setup();
    await runner.sync(sync(), 0);
    expect(await runner.action("resume", sync(), 10)).toEqual({ conflict: "cannot resume rollout default/checkout: it is progressing" });
    const paused = await runner.action("pause", sync(), 20);
    expect("record" in paused && paused.record.state.phase).toBe("paused");
    expect(storage.alarm).toBeNull();
    // Paused: reports are not counted, no alarm.
    await runner.report({ sync: sync(), counts: traffic(50, 50) }, 30);
    expect(storage.alarm).toBeNull();
    const resumed = await runner.action("resume", sync(), 40);
    expect("record" in resumed && resumed.record.state.phase).toBe("progressing");
    expect(storage.alarm).toBe(1040);
    const aborted = await runner.action("abort", sync(), 50);
    expect("record" in aborted && aborted.record.state).toMatchObject({ phase: "aborted", canaryWeight: 0 });
    expect(await runner.action("abort", sync(), 60)).toEqual({ conflict: "cannot abort rollout default/checkout: it is aborted" });
    const promoted = await runner.action("promote", sync(), 70);
    expect("record" in promoted && promoted.record.state).toMatchObject({ phase: "promoted", canaryWeight: 100 });
  });

  it("an action on a Canary nothing has started yet starts it first", async () => {
    const { runner, names } = setup();
    const out = await runner.action("abort", sync(), 0);
    expect("record" in out && out.record.state.canaryWeight).toBe(0);
    expect(names()).toEqual(["start", "abort"]);
  });
});

describe("rollout object: the wire", () => {
  it("refuses malformed syncs and counts with a reason", async () => {
    expect(asSync(null)).toMatch(/expected/);
    expect(asSync({ ...sync(), rollout: { ...ROLLOUT, steps: [50, 10] } })).toMatch(/ascending/);
    expect(asSync({ ...sync(), target: {} })).toMatch(/target/);
    expect(asSync({ ...sync(), activatedAt: "yesterday" })).toMatch(/ISO/);
    expect(asSync(sync())).toEqual(sync());
    const { runner } = setup();
    const post = (route: string, body: unknown, name = ROLLOUT.name) =>
      handleRollout(runner, name, route, new Request(`https://state/rollout/${route}`, { method: "POST", body: JSON.stringify(body) }), 0);
    expect((await post("report", { sync: sync(), counts: { primary: { requests: 1, failures: 2, latency: [] } } })).status).toBe(400);
    const bad = traffic(3, 0);
    bad.canary.latency[0]! += 1;
    const res = await post("report", { sync: sync(), counts: bad });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "counts.canary.latency: bucket counts must add up to requests" });
    expect((await post("sync", sync(), "default/other")).status).toBe(400);
    expect((await post("action", { action: "explode", sync: sync() })).status).toBe(400);
    const ok = await post("report", { sync: sync(), counts: traffic(3, 0) });
    expect(await ok.json()).toEqual({ name: ROLLOUT.name, specHash: "aaaa", phase: "progressing", canaryWeight: 10, updatedAt: 0 });
    const view = await handleRollout(runner, ROLLOUT.name, "view", new Request("https://state/rollout/view"), 0);
    expect(await view.json()).toMatchObject({ specHash: "aaaa", canaryWeight: 10 });
  });
});

describe("GatewayState: a rollout's events", () => {
  it("writes each event as a JSON log line and, with ROLLOUT_ANALYTICS bound, a data point; a failing dataset is only logged", async () => {
    const { GatewayState } = await import("./object.ts");
    const points: Array<{ indexes?: string[]; blobs?: string[]; doubles?: number[] }> = [];
    const storage = Object.assign(new FakeStorage(), { delete: async () => true });
    const lines: string[] = [];
    const spy = vi.spyOn(console, "log").mockImplementation((l: string) => void lines.push(l));
    try {
      const obj = new GatewayState({ storage }, { ROLLOUT_ANALYTICS: { writeDataPoint: (p) => void points.push(p) } });
      const res = await obj.fetch(new Request(`https://state/rollout/sync?name=${encodeURIComponent(ROLLOUT.name)}`, { method: "POST", body: JSON.stringify(sync()) }));
      expect(res.status).toBe(200);
      expect(storage.alarm).not.toBeNull();
      const abort = await obj.fetch(new Request(`https://state/rollout/action?name=${encodeURIComponent(ROLLOUT.name)}`, { method: "POST", body: JSON.stringify({ action: "abort", sync: sync() }) }));
      expect(abort.status).toBe(200);
      expect(points.map((p) => p.blobs?.[1])).toEqual(["start", "abort"]);
      expect(points[1]).toMatchObject({ indexes: ["default/checkout"], blobs: ["default/checkout", "abort", "aborted", "operator: abort, canary weight 0", "aaaa", "default/shop#checkout"] });
      const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.msg === "rollout event");
      expect(events.map((e) => [e.event, e.canaryWeight])).toEqual([["start", 10], ["abort", 0]]);
      // A dataset that throws costs a warning line, never the action.
      const broken = new GatewayState({ storage: Object.assign(new FakeStorage(), { delete: async () => true }) }, { ROLLOUT_ANALYTICS: { writeDataPoint: () => { throw new Error("quota"); } } });
      const ok = await broken.fetch(new Request(`https://state/rollout/sync?name=${encodeURIComponent(ROLLOUT.name)}`, { method: "POST", body: JSON.stringify(sync()) }));
      expect(ok.status).toBe(200);
      expect(lines.some((l) => l.includes("rollout event: analytics write failed"))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});
