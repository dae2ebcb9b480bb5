/**
 * The retry loop against a scripted origin in virtual time (test/fixtures/forward.ts):
 * attempt counts, what each attempt carried, which endpoint it went to, when it was sent.
 */
import { describe, expect, it } from "vitest";
import type { ForwardDecision, SelectState } from "../decision.ts";
import type { Cluster } from "../table/types.ts";
import { clusterLbState } from "../select/endpoint.ts";
import { outlierDetector } from "../select/outlier.ts";
import { prepareBody, RequestBody } from "./body-buffer.ts";
import { SubrequestBudget } from "./budget.ts";
import { effectiveResilience } from "./retry-policy.ts";
import { runAttempts, type LoopResult } from "./retry-loop.ts";
import { Deadline } from "./timeouts.ts";
import { cluster, decision, plan, req, retries, scriptedFetcher, VirtualClock, type Behaviour } from "../../test/fixtures/forward.ts";

interface RunOpts {
  body?: string;
  onceBody?: boolean;
  budget?: number;
  state?: SelectState;
  rand?: () => number;
  during?: (state: SelectState | undefined) => void;
}

async function run(d: ForwardDecision, script: Behaviour[] | Record<string, Behaviour[]>, o: RunOpts = {}) {
  const clock = new VirtualClock();
  const f = scriptedFetcher(script, clock);
  const p = plan(d, o.body !== undefined ? { body: o.body } : {});
  const body = o.onceBody
    ? RequestBody.once(p.body!, "content-length over limit")
    : await prepareBody(p.body, { limitBytes: 1 << 20, replay: true });
  const policy = effectiveResilience(d);
  const deadline = new Deadline(policy.routeTimeoutMs, clock);
  const budget = new SubrequestBudget(o.budget ?? 50);
  const result: LoopResult = await clock.run(
    runAttempts(
      d,
      p,
      body,
      req("http://a.com/p"),
      policy,
      deadline,
      { fetcher: f.fetcher, now: clock.now, rand: o.rand ?? (() => 0.5), clock, ...(o.state ? { state: o.state } : {}) },
      budget,
    ),
  );
  const status = result.final.kind === "response" ? result.final.response.status : result.final.kind;
  return { result, status, calls: f.calls, cancelled: f.cancelled, clock, budget };
}

const hosts = (calls: Array<{ url: string }>) => calls.map((c) => new URL(c.url).host);

describe("the fetcher call", () => {
  it("calls the fetcher as a plain function, never as a method of the I/O object (workerd's fetch throws Illegal invocation)", async () => {
    const d = decision(cluster(1));
    const p = plan(d, {});
    const seenThis: unknown[] = [];
    const fetcher = function (this: unknown, _url: string, _init: RequestInit): Promise<Response> {
      seenThis.push(this);
      if (this !== undefined) return Promise.reject(new TypeError("Illegal invocation"));
      return Promise.resolve(new Response("ok"));
    };
    const policy = effectiveResilience(d);
    const clock = new VirtualClock();
    const result = await runAttempts(d, p, RequestBody.empty(), req("http://a.com/p"), policy, new Deadline(policy.routeTimeoutMs, clock), { fetcher, now: clock.now, rand: () => 0.5, clock }, new SubrequestBudget(50));
    expect(seenThis).toEqual([undefined]);
    expect(result.final.kind).toBe("response");
  });
});

describe("Istio's default retry policy (§2.16 vectors 27, 28)", () => {
  it("#27 passes a 503 through after one attempt", async () => {
    const r = await run(decision(cluster(1)), [503]);
    expect(r.status).toBe(503);
    expect(r.result.attempts).toBe(1);
    expect(r.calls.map((c) => c.attemptCount)).toEqual(["1"]);
  });

  it("#28 retries a refused connection and the origin sees x-envoy-attempt-count 2", async () => {
    const c = cluster(1);
    const r = await run(decision(c), ["refused", 200]);
    expect(r.status).toBe(200);
    expect(r.calls.map((x) => x.attemptCount)).toEqual(["1", "2"]);
  });

  it("gives up after 2 retries (3 attempts) of refused connections", async () => {
    const r = await run(decision(cluster(1)), ["refused"]);
    expect(r.result.final).toMatchObject({ kind: "reset", reason: "remote connection failure" });
    expect(r.result.attempts).toBe(3);
  });

  it("does not retry a connection lost before headers", async () => {
    const r = await run(decision(cluster(1)), ["terminated", 200]);
    expect(r.result.final).toMatchObject({ kind: "reset", reason: "connection termination" });
    expect(r.result.attempts).toBe(1);
  });

  it("moves to another endpoint on retry (previous hosts excluded)", async () => {
    const c = cluster(3);
    const r = await run(decision(c), { "10.0.0.1:8080": ["refused"], "10.0.0.2:8080": ["refused"], "10.0.0.3:8080": [200] }, { rand: () => 0 });
    expect(r.status).toBe(200);
    expect(hosts(r.calls)).toEqual(["10.0.0.1:8080", "10.0.0.2:8080", "10.0.0.3:8080"]);
  });

  it("attempts: 0 makes exactly one attempt", async () => {
    const r = await run(decision(cluster(1), { retries: retries({ attempts: 0, retryOn: [] }) }), ["refused", 200]);
    expect(r.result.attempts).toBe(1);
  });
});

