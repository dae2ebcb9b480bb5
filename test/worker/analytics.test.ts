/**
 * A/B analytics inside workerd: with an Analytics Engine binding, each request through a sticky
 * split writes exactly one data point (split, route, variant, status, latency, attempts); requests
 * through other routes write none; without the binding requests are served the same.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { createPipeline } from "../../src/pipeline.ts";
import type { Env } from "../../src/env.ts";
import { pushTable, versioned } from "../fixtures/pushed.ts";
import { compiledTable, gatewayYaml, istioDoc, serviceEntryYaml, yamlFile } from "../fixtures/istio.ts";

/** `plain` to a.svc; `home-ab` a sticky 50/50 split between a.svc and b.svc (split default/www/home-ab). */
const abTable = async () =>
  versioned(
    "ab1",
    await compiledTable(
      yamlFile(
        gatewayYaml(),
        serviceEntryYaml("a.svc", ["http://a.origin.test"]),
        serviceEntryYaml("b.svc", ["http://b.origin.test"]),
        istioDoc(
          "VirtualService",
          "www",
          `
          hosts: ["*"]
          gateways: [gw]
          http:
            - name: plain
              match: [{ uri: { prefix: /plain } }]
              route: [{ destination: { host: a.svc } }]
              retries: { attempts: 0 }
            - name: home-ab
              route:
                - { destination: { host: a.svc }, weight: 50 }
                - { destination: { host: b.svc }, weight: 50 }
              retries: { attempts: 0 }`,
          `annotations: { edge-gateway.dev/sticky-split: "cookie=ab_visitor; ttl=3600; path=/; rules=home-ab" }`,
        ),
      ),
    ),
  );

function ctx(): ExecutionContext {
  return { waitUntil: () => {}, passThroughOnException: () => {}, props: {} } as unknown as ExecutionContext;
}

describe("A/B analytics data points", () => {
  it("writes one point per sticky request, none for other routes, and nothing breaks without the binding", async () => {
    await pushTable(env.ROUTES, await abTable());
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
