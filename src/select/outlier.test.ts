import { describe, expect, it } from "vitest";
import type { Cluster, OutlierDetection } from "../table/types.ts";
import { CODE_CONNECT_FAILED, CODE_TIMEOUT, OutlierDetector, outlierDetector } from "./outlier.ts";

const S = 1000;

function od(over: Partial<OutlierDetection> = {}): OutlierDetection {
  // Envoy/Istio defaults, except maxEjectionPercent 100 so small clusters can eject.
  return { consecutive5xxErrors: 5, intervalMs: 10 * S, baseEjectionTimeMs: 30 * S, maxEjectionPercent: 100, minHealthPercent: 0, ...over };
}

function cluster(n: number, policy: OutlierDetection | null = od(), subset?: string): Cluster {
  const c: Cluster = {
    host: "api.internal",
    endpoints: Array.from({ length: n }, (_, i) => ({ url: `http://10.0.0.${i + 1}:8080`, weight: 1 })),
    external: false,
  };
  if (subset) c.subset = subset;
  if (policy) c.trafficPolicy = { outlierDetection: policy };
  return c;
}

const A = "http://10.0.0.1:8080";
const B = "http://10.0.0.2:8080";
const C = "http://10.0.0.3:8080";

/** Record `codes` for `url` at time t (all at the same instant unless a step is given). */
function feed(d: OutlierDetector, c: Cluster, url: string, codes: number[], t = 0, step = 0) {
  return codes.map((code, i) => d.record(c, url, code, t + i * step));
}

describe("consecutive errors", () => {
  const cases: Array<[name: string, policy: OutlierDetection, codes: number[], ejected: boolean]> = [
    ["ejects after consecutive5xxErrors 5xx in a row", od(), [500, 500, 500, 500, 500], true],
    ["does not eject one error short of the threshold", od(), [500, 500, 500, 500], false],
    ["a success in between resets the count", od(), [500, 500, 500, 500, 200, 500], false],
    ["a 4xx counts as a success", od(), [500, 500, 404, 500, 500, 500], false],
    ["connection failures count as 5xx (mapped to 503)", od({ consecutive5xxErrors: 3 }), [CODE_CONNECT_FAILED, CODE_CONNECT_FAILED, CODE_CONNECT_FAILED], true],
    ["timeouts count as 5xx (mapped to 504)", od({ consecutive5xxErrors: 2 }), [CODE_TIMEOUT, CODE_TIMEOUT], true],
    ["consecutive5xxErrors 0 disables 5xx ejection", od({ consecutive5xxErrors: 0 }), Array(20).fill(500), false],
    ["gateway errors eject at their own threshold", od({ consecutive5xxErrors: 10, consecutiveGatewayErrors: 3 }), [502, 503, 504], true],
    ["a non-gateway 5xx resets the gateway count", od({ consecutive5xxErrors: 10, consecutiveGatewayErrors: 3 }), [502, 503, 500, 504, 502], false],
    ["a non-gateway 5xx still counts towards consecutive5xxErrors", od({ consecutive5xxErrors: 5, consecutiveGatewayErrors: 3 }), [502, 503, 500, 504, 502], true],
    ["gateway errors ≥ the 5xx threshold are ineffective: 5xx ejects first", od({ consecutive5xxErrors: 3, consecutiveGatewayErrors: 5 }), [503, 503, 503], true],
    ["without consecutiveGatewayErrors only the 5xx rule applies", od({ consecutive5xxErrors: 4 }), [503, 503, 503], false],
  ];
  it.each(cases)("%s", (_name, policy, codes, ejected) => {
    const d = new OutlierDetector();
    const c = cluster(2, policy);
    feed(d, c, A, codes);
    expect(d.isEjected(c, A, 0)).toBe(ejected);
    expect(d.isEjected(c, B, 0)).toBe(false);
  });

  it("reports the ejection on the result that triggers it", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 3 }));
    expect(feed(d, c, A, [500, 500, 500])).toEqual([null, null, "ejected"]);
  });

  it("counts each endpoint separately", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 3 }));
    feed(d, c, A, [500, 500]);
    feed(d, c, B, [500, 500]);
    d.record(c, A, 500, 0);
    expect([d.isEjected(c, A, 0), d.isEjected(c, B, 0)]).toEqual([true, false]);
  });

  it("keeps subsets (clusters) apart even for the same origin URL", () => {
    const d = new OutlierDetector();
    const v1 = cluster(2, od({ consecutive5xxErrors: 2 }), "v1");
    const v2 = cluster(2, od({ consecutive5xxErrors: 2 }), "v2");
    feed(d, v1, A, [500, 500]);
    expect([d.isEjected(v1, A, 0), d.isEjected(v2, A, 0)]).toEqual([true, false]);
  });

  it("ignores results when the cluster has no outlierDetection", () => {
    const d = new OutlierDetector();
    const c = cluster(2, null);
    expect(feed(d, c, A, Array(10).fill(500))).toEqual(Array(10).fill(null));
    expect(d.isEjected(c, A, 0)).toBe(false);
    expect(d.available(c, 0)).toHaveLength(2);
  });

  it("ignores results for an endpoint the cluster no longer has", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1 }));
    expect(d.record(c, "http://gone:1", 500, 0)).toBeNull();
  });
});