describe("retryOn 5xx (§2.16 vector 29)", () => {
  const d = () => decision(cluster(1), { retries: retries({ attempts: 3, retryOn: ["5xx"] }) });

  it("#29 answers 200 after 500, 500 with jittered pauses inside 0–24 ms and 0–74 ms", async () => {
    const r = await run(d(), [500, 500, 200], { rand: () => 0.99 });
    expect(r.status).toBe(200);
    expect(r.calls.map((c) => c.attemptCount)).toEqual(["1", "2", "3"]);
    // Back-offs with rand 0.99: floor(0.99 × 25) = 24, floor(0.99 × 75) = 74 (virtual ms).
    expect(r.calls.map((c) => c.at)).toEqual([0, 24, 98]);
  });

  it("cancels the body of every response it retries past", async () => {
    const r = await run(d(), [500, 502, 200]);
    expect(r.cancelled).toEqual(["10.0.0.1:8080 #1", "10.0.0.1:8080 #2"]);
    expect(r.result.final.kind === "response" && (await r.result.final.response.text())).toBe("from 10.0.0.1:8080 #3");
  });

  it("returns the last 5xx when retries are exhausted", async () => {
    const r = await run(d(), [500, 501, 502, 503]);
    expect(r.status).toBe(503);
    expect(r.result.attempts).toBe(4);
    expect(r.result.trail).toEqual(["10.0.0.1:8080 500", "10.0.0.1:8080 501", "10.0.0.1:8080 502", "10.0.0.1:8080 503"]);
  });

  it("never retries a response marked x-envoy-overloaded", async () => {
    const r = await run(d(), [{ status: 503, headers: { "x-envoy-overloaded": "true" } }, 200]);
    expect([r.status, r.result.attempts]).toEqual([503, 1]);
  });

  it("sends exactly the same request body on every attempt", async () => {
    const r = await run(d(), [500, 500, 200], { body: "payload-123" });
    expect(r.calls.map((c) => c.body)).toEqual(["payload-123", "payload-123", "payload-123"]);
  });

  it("does not retry a body that streams once, and says why", async () => {
    const r = await run(d(), [500, 200], { body: "big", onceBody: true });
    expect(r.status).toBe(500);
    expect(r.result.attempts).toBe(1);
    expect(r.result.retryAbandoned).toBe("request body streamed once");
  });

  it("stops retrying at the subrequest budget", async () => {
    const r = await run(d(), [500], { budget: 2 });
    expect(r.result.attempts).toBe(2);
    expect(r.result.retryAbandoned).toBe("subrequest budget exhausted");
    expect(r.budget.used).toBe(2);
  });

  it("applies no retry when a fault is configured on the route (Istio note)", async () => {
    const r = await run(decision(cluster(1), { retries: retries({ attempts: 3, retryOn: ["5xx"] }), faultConfigured: true }), [500, 200]);
    expect([r.status, r.result.attempts]).toEqual([500, 1]);
  });
});

