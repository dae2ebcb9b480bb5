/**
 * The isolate's side of rollouts with a fake state plane: weights only for the spec the table
 * has; the last known weight kept when the object fails; the cold wait bounded; counters per
 * variant flushed as one report per rollout, throttled, with nothing stranded after the last
 * request; a Canary-less table costs nothing.
 */
import { describe, expect, it } from "vitest";
import type { Decision } from "../decision.ts";
import type { RouteTable } from "../table/types.ts";
import { RolloutClient, type RolloutPlane } from "./rollout-client.ts";
import type { RolloutView } from "./rollout-object.ts";
import { isFailure } from "../rollout/counters.ts";
import { eventDataPoint, eventLogLine } from "../rollout/events.ts";
import { judge, startRollout } from "../rollout/judge.ts";
import { emptyHistogram } from "../rollout/histogram.ts";
import { canaryTable, splitTable } from "../../test/fixtures/pushed.ts";

const ANALYSIS = (threshold: number) => `{ interval: 1s, threshold: ${threshold}, stepWeights: [10, 50], minRequests: 1, successRate: { min: 90 } }`;
/** Rule `checkout` of web/shop split 100/0 (test/fixtures/pushed.ts), compiled without and with Canary web/checkout. */
const PLAIN = await splitTable("plain", "web");
const { table: WITH_CANARY, rollout: ROLLOUT } = await canaryTable("canary", ANALYSIS(1), "web");
/** The same Canary with another threshold: another spec (specHash) for the same rule. */
const { table: CHANGED, rollout: CHANGED_ROLLOUT } = await canaryTable("changed", ANALYSIS(2), "web");

class FakePlane implements RolloutPlane {
  t = 0;
  now = () => this.t;
  logs: Array<Record<string, unknown>> = [];
  log = (e: Record<string, unknown>) => void this.logs.push(e);
  settings = { refreshMs: 1000 };
  view: RolloutView = { name: "web/checkout", specHash: ROLLOUT.specHash, phase: "progressing", canaryWeight: 10, updatedAt: 0 };
  down: "no" | "error" | "hang" = "no";
  calls: Array<{ path: string; body?: unknown }> = [];
  copies = new Map<string, unknown>();
  async #answer<T>(path: string, init?: RequestInit): Promise<T> {
    this.calls.push({ path, ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}) });
    if (this.down === "error") throw new Error("object down");
    if (this.down === "hang") return new Promise<T>(() => {});
    return structuredClone(this.view) as T;
  }
  call<T>(_name: string, path: string, init?: RequestInit) {
    return this.#answer<T>(path, init);
  }
  cachedRead<T>(_name: string, path: string) {
    return this.#answer<T>(path);
  }
  async storeCopy(name: string, path: string, value: unknown) {
    this.copies.set(name + path, value);
  }
}

/** A decision forwarding to the split's primary (v1.svc) or canary (v2.svc) destination, as decide would give it. */
function forwardTo(t: RouteTable, variant: "primary" | "canary"): Decision {
  const route = t.vhosts[0]!.routes[0]!;
  if (route.action.kind !== "route") throw new Error("not a route");
  const destination = route.action.destinations[variant === "primary" ? 0 : 1]!;
  return { kind: "forward", match: { vhost: "*", route }, target: { destination } } as unknown as Decision;
}

const tasks: Array<Promise<unknown>> = [];
const waitUntil = (p: Promise<unknown>) => void tasks.push(p);
const drain = async () => {
  while (tasks.length) await tasks.shift();
};

