import { describe, expect, it } from "vitest";
import { canonicalJson, compile } from "../../../src/compile/index.ts";
import { loadConfig } from "../../../src/config/index.ts";
import { compileYaml, gateway, routeNames, table, vhost, vs } from "./helpers.ts";

const to = (host: string) => `route: [{destination: {host: ${host}}}]`;
const created = (t: string) => `creationTimestamp: "${t}"`;

describe("route order inside a vhost (§1.2 Route ordering, §5 item 2)", () => {
  it("expands each match entry into one route, in order, named rule.match", async () => {
    const t = await table(
      gateway(["a.com"]) +
        vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- name: api
  match:
  - {name: v1, uri: {prefix: /v1}}
  - {uri: {prefix: /v2}}
  ${to("s1.example.com")}
- match: [{uri: {exact: /x}}]
  ${to("s2.example.com")}`),
    );
    const routes = vhost(t, "a.com").routes;
    expect(routes.map((r) => [r.name, r.ruleIndex, r.matchIndex])).toEqual([
      ["api.v1", 0, 0],
      ["api", 0, 1],
      ["http[1]", 1, 0],
    ]);
    expect(routes[0]!.source).toMatch(/^routes\/test\.yaml:\d+$/);
  });

  it("stops expanding a VirtualService after a rule without match", async () => {
    const t = await table(
      gateway(["a.com"]) + vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- ${to("s1.example.com")}
- match: [{uri: {prefix: /never}}]
  ${to("s2.example.com")}`),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/v:http[0]"]);
    expect(vhost(t, "a.com").routes[0]!.match).toBeNull();
  });

  it.each([
    ["prefix /", `{uri: {prefix: /}}`],
    ["regex .*", `{uri: {regex: ".*"}}`],
    ["an empty match", `{name: all}`],
  ])("stops expanding after a catch-all match (%s), even inside the same rule", async (_n, m) => {
    const t = await table(
      gateway(["a.com"]) + vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- match: [${m}, {uri: {prefix: /after}}]
  ${to("s1.example.com")}
- ${to("s2.example.com")}`),
    );
    expect(vhost(t, "a.com").routes.map((r) => r.matchIndex)).toEqual([0]);
  });

  it.each([
    ["a header", `{uri: {prefix: /}, headers: {x: {}}}`],
    ["a method", `{uri: {prefix: /}, method: {exact: GET}}`],
    ["an authority", `{authority: {exact: a.com}}`],
    ["a scheme", `{scheme: {exact: https}}`],
    ["a query parameter", `{queryParams: {q: {}}}`],
    ["withoutHeaders", `{withoutHeaders: {x: {}}}`],
  ])("does not treat prefix / with %s as catch-all", async (_n, m) => {
    const t = await table(
      gateway(["a.com"]) + vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- match: [${m}]
  ${to("s1.example.com")}
- ${to("s2.example.com")}`),
    );
    expect(vhost(t, "a.com").routes.map((r) => r.ruleIndex)).toEqual([0, 1]);
  });

  it("moves an older VirtualService's catch-all after a newer one's specific route (§2.16 #40)", async () => {
    const t = await table(
      gateway(["a.com"]) +
        vs("vs-a", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- ${to("s1.example.com")}`, created("2024-01-01T00:00:00Z")) +
        vs("vs-b", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /b}}]\n  ${to("s2.example.com")}`, created("2024-02-01T00:00:00Z")),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/vs-b:http[0]", "default/vs-a:http[0]"]);
  });

  it("keeps a broad non-catch-all route of an older VirtualService in front (§2.16 #41)", async () => {
    const t = await table(
      gateway(["a.com"]) +
        vs("vs-a", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /}, headers: {x: {}}}]\n  ${to("s1.example.com")}`, created("2024-01-01T00:00:00Z")) +
        vs("vs-b", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /b}}]\n  ${to("s2.example.com")}`, created("2024-02-01T00:00:00Z")),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/vs-a:http[0]", "default/vs-b:http[0]"]);
  });

  it("keeps every catch-all, in VirtualService order, at the end", async () => {
    const t = await table(
      gateway(["a.com"]) +
        vs("one", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /1}}]\n  ${to("s1.example.com")}\n- ${to("s1.example.com")}`, created("2024-01-01T00:00:00Z")) +
        vs("two", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /}}]\n  ${to("s2.example.com")}`, created("2024-01-02T00:00:00Z")) +
        vs("three", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /3}}]\n  ${to("s3.example.com")}`, created("2024-01-03T00:00:00Z")),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/one:http[0]", "default/three:http[0]", "default/one:http[1]", "default/two:http[0]"]);
  });

  it("keeps vhosts separate: a wildcard VirtualService's routes never reach an exact host's vhost (§2.16 #42)", async () => {
    const t = await table(
      gateway(["*"]) +
        vs("vs-1", `hosts: ["*.foo.com"]\ngateways: [gw]\nhttp:\n- ${to("s1.example.com")}`) +
        vs("vs-2", `hosts: [a.foo.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /x}}]\n  ${to("s2.example.com")}`),
    );
    expect(routeNames(vhost(t, "a.foo.com"))).toEqual(["default/vs-2:http[0]"]);
    expect(routeNames(vhost(t, "*.foo.com"))).toEqual(["default/vs-1:http[0]"]);
  });

  it("orders VirtualServices without creationTimestamp by name (Go zero time), before timestamped ones", async () => {
    const t = await table(
      gateway(["a.com"]) +
        vs("zeta", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /z}}]\n  ${to("s1.example.com")}`) +
        vs("alpha", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /a}}]\n  ${to("s1.example.com")}`) +
        vs("early", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /e}}]\n  ${to("s1.example.com")}`, created("2020-01-01T00:00:00Z")),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/alpha:http[0]", "default/zeta:http[0]", "default/early:http[0]"]);
  });

  it("breaks creation-time ties by name, then namespace", async () => {
    const at = created("2024-01-01T00:00:00Z");
    const t = await table(
      gateway(["a.com"]) +
        vs("b", `hosts: [a.com]\ngateways: [default/gw]\nhttp:\n- match: [{uri: {prefix: /1}}]\n  ${to("s1.example.com")}`, `namespace: aaa, ${at}`) +
        vs("a", `hosts: [a.com]\ngateways: [default/gw]\nhttp:\n- match: [{uri: {prefix: /2}}]\n  ${to("s1.example.com")}`, `namespace: zzz, ${at}`) +
        vs("a", `hosts: [a.com]\ngateways: [default/gw]\nhttp:\n- match: [{uri: {prefix: /3}}]\n  ${to("s1.example.com")}`, `namespace: mmm, ${at}`),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["mmm/a:http[0]", "zzz/a:http[0]", "aaa/b:http[0]"]);
  });
});