describe("timeouts (§2.16 vectors 26, 30, 31)", () => {
  it("#26 route timeout 1 s on a hanging origin ⇒ timeout at 1 s, one attempt", async () => {
    const r = await run(decision(cluster(1), { timeoutMs: 1000 }), ["hang"]);
    expect(r.status).toBe("timeout");
    expect(r.result.attempts).toBe(1);
    expect(r.clock.t).toBe(1000);
  });

  it("#30 perTryTimeout 1 s with the default retryOn ⇒ timeout after one attempt, no retry", async () => {
    const r = await run(decision(cluster(1), { retries: retries({ perTryTimeoutMs: 1000 }) }), ["hang"]);
    expect(r.status).toBe("timeout");
    expect(r.result.attempts).toBe(1);
    expect(r.clock.t).toBe(1000);
    expect(r.result.trail).toEqual(["10.0.0.1:8080 per-try timeout"]);
  });

  it("#31 retryOn reset, timeout 10 s ⇒ 3 attempts of 1 s each, then timeout", async () => {
    const d = decision(cluster(1), { timeoutMs: 10_000, retries: retries({ attempts: 2, perTryTimeoutMs: 1000, retryOn: ["reset"] }) });
    const r = await run(d, ["hang"], { rand: () => 0 });
    expect(r.status).toBe("timeout");
    expect(r.result.attempts).toBe(3);
    expect(r.calls.map((c) => c.at)).toEqual([0, 1000, 2000]);
    expect(r.clock.t).toBe(3000);
  });

  it("the route timeout bounds all attempts and back-offs together", async () => {
    const d = decision(cluster(1), { timeoutMs: 1000, retries: retries({ attempts: 10, perTryTimeoutMs: 400, retryOn: ["5xx"] }) });
    const r = await run(d, ["hang"], { rand: () => 0 });
    expect(r.status).toBe("timeout");
    expect(r.result.attempts).toBe(3); // at 0, 400, 800; the route timer fires at 1000
    expect(r.clock.t).toBe(1000);
  });

  it("ends a hung attempt even when the fetch ignores its AbortSignal", async () => {
    const r = await run(decision(cluster(1), { timeoutMs: 500 }), ["deaf-hang"]);
    expect([r.status, r.clock.t]).toEqual(["timeout", 500]);
  });

  it("ignores a per-try timeout not shorter than the route timeout (Envoy finalTimeout)", async () => {
    const d = decision(cluster(1), { timeoutMs: 1000, retries: retries({ perTryTimeoutMs: 5000, retryOn: ["reset"] }) });
    const r = await run(d, ["hang"]);
    expect([r.status, r.result.attempts, r.clock.t]).toEqual(["timeout", 1, 1000]);
  });

  it("applies no timeout when a fault is configured on the route", async () => {
    const d = decision(cluster(1), { timeoutMs: 100, faultConfigured: true });
    const r = await run(d, [{ status: 200 }]);
    expect(r.status).toBe(200);
    expect(r.clock.requested).not.toContain(100);
  });
});