describe("maxEjectionPercent ((ejected + 1) / endpoints ≤ max, as Envoy ejectHost)", () => {
  const cases: Array<[name: string, endpoints: number, maxPercent: number, failing: number, expectEjected: number]> = [
    ["Istio's default 10 % never ejects in a 3-endpoint cluster", 3, 10, 3, 0],
    ["10 % lets exactly one of 10 endpoints go", 10, 10, 3, 1],
    ["50 % of 4 endpoints ejects two, refuses the third", 4, 50, 3, 2],
    ["33 % of 3 endpoints ejects none (1/3 = 33.3 % > 33 %)", 3, 33, 3, 0],
    ["34 % of 3 endpoints ejects one", 3, 34, 3, 1],
    ["100 % ejects every failing endpoint", 3, 100, 3, 3],
    ["0 % disables ejection", 5, 0, 5, 0],
  ];
  it.each(cases)("%s", (_name, n, maxPercent, failing, expectEjected) => {
    const d = new OutlierDetector();
    const c = cluster(n, od({ consecutive5xxErrors: 1, maxEjectionPercent: maxPercent }));
    for (let i = 0; i < failing; i++) d.record(c, c.endpoints[i]!.url, 500, 0);
    const ejected = c.endpoints.filter((e) => d.isEjected(c, e.url, 0)).length;
    expect(ejected).toBe(expectEjected);
  });

  it("says when an ejection was refused", () => {
    const d = new OutlierDetector();
    const c = cluster(3, od({ consecutive5xxErrors: 1, maxEjectionPercent: 10 }));
    expect(d.record(c, A, 500, 0)).toBe("ejection-refused");
  });

  it("a refused ejection resets the counter: the next full run tries again", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 2, maxEjectionPercent: 50 }));
    feed(d, c, A, [500, 500]); // A ejected (1/2 = 50 %)
    expect(feed(d, c, B, [500, 500])).toEqual([null, "ejection-refused"]);
    expect(d.record(c, B, 500, 0)).toBeNull(); // count restarted at 0: 1 of 2
  });
});

describe("ejection time, sweeps (interval) and backoff", () => {
  // Detector origin = first record at t = 0; sweeps every 10 s; base 30 s.
  it("returns an endpoint at the first sweep at or after ejection + baseEjectionTime", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1 }));
    d.record(c, B, 200, 0); // sets the sweep origin at 0
    d.record(c, A, 500, 5 * S); // ejected at 5 s for 30 s ⇒ due 35 s ⇒ sweep at 40 s
    const cases: Array<[t: number, ejected: boolean]> = [
      [5 * S, true],
      [35 * S, true],
      [40 * S - 1, true],
      [40 * S, false],
      [100 * S, false],
    ];
    expect(d.status(c, 10 * S)[0]).toMatchObject({ ejected: true, returnsAt: 40 * S, ejections: 1 });
    for (const [t, ejected] of cases) expect([t, d.isEjected(c, A, t)]).toEqual([t, ejected]);
  });

  it("an ejection ending exactly on a sweep returns at that sweep", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1 }));
    d.record(c, A, 500, 0); // origin 0, due 30 s = sweep 3
    expect([d.isEjected(c, A, 30 * S - 1), d.isEjected(c, A, 30 * S)]).toEqual([true, false]);
  });

  it("grows the ejection time with repeated ejections (base × n)", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1, intervalMs: 1 * S }));
    d.record(c, A, 500, 0); // 30 s
    expect(d.isEjected(c, A, 30 * S)).toBe(false);
    d.record(c, A, 500, 30 * S); // back-to-back: backoff 2 ⇒ 60 s
    expect([d.isEjected(c, A, 90 * S - 1), d.isEjected(c, A, 90 * S)]).toEqual([true, false]);
    d.record(c, A, 500, 90 * S); // backoff 3 ⇒ 90 s
    expect([d.isEjected(c, A, 180 * S - 1), d.isEjected(c, A, 180 * S)]).toEqual([true, false]);
    expect(d.status(c, 180 * S)[0]!.ejections).toBe(3);
  });

  it("caps the ejection time at 300 s", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1, intervalMs: 1 * S, baseEjectionTimeMs: 100 * S }));
    let t = 0;
    const lengths: number[] = [];
    for (let i = 0; i < 6; i++) {
      d.record(c, A, 500, t);
      const back = d.status(c, t)[0]!.returnsAt!;
      lengths.push((back - t) / S);
      t = back;
    }
    expect(lengths).toEqual([100, 200, 300, 300, 300, 300]);
  });

  it("uses a base above 300 s as the cap (Envoy max(300 s, base))", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1, intervalMs: 1 * S, baseEjectionTimeMs: 400 * S }));
    d.record(c, A, 500, 0);
    const back = d.status(c, 0)[0]!.returnsAt!;
    d.record(c, A, 500, back);
    expect((d.status(c, back)[0]!.returnsAt! - back) / S).toBe(400);
  });

  it("shrinks the backoff by one per interval the endpoint stays healthy after returning", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1, intervalMs: 10 * S }));
    d.record(c, A, 500, 0); // backoff 1, back at 30 s
    d.record(c, A, 500, 30 * S); // backoff 2 (60 s), back at 90 s
    // Healthy for two full intervals after 90 s: backoff 2 → 0, then +1 on the new ejection ⇒ 30 s.
    d.record(c, A, 500, 110 * S);
    expect(d.status(c, 110 * S)[0]!.returnsAt).toBe(140 * S);
  });

  it("a partial interval does not shrink the backoff", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 1, intervalMs: 10 * S }));
    d.record(c, A, 500, 0); // back at 30 s, backoff 1
    d.record(c, A, 500, 39 * S); // 9 s healthy: backoff stays 1 → 2 ⇒ 60 s from 39 s ⇒ due 99 s ⇒ sweep 100 s
    expect(d.status(c, 39 * S)[0]!.returnsAt).toBe(100 * S);
  });

  it("errors while ejected do not extend the ejection and the counters restart on return", () => {
    const d = new OutlierDetector();
    const c = cluster(2, od({ consecutive5xxErrors: 3 }));
    feed(d, c, A, [500, 500, 500], 0); // ejected at 0, back at 30 s
    feed(d, c, A, [500, 500, 500, 500], 1 * S, 1 * S); // in-flight stragglers while ejected
    expect(d.status(c, 29 * S)[0]!.returnsAt).toBe(30 * S);
    expect(d.isEjected(c, A, 30 * S)).toBe(false);
    feed(d, c, A, [500, 500], 31 * S);
    expect(d.isEjected(c, A, 31 * S)).toBe(false);
    d.record(c, A, 500, 31 * S);
    expect(d.isEjected(c, A, 31 * S)).toBe(true);
  });
});