describe("determinism", () => {
  const files = {
    "routes/a.yaml": gateway(["*"]) + vs("one", `hosts: [a.com, "*.b.com"]\ngateways: [gw]\nhttp:\n- match: [{uri: {prefix: /1}}]\n  ${to("s1.example.com")}\n- ${to("s2.example.com")}`),
    "routes/b.yaml": vs("two", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- match: [{headers: {X-B: {exact: y}, x-a: {regex: "a+"}}}]\n  route: [{destination: {host: s3.example.com}, weight: 1}, {destination: {host: s1.example.com}, weight: 3}]`),
  };

  it("compiles the same input twice to identical bytes and hash", async () => {
    const first = await table(files);
    const second = await table(files);
    expect(canonicalJson(second)).toBe(canonicalJson(first));
    expect(second.hash).toBe(first.hash);
    expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("does not depend on the order of files or of objects inside the input", async () => {
    const forward = loadConfig(Object.entries(files).map(([path, text]) => ({ path, text })));
    const reversed = {
      gateways: [...forward.objects.gateways].reverse(),
      virtualServices: [...forward.objects.virtualServices].reverse(),
      destinationRules: [...forward.objects.destinationRules].reverse(),
      serviceEntries: [...forward.objects.serviceEntries].reverse(),
      k8sGateways: [...forward.objects.k8sGateways].reverse(),
      httpRoutes: [...forward.objects.httpRoutes].reverse(),
      referenceGrants: [...forward.objects.referenceGrants].reverse(),
      namespaces: [...forward.objects.namespaces].reverse(),
    };
    const a = await compile(forward.objects);
    const b = await compile(reversed);
    expect(canonicalJson(b.table!)).toBe(canonicalJson(a.table!));
  });

  it("changes the hash when a route changes", async () => {
    const a = await table(files);
    const b = await table({ ...files, "routes/b.yaml": files["routes/b.yaml"].replace("weight: 3", "weight: 4") });
    expect(b.hash).not.toBe(a.hash);
  });

  it("reports errors without a table", async () => {
    const r = await compileYaml(
      gateway(["a.com"]) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- delegate: {name: missing}`),
      { allowLoadErrors: true },
    );
    expect(r.table).toBeNull();
    expect(r.issues.some((i) => i.severity === "error")).toBe(true);
  });
});
