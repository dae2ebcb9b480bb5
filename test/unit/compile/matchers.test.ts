import { describe, expect, it } from "vitest";
import { firstRoute, gateway, table, vs } from "./helpers.ts";

async function matchOf(m: string) {
  const t = await table(gateway(["a.com"]) + vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- match: [${m}]
  route: [{destination: {host: s1.example.com}}]`));
  return firstRoute(t).match;
}

describe("HTTPMatchRequest → RouteMatch", () => {
  it.each([
    ["uri exact", `{uri: {exact: /x}}`, { uri: { exact: "/x" } }],
    ["uri prefix, raw string prefix", `{uri: {prefix: /v2}}`, { uri: { prefix: "/v2" } }],
    ["empty uri prefix (legal for uri only)", `{uri: {prefix: ""}}`, { uri: { prefix: "" } }],
    ["ignoreUriCase kept", `{uri: {prefix: /Api}, ignoreUriCase: true}`, { uri: { prefix: "/Api" }, ignoreUriCase: true }],
    ["method is case-sensitive exact", `{method: {exact: GET}}`, { method: { exact: "GET" } }],
    ["scheme", `{scheme: {exact: https}}`, { scheme: { exact: "https" } }],
    ["authority prefix", `{authority: {prefix: a.com}}`, { authority: { prefix: "a.com" } }],
    ["match name kept", `{name: n, uri: {exact: /x}}`, { name: "n", uri: { exact: "/x" } }],
  ])("%s", async (_n, yaml, expected) => {
    expect(await matchOf(yaml)).toEqual(expected);
  });

  it("stores a regex as RE2 source plus an anchored JS translation", async () => {
    const m = await matchOf(`{uri: {regex: "/api/v[0-9]+"}}`);
    expect(m!.uri).toMatchObject({ regex: "/api/v[0-9]+" });
    const uri = m!.uri as { js: string; flags: string };
    const re = new RegExp(uri.js, uri.flags);
    expect(re.test("/api/v12")).toBe(true);
    // Envoy requires a full match: a regex is never a substring search (§2.16 #5).
    expect(re.test("/api/v12/extra")).toBe(false);
  });

  it("lower-cases header names and sorts them; values stay case-sensitive", async () => {
    const m = await matchOf(`{headers: {X-Zed: {exact: Jason}, End-User: {prefix: J}}}`);
    expect(m!.headers).toEqual([
      ["end-user", { prefix: "J" }],
      ["x-zed", { exact: "Jason" }],
    ]);
  });

  it("turns an empty header matcher {} into a presence match", async () => {
    const m = await matchOf(`{headers: {x: {}}, withoutHeaders: {y: {}}, queryParams: {q: {}}}`);
    expect(m!.headers).toEqual([["x", { present: true }]]);
    expect(m!.withoutHeaders).toEqual([["y", { present: true }]]);
    expect(m!.queryParams).toEqual([["q", { present: true }]]);
  });

  // Istio accepts regex "*" only under withoutHeaders (istio:val validateHTTPRouteMatchRequest);
  // elsewhere it is an invalid RE2 pattern (test/unit/config/virtual-service.test.ts).
  it('turns a withoutHeaders regex "*" into a presence match', async () => {
    const m = await matchOf(`{withoutHeaders: {y: {regex: "*"}}}`);
    expect(m!.withoutHeaders).toEqual([["y", { present: true }]]);
  });

  it("keeps query parameter names case-sensitive and exact \"\" as an exact match", async () => {
    const m = await matchOf(`{queryParams: {Version: {exact: ""}, a: {regex: "\\\\d+"}}}`);
    expect(m!.queryParams).toEqual([
      ["Version", { exact: "" }],
      ["a", expect.objectContaining({ regex: "\\d+" })],
    ]);
  });

  it("lower-cases withoutHeaders names", async () => {
    const m = await matchOf(`{withoutHeaders: {X-Debug: {exact: "1"}}}`);
    expect(m!.withoutHeaders).toEqual([["x-debug", { exact: "1" }]]);
  });

  it("drops build-time conditions (port, gateways) from the runtime match", async () => {
    const m = await matchOf(`{port: 80, gateways: [gw], uri: {prefix: /p}}`);
    expect(m).toEqual({ uri: { prefix: "/p" } });
  });
});