describe("endpoint state: outlier detection, LEAST_REQUEST in-flight, consistent hashing", () => {
  const withOutlier = (n: number, over: Partial<NonNullable<Cluster["trafficPolicy"]>> = {}): Cluster =>
    cluster(n, {
      trafficPolicy: {
        outlierDetection: { consecutive5xxErrors: 1, intervalMs: 10_000, baseEjectionTimeMs: 30_000, maxEjectionPercent: 100, minHealthPercent: 0 },
        ...over,
      },
    });

  it("feeds each attempt to the outlier detector and never retries into an ejected endpoint", async () => {
    const c = withOutlier(2);
    const state: SelectState = {};
    const d = decision(c, { retries: retries({ attempts: 3, retryOn: ["5xx"], retryIgnorePreviousHosts: false }) });
    const r = await run(d, { "10.0.0.1:8080": [500], "10.0.0.2:8080": [200] }, { state, rand: () => 0 });
    expect(r.status).toBe(200);
    expect(hosts(r.calls)).toEqual(["10.0.0.1:8080", "10.0.0.2:8080"]);
    expect(outlierDetector(state).isEjected(c, "http://10.0.0.1:8080", 0)).toBe(true);
  });

  it("ends with no healthy upstream when the retry finds every endpoint ejected", async () => {
    const c = withOutlier(1);
    const r = await run(decision(c, { retries: retries({ attempts: 3, retryOn: ["5xx"] }) }), [500], { state: {} });
    expect(r.status).toBe("noHealthyUpstream");
    expect(r.result.attempts).toBe(1);
  });

  it("counts resets as 503 and timeouts as 504 for outlier detection", async () => {
    const c = withOutlier(2);
    c.trafficPolicy!.outlierDetection = { ...c.trafficPolicy!.outlierDetection!, consecutive5xxErrors: 0, consecutiveGatewayErrors: 2 };
    const state: SelectState = {};
    const d = decision(c, { timeoutMs: 100, retries: retries({ attempts: 0, retryOn: [] }) });
    await run(d, ["refused"], { state });
    expect(outlierDetector(state).isEjected(c, "http://10.0.0.1:8080", 0)).toBe(false);
    await run(d, ["hang"], { state });
    expect(outlierDetector(state).isEjected(c, "http://10.0.0.1:8080", 0)).toBe(true);
  });

  it("counts an attempt as in flight until its response headers arrive", async () => {
    const c = cluster(2);
    const state: SelectState = {};
    const d = decision(c, { timeoutMs: 50 });
    const clock = new VirtualClock();
    const f = scriptedFetcher(["hang"], clock);
    const p = plan(d);
    const pending = runAttempts(
      d,
      p,
      RequestBody.empty(),
      req("http://a.com/p"),
      effectiveResilience(d),
      new Deadline(50, clock),
      { fetcher: f.fetcher, now: clock.now, rand: () => 0, clock, state },
      new SubrequestBudget(5),
    );
    await new Promise((r) => setImmediate(r));
    const lb = clusterLbState(state, "api||");
    expect(lb.inFlight.get("http://10.0.0.1:8080")).toBe(1);
    await clock.run(pending);
    expect(lb.inFlight.get("http://10.0.0.1:8080")).toBeUndefined();
  });

  it("retries go back to the same endpoint under consistent hashing", async () => {
    const c = cluster(3, { trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: "x-user" } } } });
    const d = decision(c, { retries: retries({ attempts: 2, retryOn: ["5xx"] }) });
    const r = await run(d, [500, 500, 200], { state: {} });
    expect(hosts(r.calls)).toEqual(["10.0.0.1:8080", "10.0.0.1:8080", "10.0.0.1:8080"]);
  });

  it("retryIgnorePreviousHosts: false may return to the same endpoint", async () => {
    const c = cluster(1);
    const d = decision(c, { retries: retries({ attempts: 1, retryOn: ["5xx"], retryIgnorePreviousHosts: false }) });
    const r = await run(d, [500, 200]);
    expect(hosts(r.calls)).toEqual(["10.0.0.1:8080", "10.0.0.1:8080"]);
  });
});

describe("signals only where a timeout can fire", () => {
  /** Records the signal each attempt carried; answers `statuses` in order. */
  async function signalsSent(d: ForwardDecision, statuses: number[]): Promise<Array<AbortSignal | undefined>> {
    const clock = new VirtualClock();
    const seen: Array<AbortSignal | undefined> = [];
    let i = 0;
    const fetcher = async (_url: string, init: RequestInit) => {
      seen.push(init.signal ?? undefined);
      return new Response(null, { status: statuses[i++] ?? 200 });
    };
    const policy = effectiveResilience(d);
    await clock.run(
      runAttempts(
        d,
        plan(d),
        RequestBody.empty(),
        req("http://a.com/p"),
        policy,
        new Deadline(policy.routeTimeoutMs, clock),
        { fetcher, now: clock.now, rand: () => 0, clock },
        new SubrequestBudget(10),
      ),
    );
    return seen;
  }

  it.each([
    ["neither timeout nor perTryTimeout: no signal on any attempt", {}, false],
    ["a route timeout: every attempt carries a signal", { timeoutMs: 1000 }, true],
    ["a perTryTimeout: every attempt carries a signal", { retries: retries({ attempts: 2, retryOn: ["5xx"], perTryTimeoutMs: 500 }) }, true],
  ] as const)("%s", async (_name, over, signalled) => {
    const d = decision(cluster(2), { retries: retries({ attempts: 2, retryOn: ["5xx"] }), ...over });
    const seen = await signalsSent(d, [503, 200]);
    expect(seen).toHaveLength(2);
    for (const s of seen) expect(s !== undefined).toBe(signalled);
  });

  it("a Deadline without a timeout allocates nothing until its signal is asked for, and never expires", () => {
    const clock = new VirtualClock();
    const d = new Deadline(undefined, clock);
    expect(d.armed).toBe(false);
    expect(clock.pending).toBe(0);
    expect(d.signal.aborted).toBe(false);
    expect(d.expired).toBe(false);
  });
});
