/**
 * Canary rollouts inside workerd: the real Worker with wrangler.toml's STATE binding (real
 * GatewayState objects, their storage and alarms) and the admin API of src/rollout/status.ts.
 *  - GET /__gateway/rollouts lists the active table's Canaries (initial state before the object
 *    has any), GET …/NAME finds one by namespace/name (slash or %2F) or bare name, 404 otherwise;
 *  - counts reported to the object are judged by its alarm; the admin status shows the step;
 *  - actions: 200 with the new status, 409 where the phase does not allow it, 404 for an unknown
 *    action or Canary, 503 without the STATE binding; all behind the Bearer token.
 * Tests share one isolate and run in order.
 */
import { describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/worker.ts";
import type { Env } from "../../src/env.ts";
import type { RouteRollout } from "../../src/table/types.ts";
import type { RolloutList, RolloutStatus } from "../../src/rollout/status.ts";
import { count, emptyCounts } from "../../src/rollout/counters.ts";
import { rolloutObject } from "../../src/state/names.ts";
import { canaryTable, pushTable } from "../fixtures/pushed.ts";

const AUTH = { authorization: "Bearer test-admin-token" };

const ANALYSIS = (steps: number[]) => `{ interval: 1m, threshold: 1, stepWeights: ${JSON.stringify(steps)}, minRequests: 5, successRate: { min: 90 } }`;
/** Canary default/checkout as compiled by the first test. */
let ROLLOUT: RouteRollout;

async function admin<T>(path: string, init: RequestInit = {}): Promise<{ status: number; body: T }> {
  const res = await exports.default.fetch(`http://a.example${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string>) } });
  return { status: res.status, body: (await res.json()) as T };
}

const stub = () => env.STATE.get(env.STATE.idFromName(rolloutObject("default/checkout")));

describe("rollouts admin API and object", () => {
  it("lists the active table's Canary in its initial state with the pushed weights", async () => {
    const { table: t, rollout } = await canaryTable("rw1", ANALYSIS([10, 40]));
    ROLLOUT = rollout;
    expect(ROLLOUT).toEqual({ name: "default/checkout", primary: 0, canary: 1, specHash: expect.stringMatching(/^[0-9a-f]{16}$/), steps: [10, 40], intervalMs: 60_000, threshold: 1, minRequests: 5, successRate: { min: 90 }, failures: { statuses: ["5xx"], gatewayErrors: true, timeouts: true } });
    await pushTable(env.ROUTES, t);
    const r = await admin<RolloutList>("/__gateway/rollouts");
    expect(r.status).toBe(200);
    expect(r.body.rollouts).toHaveLength(1);
    expect(r.body.rollouts[0]).toMatchObject({
      name: "default/checkout",
      virtualService: "default/shop",
      rule: "checkout",
      primary: "v1.svc",
      canary: "v2.svc",
      specHash: ROLLOUT.specHash,
      source: "initial",
      weights: { primary: 100, canary: 0 },
      state: { phase: "progressing", step: 0, canaryWeight: 10 },
      spec: { steps: [10, 40], intervalMs: 60_000, threshold: 1, minRequests: 5 },
    });
  });

  it("finds one rollout by namespace/name, %2F or bare name; 404 otherwise; 401 without the token", async () => {
    for (const p of ["default/checkout", "default%2Fcheckout", "checkout"]) {
      const r = await admin<RolloutStatus>(`/__gateway/rollouts/${p}`);
      expect(r.status, p).toBe(200);
      expect(r.body.name).toBe("default/checkout");
    }
    const missing = await admin<{ error: string }>("/__gateway/rollouts/default/nope");
    expect(missing).toEqual({ status: 404, body: { error: "no Canary named default/nope in the active route table" } });
    const anon = await exports.default.fetch("http://a.example/__gateway/rollouts");
    expect(anon.status).toBe(401);
    await anon.arrayBuffer();
    const anonPost = await exports.default.fetch("http://a.example/__gateway/rollouts/default/checkout/abort", { method: "POST" });
    expect(anonPost.status).toBe(401);
    await anonPost.arrayBuffer();
  });

  it("pause starts the rollout then pauses it; resume; a second resume is 409; unknown action 404", async () => {
    const paused = await admin<RolloutStatus>("/__gateway/rollouts/default/checkout/pause", { method: "POST" });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ source: "object", state: { phase: "paused", canaryWeight: 10 }, weights: { primary: 90, canary: 10 } });
    expect(paused.body.state.history.map((h) => ("event" in h ? h.event : h.verdict))).toEqual(["start", "pause"]);
    const resumed = await admin<RolloutStatus>("/__gateway/rollouts/default%2Fcheckout/resume", { method: "POST" });
    expect(resumed.status).toBe(200);
    expect(resumed.body.state.phase).toBe("progressing");
    const again = await admin<{ error: string }>("/__gateway/rollouts/checkout/resume", { method: "POST" });
    expect(again).toEqual({ status: 409, body: { error: "cannot resume rollout default/checkout: it is progressing" } });
    const bad = await admin<{ error: string }>("/__gateway/rollouts/checkout/explode", { method: "POST" });
    expect(bad.status).toBe(404);
    expect(bad.body.error).toMatch(/ACTION one of promote, pause, resume, abort/);
  });

  it("the alarm judges the counts isolates reported: a healthy interval advances a step", async () => {
    const counts = emptyCounts();
    for (let i = 0; i < 8; i++) count(counts, "canary", false, 30);
    for (let i = 0; i < 40; i++) count(counts, "primary", false, 25);
    const sync = { rollout: ROLLOUT, target: { virtualService: "default/shop", rule: "checkout" }, activatedAt: new Date(0).toISOString() };
    for (const half of [0, 1]) {
      void half;
      const res = await stub().fetch(`https://state/rollout/report?name=${encodeURIComponent(ROLLOUT.name)}`, { method: "POST", body: JSON.stringify({ sync, counts }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ specHash: ROLLOUT.specHash, canaryWeight: 10, phase: "progressing" });
    }
    expect(await runDurableObjectAlarm(stub())).toBe(true);
    const r = await admin<RolloutStatus>("/__gateway/rollouts/default/checkout");
    expect(r.body).toMatchObject({ source: "object", state: { step: 1, canaryWeight: 40 }, weights: { primary: 60, canary: 40 } });
    const last = r.body.state.history.at(-1)!;
    expect(last).toMatchObject({ verdict: "advance", canary: { requests: 16, failures: 0, successRate: 100 }, primary: { requests: 80 } });
    // The next alarm is armed one interval later.
    expect(await runDurableObjectAlarm(stub())).toBe(true);
  });

  it("abort sets the canary weight to 0; abort again is 409", async () => {
    const a = await admin<RolloutStatus>("/__gateway/rollouts/default/checkout/abort", { method: "POST" });
    expect(a.status).toBe(200);
    expect(a.body).toMatchObject({ state: { phase: "aborted", canaryWeight: 0 }, weights: { primary: 100, canary: 0 } });
    expect((await admin("/__gateway/rollouts/default/checkout/abort", { method: "POST" })).status).toBe(409);
    const list = await admin<RolloutList>("/__gateway/rollouts");
    expect(list.body.rollouts[0]!.state.phase).toBe("aborted");
  });

  it("a push with a changed spec restarts the rollout from the first step", async () => {
    const { table: t, rollout: changed } = await canaryTable("rw2", ANALYSIS([20, 60]));
    expect(changed.specHash).not.toBe(ROLLOUT.specHash);
    await pushTable(env.ROUTES, t);
    // The isolate loads the new version in the background (CONFIG_REFRESH_SECONDS 0): poll.
    for (let i = 0; i < 40; i++) {
      const l = await admin<RolloutList>("/__gateway/rollouts");
      if (l.body.rollouts[0]?.specHash === changed.specHash) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    const paused = await admin<RolloutStatus>("/__gateway/rollouts/default/checkout/pause", { method: "POST" });
    expect(paused.status).toBe(200);
    expect(paused.body.specHash).toBe(changed.specHash);
    const events = paused.body.state.history.map((h) => ("event" in h ? h.event : h.verdict));
    expect(events.slice(-2)).toEqual(["restart", "pause"]);
    expect(paused.body.state).toMatchObject({ phase: "paused", step: 0, canaryWeight: 20 });
  });

  it("without the STATE binding: statuses are initial with pushed weights, actions 503", async () => {
    const noState = { ...env, STATE: undefined } as unknown as Env;
    const call = async (path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`http://a.example${path}`, { ...init, headers: AUTH }), noState, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const list = await call("/__gateway/rollouts");
    expect(list.status).toBe(200);
    expect((list.body as unknown as RolloutList).rollouts[0]).toMatchObject({ source: "initial", weights: { primary: 100, canary: 0 } });
    const act = await call("/__gateway/rollouts/default/checkout/abort", { method: "POST" });
    expect(act.status).toBe(503);
    expect(act.body.error).toMatch(/STATE Durable Object binding is not configured/);
  });
});
