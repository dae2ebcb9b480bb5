import { describe, expect, it } from "vitest";
import { ABORTED, AttemptSignal, boundBody, Deadline, raceAbort, sleep } from "./timeouts.ts";
import { VirtualClock } from "../../test/fixtures/forward.ts";

const never = new Promise<string>(() => undefined);

describe("Deadline (route timeout)", () => {
  it("aborts its signal when the route timeout fires", async () => {
    const clock = new VirtualClock();
    const d = new Deadline(1000, clock);
    const r = await clock.run(raceAbort(never, d.signal));
    expect([r, d.expired, clock.t]).toEqual([ABORTED, true, 1000]);
  });
  it("arms nothing without a timeout (Istio default: none)", () => {
    const clock = new VirtualClock();
    const d = new Deadline(undefined, clock);
    expect([clock.pending, d.signal.aborted]).toEqual([0, false]);
  });
  it("never fires once cleared", () => {
    const clock = new VirtualClock();
    const d = new Deadline(1000, clock);
    d.clear();
    expect(clock.pending).toBe(0);
    expect(d.expired).toBe(false);
  });
});

describe("AttemptSignal (per-try timeout)", () => {
  it("aborts on its per-try timeout and says so", async () => {
    const clock = new VirtualClock();
    const route = new Deadline(10_000, clock);
    const a = new AttemptSignal(500, route.signal, clock);
    await clock.run(raceAbort(never, a.signal));
    expect([a.perTryTimedOut, route.expired, clock.t]).toEqual([true, false, 500]);
  });
  it("aborts with the route timeout when that comes first (not a per-try timeout)", async () => {
    const clock = new VirtualClock();
    const route = new Deadline(300, clock);
    const a = new AttemptSignal(500, route.signal, clock);
    await clock.run(raceAbort(never, a.signal));
    expect([a.perTryTimedOut, route.expired, clock.t]).toEqual([false, true, 300]);
  });
  it("after disarming (headers arrived) only the route timeout can abort it", async () => {
    const clock = new VirtualClock();
    const route = new Deadline(2000, clock);
    const a = new AttemptSignal(500, route.signal, clock);
    a.disarmPerTry();
    await clock.run(raceAbort(never, a.signal));
    expect([a.perTryTimedOut, clock.t]).toEqual([false, 2000]);
  });
  it("is aborted at once when the route already timed out", () => {
    const route = new AbortController();
    route.abort();
    expect(new AttemptSignal(500, route.signal, new VirtualClock()).signal.aborted).toBe(true);
  });
  it("released, it no longer follows the route signal", () => {
    const route = new AbortController();
    const a = new AttemptSignal(undefined, route.signal, new VirtualClock());
    a.release();
    route.abort();
    expect(a.signal.aborted).toBe(false);
  });
});

describe("sleep (back-off)", () => {
  it("waits the given time", async () => {
    const clock = new VirtualClock();
    await clock.run(sleep(74, undefined, clock));
    expect(clock.t).toBe(74);
  });
  it("ends early when the route timeout fires", async () => {
    const clock = new VirtualClock();
    const d = new Deadline(30, clock);
    await clock.run(sleep(200, d.signal, clock));
    expect(clock.t).toBe(30);
  });
  it("does not wait for 0 ms", async () => {
    const clock = new VirtualClock();
    await sleep(0, undefined, clock);
    expect(clock.pending).toBe(0);
  });
});

describe("raceAbort", () => {
  it("passes a settled value through", async () => {
    expect(await raceAbort(Promise.resolve(7), new AbortController().signal)).toBe(7);
  });
  it("passes a rejection through", async () => {
    await expect(raceAbort(Promise.reject(new Error("x")), new AbortController().signal)).rejects.toThrow("x");
  });
});

describe("boundBody (route timeout over the response body)", () => {
  it("cuts a body still streaming when the route timeout fires, and cancels the upstream body", async () => {
    const clock = new VirtualClock();
    const d = new Deadline(1000, clock);
    let cancelled = false;
    const upstream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new Uint8Array([1, 2, 3]));
      },
      cancel() {
        cancelled = true;
      },
    });
    const res = boundBody(new Response(upstream, { status: 200, headers: { "x-a": "1" } }), d);
    expect([res.status, res.headers.get("x-a")]).toEqual([200, "1"]);
    const reader = res.body!.getReader();
    expect((await reader.read()).value).toEqual(new Uint8Array([1, 2, 3]));
    await expect(clock.run(reader.read())).rejects.toThrow("upstream request timeout");
    expect(cancelled).toBe(true);
    expect(clock.t).toBe(1000);
  });

  it("passes a complete body through and disarms the timer", async () => {
    const clock = new VirtualClock();
    const d = new Deadline(1000, clock);
    const res = boundBody(new Response("all of it"), d);
    expect(await res.text()).toBe("all of it");
    expect(clock.pending).toBe(0);
  });

  it("disarms the timer for a response without a body", () => {
    const clock = new VirtualClock();
    const d = new Deadline(1000, clock);
    boundBody(new Response(null, { status: 204 }), d);
    expect(clock.pending).toBe(0);
  });
});