describe("rollout client", () => {
  it("a table without Canaries: no weights, no waiting, no calls", () => {
    const plane = new FakePlane();
    const c = new RolloutClient(plane);
    const t = PLAIN;
    expect(c.ready({ table: t }, 1000)).toBeNull();
    expect(c.weightsFor(t)).toBeUndefined();
    c.tick({ table: t }, waitUntil);
    expect(tasks).toEqual([]);
    expect(plane.calls).toEqual([]);
  });

  it("waits once for a new table's views, then uses the object's weight for that spec only", async () => {
    expect(ROLLOUT).toEqual({ name: "web/checkout", primary: 0, canary: 1, specHash: expect.stringMatching(/^[0-9a-f]{16}$/), steps: [10, 50], intervalMs: 1000, threshold: 1, minRequests: 1, successRate: { min: 90 }, failures: { statuses: ["5xx"], gatewayErrors: true, timeouts: true } });
    const plane = new FakePlane();
    const c = new RolloutClient(plane);
    const t = WITH_CANARY;
    const wait = c.ready({ table: t }, 1000);
    expect(wait).not.toBeNull();
    await wait;
    expect(c.ready({ table: t }, 1000)).toBeNull();
    expect(c.weightsFor(t)).toEqual(new Map([["web/checkout", 10]]));
    // Another spec in the table (a push the object has not seen): pushed weights, and a sync.
    const t2 = CHANGED;
    const changed = CHANGED_ROLLOUT.specHash;
    expect(changed).not.toBe(ROLLOUT.specHash);
    await c.ready({ table: t2, activatedAt: "2026-12-03T10:00:00.000Z" }, 1000);
    expect(c.weightsFor(t2)).toEqual(new Map());
    const sync = plane.calls.find((x) => x.path.startsWith("/rollout/sync"));
    expect(sync?.body).toMatchObject({ rollout: { specHash: changed }, target: { virtualService: "web/shop", rule: "checkout" }, activatedAt: "2026-12-03T10:00:00.000Z" });
  });

  it("keeps the last known weight while the object fails, and never waits longer than the bound", async () => {
    const plane = new FakePlane();
    const c = new RolloutClient(plane);
    const t = WITH_CANARY;
    await c.ready({ table: t }, 1000);
    plane.view = { ...plane.view, canaryWeight: 50 };
    plane.t = 2000;
    c.tick({ table: t }, waitUntil);
    await drain();
    expect(c.weightsFor(t)!.get("web/checkout")).toBe(50);
    plane.down = "error";
    plane.t = 4000;
    c.tick({ table: t }, waitUntil);
    await drain();
    expect(c.weightsFor(t)!.get("web/checkout")).toBe(50);
    expect(plane.logs[0]).toMatchObject({ level: "warn", msg: "state plane: rollout object unreachable; keeping the last weights", detail: "object down" });
    // A hanging object: a new table's cold wait ends at the bound.
    plane.down = "hang";
    const c2 = new RolloutClient(plane);
    const t0 = performance.now();
    await c2.ready({ table: t }, 50);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(c2.weightsFor(t)).toEqual(new Map());
  });

  it("counts per variant and flushes one report per rollout, at most every flush period, nothing stranded", async () => {
    const plane = new FakePlane();
    const c = new RolloutClient(plane);
    const t = WITH_CANARY;
    await c.ready({ table: t }, 1000);
    plane.calls = [];
    plane.t = 100;
    c.record({ table: t }, forwardTo(t, "canary"), { kind: "response", status: 503 }, 40);
    c.record({ table: t }, forwardTo(t, "canary"), { kind: "timeout" }, 900);
    c.record({ table: t }, forwardTo(t, "primary"), { kind: "response", status: 200 }, 5);
    c.tick({ table: t }, waitUntil);
    await drain();
    const reports = plane.calls.filter((x) => x.path.startsWith("/rollout/report"));
    expect(reports).toHaveLength(1);
    const body = reports[0]!.body as { counts: { primary: { requests: number; failures: number }; canary: { requests: number; failures: number; latency: number[] } } };
    expect(body.counts.primary).toMatchObject({ requests: 1, failures: 0 });
    expect(body.counts.canary).toMatchObject({ requests: 2, failures: 2 });
    expect(body.counts.canary.latency.reduce((a, b) => a + b, 0)).toBe(2);
    // Within the flush period (¼ of the 1 s interval = 250 ms) the next counts wait for it, and
    // go out when it ends although no further request comes.
    plane.t = 200;
    c.record({ table: t }, forwardTo(t, "primary"), { kind: "response", status: 200 }, 5);
    c.tick({ table: t }, waitUntil);
    expect(plane.calls.filter((x) => x.path.startsWith("/rollout/report"))).toHaveLength(1);
    plane.t = 400;
    await drain();
    expect(plane.calls.filter((x) => x.path.startsWith("/rollout/report"))).toHaveLength(2);
    // The report's answer is adopted and copied to the location's cache.
    expect(plane.copies.get("rollout/web/checkout/rollout/view?name=web%2Fcheckout")).toMatchObject({ canaryWeight: 10 });
  });

  it("ignores requests of routes no Canary drives and destinations outside the split", () => {
    const plane = new FakePlane();
    const c = new RolloutClient(plane);
    const plain = PLAIN;
    c.record({ table: plain }, forwardTo(plain, "canary"), { kind: "response", status: 500 }, 5);
    c.tick({ table: plain }, waitUntil);
    expect(plane.calls).toEqual([]);
  });
});

describe("failure definition and events", () => {
  it("applies the Canary's failures: status classes and codes, gateway errors, timeouts", () => {
    const f = { statuses: ["5xx" as const, 429], gatewayErrors: false, timeouts: true };
    expect(isFailure(f, { kind: "response", status: 503 })).toBe(true);
    expect(isFailure(f, { kind: "response", status: 429 })).toBe(true);
    expect(isFailure(f, { kind: "response", status: 404 })).toBe(false);
    expect(isFailure(f, { kind: "gatewayError" })).toBe(false);
    expect(isFailure(f, { kind: "timeout" })).toBe(true);
    expect(isFailure({ statuses: ["4xx"], gatewayErrors: true, timeouts: false }, { kind: "response", status: 404 })).toBe(true);
  });

  it("turns a verdict into a log line and an Analytics Engine point", () => {
    const spec = { name: "web/checkout", steps: [10, 50], intervalMs: 1000, threshold: 1, minRequests: 1, successRate: { min: 90 } };
    const lat = emptyHistogram();
    lat[10] = 4;
    const s = judge(spec, startRollout(spec, 0), { primary: { requests: 0, failures: 0, latency: emptyHistogram() }, canary: { requests: 4, failures: 4, latency: lat } }, 1000);
    const ctx = { specHash: "h1", virtualService: "web/shop", rule: "checkout" };
    expect(eventLogLine(s, ctx)).toMatchObject({ level: "warn", msg: "rollout event", rollout: "web/checkout", event: "abort", phase: "aborted", canaryWeight: 0, specHash: "h1", canary: { requests: 4, failures: 4 } });
    const p = eventDataPoint(s, ctx);
    expect(p.indexes).toEqual(["web/checkout"]);
    expect(p.blobs.slice(0, 3)).toEqual(["web/checkout", "abort", "aborted"]);
    expect(p.blobs[5]).toBe("web/shop#checkout");
    expect(p.doubles.slice(0, 7)).toEqual([0, 0, 0, 0, -1, 4, 4]);
    expect(p.doubles[7]).toBeGreaterThan(0);
  });
});
