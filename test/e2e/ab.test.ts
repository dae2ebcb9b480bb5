/**
 * Sticky A/B tests and canary rollouts through the real Worker (DESIGN.md §4): Istio YAML →
 * compile → KV → bundled Worker under Miniflare → echo origins on 127.0.0.1.
 *
 *  - A/B across two hosts (VirtualService annotation): a visitor keeps its variant for many
 *    requests; the first response sets the cookie and is private/no-store; the origin sees
 *    `x-edge-variant`.
 *  - Canary across two subsets of one host (DestinationRule httpCookie): 2,000 visitors, weights
 *    pushed from 10% to 20% while requests keep flowing; no canary visitor ever leaves the canary.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { pool } from "./harness/pool.ts";
import { compiledTable, shopCanarySplitYaml } from "../fixtures/istio.ts";
import { randomIds } from "../fixtures/ids.ts";

let a: EchoOrigin;
let b: EchoOrigin;
let stable: EchoOrigin;
let canary: EchoOrigin;
let gw: Gateway;

function config(canaryWeight: number): string {
  const se = (name: string, host: string, eps: Array<[EchoOrigin, string]>) => `
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: web }
spec:
  hosts: [${host}]
  ports: [{ number: 80, name: http, protocol: HTTP }]
  resolution: STATIC
  endpoints:
${eps.map(([o, v]) => `    - { address: 127.0.0.1, ports: { http: ${o.port} }, labels: { version: ${v} } }`).join("\n")}
`;
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: public, namespace: web }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: [www.example.com, shop.example.com] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: www
  namespace: web
  annotations: { edge-gateway.dev/sticky-split: "cookie=ab_visitor; ttl=720h; rules=home-ab" }
spec:
  hosts: [www.example.com]
  gateways: [public]
  http:
    - name: force-b
      match: [{ queryParams: { variant: { exact: b } } }]
      route: [{ destination: { host: www-b.origin.test } }]
    - name: home-ab
      route:
        - { destination: { host: www-a.origin.test }, weight: 50 }
        - { destination: { host: www-b.origin.test }, weight: 50 }
---
${se("www-a", "www-a.origin.test", [[a, "a"]])}
---
${se("www-b", "www-b.origin.test", [[b, "b"]])}
---
${shopCanarySplitYaml({ stablePort: stable.port, canaryPort: canary.port, canaryWeight, hosts: ["shop.example.com"], rule: "rollout" })}`;
}

beforeAll(async () => {
  [a, b, stable, canary] = await Promise.all([startEchoOrigin("a"), startEchoOrigin("b"), startEchoOrigin("stable"), startEchoOrigin("canary")]);
  gw = await startGateway();
  await gw.push(await compiledTable(config(10)));
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([a, b, stable, canary].map((o) => o?.close()));
});

interface Echo {
  server: string;
  headers: Record<string, string>;
}

describe("A/B test across two hosts (VirtualService annotation)", () => {
  it("sets the visitor cookie once, on a private/no-store response, and tells the origin the variant", async () => {
    const res = await gw.fetch("http://www.example.com/");
    expect(res.status).toBe(200);
    const cookies = res.headers.getSetCookie();
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(/^ab_visitor=[0-9a-f]{32}; Max-Age=2592000; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("vary")?.toLowerCase()).toContain("cookie");
    const echo = res.json<Echo>();
    expect(echo.headers["x-edge-variant"]).toBe(echo.server === "a" ? "www-a.origin.test" : "www-b.origin.test");
  });

  it("keeps 40 visitors each on their variant for 25 requests, without a new cookie", async () => {
    const seen = new Set<string>();
    await pool(Array.from({ length: 40 }, (_, i) => i), 8, async () => {
      const first = await gw.fetch("http://www.example.com/");
      const cookie = first.headers.getSetCookie()[0]!.split(";")[0]!;
      const variant = first.json<Echo>().server;
      seen.add(variant);
      for (let i = 0; i < 25; i++) {
        const res = await gw.fetch("http://www.example.com/", { headers: { cookie } });
        expect(res.json<Echo>().server).toBe(variant);
        expect(res.headers.getSetCookie()).toEqual([]);
      }
    });
    expect(seen).toEqual(new Set(["a", "b"])); // 40 visitors at 50/50: both variants occur
  });

  it("lets QA force variant B with ?variant=b whatever the cookie says", async () => {
    const first = await gw.fetch("http://www.example.com/");
    const cookie = first.headers.getSetCookie()[0]!.split(";")[0]!;
    const res = await gw.fetch("http://www.example.com/?variant=b", { headers: { cookie } });
    expect(res.json<Echo>().server).toBe("b");
  });
});

describe("canary rollout 10% → 20% (DestinationRule httpCookie) with 2,000 visitors", () => {
  it("keeps every canary visitor on the canary, before, during and after the push", async () => {
    const ids = randomIds(2000, 0xc0ffee);
    const ask = async (id: string) => (await gw.fetch("http://shop.example.com/", { headers: { cookie: `shop_visitor=${id}` } })).json<Echo>().server;

    const before = await pool(ids, 16, ask);
    const canaryVisitors = ids.filter((_, i) => before[i] === "canary");
    const share10 = canaryVisitors.length / ids.length;
    expect(share10).toBeGreaterThan(0.07); // 10% ± 3pp (≥ 4σ at n = 2,000)
    expect(share10).toBeLessThan(0.13);

    // Canary visitors keep asking while 20% is pushed: every answer must be the canary.
    let pushing = true;
    const during: string[] = [];
    const traffic = (async () => {
      for (let round = 0; pushing || round < 1; round++)
        during.push(...(await pool(canaryVisitors.slice(0, 50), 8, ask)));
    })();
    await gw.push(await compiledTable(config(20)));
    pushing = false;
    await traffic;
    expect(during.length).toBeGreaterThan(0);
    expect(during.filter((s) => s !== "canary")).toEqual([]);

    const after = await pool(ids, 16, ask);
    const left = ids.filter((_, i) => before[i] === "canary" && after[i] !== "canary");
    expect(left).toEqual([]);
    const share20 = after.filter((s) => s === "canary").length / ids.length;
    expect(share20).toBeGreaterThan(0.17); // 20% ± 3pp
    expect(share20).toBeLessThan(0.23);
  });
});
