/**
 * A/B analytics inside workerd: with an Analytics Engine binding, each request through a sticky
 * split writes exactly one data point (split, route, variant, status, latency, attempts); requests
 * through other routes write none; without the binding requests are served the same.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createPipeline } from "../../src/pipeline.ts";
import type { Env } from "../../src/env.ts";
import { cluster, dest, pushTable, route, table } from "../fixtures/pushed.ts";

const sticky = { cookie: "ab_visitor", ttlSeconds: 3600, path: "/", splitId: "default/www/home-ab" };
const abTable = table(
  "ab1",
  [
    route("plain", { match: { uri: { prefix: "/plain" } }, action: { kind: "route", destinations: [dest("a.svc")], totalWeight: 1 } }),
    route("home-ab", { ruleIndex: 1, action: { kind: "route", destinations: [dest("a.svc", 50), dest("b.svc", 50)], totalWeight: 100, sticky } }),
  ],
  [cluster("a.svc", ["http://a.origin.test"]), cluster("b.svc", ["http://b.origin.test"])],
);

function ctx(): ExecutionContext {
  return { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
}

describe("A/B analytics data points", () => {
  it("writes one point per sticky request, none for other routes, and nothing breaks without the binding", async () => {
    await pushTable(env.ROUTES, abTable);
    const points: AnalyticsEngineDataPoint[] = [];
    const dataset = { writeDataPoint: (p?: AnalyticsEngineDataPoint) => void points.push(p!) } as AnalyticsEngineDataset;
    const pipeline = createPipeline({
      fetcher: async (url) => new Response(`from ${new URL(url).host}`, { status: 200 }),
      log: () => {},
    });
    const withBinding = { ROUTES: env.ROUTES, CONFIG_REFRESH_SECONDS: "0", AB_ANALYTICS: dataset } as Env;

    const first = await pipeline.handle(new Request("https://www.example.com/"), withBinding, ctx());
    expect(first.status).toBe(200);
    const cookie = first.headers.get("set-cookie")!.split(";")[0]!;
    const again = await pipeline.handle(new Request("https://www.example.com/", { headers: { cookie } }), withBinding, ctx());
    expect(await again.text()).toBe(await first.text());
    await pipeline.handle(new Request("https://www.example.com/plain"), withBinding, ctx());

    expect(points).toHaveLength(2);
    const [p1, p2] = points;
    expect(p1!.indexes).toEqual(["default/www/home-ab"]);
    expect(p1!.blobs!.slice(0, 4)).toEqual(["home-ab", p1!.blobs![1], "2xx", "new"]);
    expect(["a.svc", "b.svc"]).toContain(p1!.blobs![1]);
    expect(p2!.blobs![1]).toBe(p1!.blobs![1]);
    expect(p2!.blobs![3]).toBe("returning");
    expect(p1!.blobs![4]).toBe("ab1");
    expect(p1!.doubles![1]).toBe(1);
    expect(p1!.doubles![2]).toBe(200);

    const noBinding = { ROUTES: env.ROUTES, CONFIG_REFRESH_SECONDS: "0" } as Env;
    const res = await pipeline.handle(new Request("https://www.example.com/", { headers: { cookie } }), noBinding, ctx());
    expect(res.status).toBe(200);
    expect(await res.text()).toBe(await (await pipeline.handle(new Request("https://www.example.com/", { headers: { cookie } }), withBinding, ctx())).text());
  });
});