describe("available endpoints and panic (minHealthPercent)", () => {
  const cases: Array<[name: string, endpoints: number, ejectCount: number, minHealth: number, expectCount: number]> = [
    ["all healthy ⇒ all endpoints", 3, 0, 0, 3],
    ["one of three ejected ⇒ the other two", 3, 1, 0, 2],
    ["all ejected with minHealthPercent 0 (Istio default) ⇒ none: 503 no healthy upstream", 3, 3, 0, 0],
    ["all ejected with minHealthPercent 50 ⇒ panic: every endpoint", 3, 3, 50, 3],
    ["1/3 healthy is below 50 % ⇒ panic: every endpoint", 3, 2, 50, 3],
    ["2/3 healthy is not below 50 % ⇒ only the healthy", 3, 1, 50, 2],
    ["exactly at the threshold is not panic (strictly below)", 4, 2, 50, 2],
  ];
  it.each(cases)("%s", (_name, n, ejectCount, minHealth, expectCount) => {
    const d = new OutlierDetector();
    const c = cluster(n, od({ consecutive5xxErrors: 1, minHealthPercent: minHealth }));
    for (let i = 0; i < ejectCount; i++) d.record(c, c.endpoints[i]!.url, 500, 0);
    const av = d.available(c, 0);
    expect(av).toHaveLength(expectCount);
    if (expectCount > 0 && expectCount < n) expect(av.map((e) => e.url)).not.toContain(A);
  });

  it("puts returned endpoints back into the available set", () => {
    const d = new OutlierDetector();
    const c = cluster(3, od({ consecutive5xxErrors: 1 }));
    for (const url of [A, B, C]) d.record(c, url, 500, 0);
    expect(d.available(c, 29 * S)).toHaveLength(0);
    expect(d.available(c, 30 * S)).toHaveLength(3);
  });

  it("forgets endpoints removed by a new config and counts the percentage on the new set", () => {
    const d = new OutlierDetector();
    const before = cluster(4, od({ consecutive5xxErrors: 1, maxEjectionPercent: 50 }));
    d.record(before, before.endpoints[3]!.url, 500, 0);
    d.record(before, before.endpoints[2]!.url, 500, 0);
    const after: Cluster = { ...before, endpoints: before.endpoints.slice(0, 2) };
    // The two ejected endpoints are gone: A may be ejected (1/2 = 50 %).
    expect(d.record(after, A, 500, 1)).toBe("ejected");
  });
});

describe("outlierDetector(state)", () => {
  it("keeps one detector per isolate state", () => {
    const state = {};
    expect(outlierDetector(state)).toBe(outlierDetector(state));
    expect(outlierDetector({})).not.toBe(outlierDetector(state));
  });
});
