import { describe, expect, it } from "vitest";
import { compiledTable, gatewayYaml, versionedServiceYaml, virtualServiceYaml, yamlFile } from "../../test/fixtures/istio.ts";
import { prepare } from "../prepare.ts";
import { loadCases } from "./load.ts";
import { runCase } from "./run.ts";
import { coverage } from "./coverage.ts";

const CONFIG = yamlFile(
  gatewayYaml({ name: "edge", hosts: ["shop.example.com"] }),
  versionedServiceYaml("shop", "shop.internal", { v1: "127.0.0.1", v2: "127.0.0.2" }, { port: 8080 }),
  virtualServiceYaml(
    `
    - name: beta-users
      match: [{ headers: { x-beta: { exact: "1" } } }]
      route: [{ destination: { host: shop.internal, subset: v2 } }]
      headers: { request: { set: { x-variant: beta } } }
    - name: old-cart
      match: [{ uri: { prefix: /cart-old } }]
      redirect: { uri: /cart }
    - name: api
      match: [{ uri: { prefix: /api/ } }]
      rewrite: { uri: /v1/ }
      route: [{ destination: { host: shop.internal, subset: v1 } }]
    - name: default
      route:
        - { destination: { host: shop.internal, subset: v1 }, weight: 90 }
        - { destination: { host: shop.internal, subset: v2 }, weight: 10 }
`,
    { name: "shop", hosts: ["shop.example.com"], gateways: ["edge"] },
  ),
);

async function table() {
  return compiledTable({ "shop.yaml": CONFIG });
}

function cases(text: string) {
  const loaded = loadCases({ path: "shop.cases.yaml", text });
  expect(loaded.issues).toEqual([]);
  return loaded.cases;
}

describe("golden cases", () => {
  it("passes when every stated expectation holds", async () => {
    const t = prepare(await table());
    const [c] = cases(`
cases:
  - name: beta header goes to v2 with the variant header
    request: { url: "http://shop.example.com/p", headers: { x-beta: "1" } }
    expect:
      route: beta-users
      virtualService: default/shop
      destination: { host: shop.internal, subset: v2 }
      upstreamUrl: http://127.0.0.2:8080/p
      requestHeaders: { x-variant: beta, x-missing: null }
`);
    const r = runCase(t, c!.case);
    expect(r.mismatches).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.ruleKey).toBe("default/shop#0");
  });

  it("reports each wrong expectation with expected and actual values", async () => {
    const t = prepare(await table());
    const [c] = cases(`
cases:
  - name: wrong subset and wrong rewritten path
    request: { url: "http://shop.example.com/api/items?q=1" }
    expect:
      destination: { host: shop.internal, subset: v2 }
      path: /api/items?q=1
`);
    const r = runCase(t, c!.case);
    expect(r.ok).toBe(false);
    expect(r.mismatches).toEqual([
      { field: "destination", expected: { host: "shop.internal", subset: "v2" }, actual: { host: "shop.internal", subset: "v1", port: 8080 } },
      { field: "path", expected: "/api/items?q=1", actual: "/v1/items?q=1" },
    ]);
  });

  it("checks redirects by status and Location, and pins the weighted die with random", async () => {
    const t = prepare(await table());
    const list = cases(`
cases:
  - name: old cart redirects keeping the query
    request: { url: "http://shop.example.com/cart-old?id=7" }
    expect: { kind: redirect, status: 301, location: "http://shop.example.com/cart?id=7" }
  - name: a low die lands on the 90% variant
    request: { url: "http://shop.example.com/", random: 0.05 }
    expect: { route: default, variant: shop.internal/v1 }
  - name: a high die lands on the 10% variant
    request: { url: "http://shop.example.com/", random: 0.95 }
    expect: { route: default, variant: shop.internal/v2 }
  - name: unknown hosts get Envoy's 404
    request: { url: "http://other.example.com/" }
    expect: { kind: noRoute, status: 404 }
`);
    for (const c of list) expect([c.case.name, runCase(t, c.case).mismatches]).toEqual([c.case.name, []]);
  });

  it("decides under the Worker's PATH_NORMALIZATION when a case names it", async () => {
    const t = prepare(await table());
    const [base, merged] = cases(`
cases:
  - name: BASE keeps the double slash, so /api/ does not match
    request: { url: "http://shop.example.com//api/items" }
    expect: { route: default, path: //api/items }
  - name: MERGE_SLASHES merges it before routing and forwarding
    request: { url: "http://shop.example.com//api/items", pathNormalization: MERGE_SLASHES }
    expect: { route: api, path: /v1/items }
`);
    expect(runCase(t, base!.case).mismatches).toEqual([]);
    expect(runCase(t, merged!.case).mismatches).toEqual([]);
  });

  it("measures coverage per http[] rule", async () => {
    const tab = await table();
    const t = prepare(tab);
    const list = cases(`
cases:
  - { name: a, request: { url: "http://shop.example.com/", headers: { x-beta: "1" } }, expect: { route: beta-users } }
  - { name: b, request: { url: "http://shop.example.com/" }, expect: { route: default } }
`);
    const hits = list.map((c) => runCase(t, c.case).ruleKey!);
    const cov = coverage(tab, hits);
    expect(cov.total).toBe(4);
    expect(cov.covered).toBe(2);
    expect(cov.percent).toBe(50);
    expect(cov.entries.filter((e) => e.hits === 0).map((e) => e.name)).toEqual(["old-cart", "api"]);
  });

  it("locates a typo in a cases file", () => {
    const loaded = loadCases({ path: "x.cases.yaml", text: "cases:\n  - name: a\n    request: { url: 'http://a.com/' }\n    expect:\n      stauts: 404\n" });
    expect(loaded.cases).toEqual([]);
    expect(loaded.issues).toHaveLength(1);
    expect(loaded.issues[0]).toMatchObject({ file: "x.cases.yaml", line: 5, col: 7, path: "cases[0].expect.stauts" });
    expect(loaded.issues[0]!.message).toMatch(/unknown field "stauts"/);
  });
});
