import { routeRetries } from "../../../src/table/types.ts";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";
import { codes, gateway, routeNames, table, vhost, vs } from "./helpers.ts";

const to = (host: string) => `route: [{destination: {host: ${host}}}]`;

function root(rules: string): string {
  return gateway(["a.com"]) + vs("root", `hosts: [a.com]\ngateways: [gw]\nhttp:\n${rules}`);
}

describe("delegate VirtualServices (§1.2 Delegate VirtualServices)", () => {
  it("replaces the delegating rule in place by the delegate's rules, merging matches", async () => {
    const t = await table(
      root(`- name: first
  match: [{uri: {prefix: /first}}]
  ${to("s0.example.com")}
- name: api
  match: [{uri: {prefix: /api}}]
  delegate: {name: api}
- ${to("s9.example.com")}`) +
        vs("api", `http:
- name: v1
  match: [{uri: {prefix: /api/v1}, headers: {x-b: {exact: "1"}}}]
  ${to("s1.example.com")}
- name: rest
  ${to("s2.example.com")}`),
    );
    const routes = vhost(t, "a.com").routes;
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/root:first", "default/root:api-v1", "default/root:api-rest", "default/root:http[2]"]);
    expect(routes[1]!.match).toEqual({ uri: { prefix: "/api/v1" }, headers: [["x-b", { exact: "1" }]] });
    // A delegate rule without match inherits the root's matches.
    expect(routes[2]!.match).toEqual({ uri: { prefix: "/api" } });
    expect(routes[1]!.ruleIndex).toBe(1);
  });

  it("inherits unset fields (timeout, headers, retries) from the root rule, keeping the delegate's own", async () => {
    const t = await table(
      root(`- match: [{uri: {prefix: /api}}]
  delegate: {name: api}
  timeout: 3s
  retries: {attempts: 4}
  headers: {request: {set: {x-root: "1"}}}`) +
        vs("api", `http:
- match: [{uri: {prefix: /api/a}}]
  timeout: 1s
  ${to("s1.example.com")}`),
    );
    const r = vhost(t, "a.com").routes[0]!;
    expect(r.timeoutMs).toBe(1000);
    expect(routeRetries(r).attempts).toBe(4);
    expect(r.headers).toEqual({ request: { set: [["x-root", "1"]] } });
  });

  it("unions header matches, the delegate winning on the same name", async () => {
    const t = await table(
      root(`- match: [{headers: {x-a: {exact: "1"}, x-b: {prefix: root}}}]
  delegate: {name: api}`) +
        vs("api", `http:
- match: [{headers: {x-b: {prefix: root-and-more}, x-c: {}}}]
  ${to("s1.example.com")}`),
    );
    expect(vhost(t, "a.com").routes[0]!.match!.headers).toEqual([
      ["x-a", { exact: "1" }],
      ["x-b", { prefix: "root-and-more" }],
      ["x-c", { present: true }],
    ]);
  });

  it("produces one merged match per compatible (delegate match × root match) pair", async () => {
    const t = await table(
      root(`- match: [{uri: {prefix: /a}}, {uri: {prefix: /b}}]
  delegate: {name: api}`) +
        vs("api", `http:
- match: [{method: {exact: GET}}]
  ${to("s1.example.com")}`),
    );
    expect(vhost(t, "a.com").routes.map((r) => r.match)).toEqual([
      { uri: { prefix: "/a" }, method: { exact: "GET" } },
      { uri: { prefix: "/b" }, method: { exact: "GET" } },
    ]);
  });

  it.each([
    ["a prefix outside the root's prefix", `{uri: {prefix: /other}}`],
    ["a regex where the root has a prefix", `{uri: {regex: "/api/.*"}}`],
    ["a different exact value", `{uri: {exact: /nope}}`],
    ["a different ignoreUriCase", `{uri: {prefix: /api/x}, ignoreUriCase: true}`],
  ])("reports an error (Istio drops it silently) when a delegate match has %s", async (_n, m) => {
    const objects = loadConfig([
      {
        path: "routes/test.yaml",
        text:
          root(`- match: [{uri: {prefix: /api}}]\n  delegate: {name: api}`) + vs("api", `http:\n- match: [${m}]\n  ${to("s1.example.com")}`),
      },
    ]).objects;
    const r = await compile(objects);
    expect(r.table).toBeNull();
    expect(codes(r.issues, "error")).toEqual(["delegate-conflict"]);
    expect(r.issues[0]!.path).toBe("spec.http[0].match");
  });

  it("reports a missing delegate as an error instead of dropping the rule", async () => {
    const objects = loadConfig([{ path: "routes/test.yaml", text: root(`- delegate: {name: missing}`) }]).objects;
    const r = await compile(objects);
    expect(r.table).toBeNull();
    expect(codes(r.issues, "error")).toEqual(["delegate-not-found"]);
  });

  it("resolves a delegate in another namespace", async () => {
    const t = await table(
      root(`- delegate: {name: api, namespace: team}`) + vs("api", `http:\n- name: x\n  ${to("s1.example.com")}`, "namespace: team"),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/root:http[0]-x"]);
  });
});
