/**
 * ISTIO-SEMANTICS §2.16 vectors #1–#10: which VirtualService a gateway serves and how an
 * `http[].match` entry compares uri, headers and query parameters (Envoy route matchers).
 * Every row: YAML → loadConfig → compile → prepare → factsFromRequest → decide.
 */
import { describe, expect, it } from "vitest";
import { build, gatewayYaml, outcome, rule, runVector, send, SERVICES, vs, type Vector } from "./pipeline.ts";

const CATCH_ALL_S2 = rule(null, "s2");

const vectors: Vector[] = [
  // #1: a Gateway with hosts but no VirtualService bound: Istio installs a route-less `*` vhost.
  { name: "#1 no VirtualService bound to the gateway: 404 for any request", config: [], url: "http://a.com/", expect: { kind: "noRoute" } },

  // #3: Envoy `prefix` is a raw string prefix in VirtualServices (not path-segment aware).
  {
    name: "#3 uri.prefix /v2 matches /v2example (raw string prefix)",
    config: [vs(rule("uri: { prefix: /v2 }", "s1"))],
    url: "http://a.com/v2example",
    expect: { kind: "forward", to: "s1", path: "/v2example" },
  },

  // #4: exact compares the path without its query.
  {
    name: "#4 uri.exact /x matches /x?y=1 (the query is not part of the path)",
    config: [vs(rule("uri: { exact: /x }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/x?y=1",
    expect: { kind: "forward", to: "s1", path: "/x?y=1" },
  },
  {
    name: "#4 uri.exact /x does not match /x/ (falls to the catch-all)",
    config: [vs(rule("uri: { exact: /x }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/x/",
    expect: { kind: "forward", to: "s2" },
  },

  // #5: regex must match the whole path (Envoy safe_regex full match).
  {
    name: "#5 uri.regex /api does not match /api/v1 (regex must match the whole path)",
    config: [vs(rule("uri: { regex: /api }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/api/v1",
    expect: { kind: "forward", to: "s2" },
  },
  {
    name: "#5 uri.regex /api matches exactly /api (control)",
    config: [vs(rule("uri: { regex: /api }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/api?page=2",
    expect: { kind: "forward", to: "s1" },
  },

  // #6: ignoreUriCase makes the prefix compare case-insensitive; the path is forwarded as sent.
  {
    name: "#6 ignoreUriCase prefix /Api matches /api/x and the upstream path is unchanged",
    config: [vs(rule("{ uri: { prefix: /Api }, ignoreUriCase: true }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/api/x",
    expect: { kind: "forward", to: "s1", path: "/api/x" },
  },
  {
    name: "#6 without ignoreUriCase prefix /Api does not match /api/x (control)",
    config: [vs(rule("uri: { prefix: /Api }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/api/x",
    expect: { kind: "forward", to: "s2" },
  },

  // #7: header names are case-insensitive, values case-sensitive.
  {
    name: "#7 header match: End-User: jason matches end-user exact jason (names case-insensitive)",
    config: [vs(rule("headers: { end-user: { exact: jason } }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/",
    req: { headers: { "End-User": "jason" } },
    expect: { kind: "forward", to: "s1" },
  },
  {
    name: "#7 header match: end-user: Jason does not match exact jason (values case-sensitive)",
    config: [vs(rule("headers: { end-user: { exact: jason } }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/",
    req: { headers: { "end-user": "Jason" } },
    expect: { kind: "forward", to: "s2" },
  },

  // #8: `{}` is a presence match; an empty value is present.
  {
    name: "#8 headers x: {} matches a present header with an empty value",
    config: [vs(rule("headers: { x: {} }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/",
    req: { headers: { x: "" } },
    expect: { kind: "forward", to: "s1" },
  },
  {
    name: "#8 headers x: {} does not match when x is absent (control)",
    config: [vs(rule("headers: { x: {} }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/",
    expect: { kind: "forward", to: "s2" },
  },

  // #9: withoutHeaders with a value matcher treats a missing header as "" (treat_missing_header_as_empty).
  {
    name: "#9 withoutHeaders x exact a matches when x is absent",
    config: [vs(rule("withoutHeaders: { x: { exact: a } }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/",
    expect: { kind: "forward", to: "s1" },
  },
  {
    name: "#9 withoutHeaders x exact a does not match x: a",
    config: [vs(rule("withoutHeaders: { x: { exact: a } }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/",
    req: { headers: { x: "a" } },
    expect: { kind: "forward", to: "s2" },
  },
  {
    name: "#9 withoutHeaders x exact a matches x: b",
    config: [vs(rule("withoutHeaders: { x: { exact: a } }", "s1") + CATCH_ALL_S2)],
    url: "http://a.com/",
    req: { headers: { x: "b" } },
    expect: { kind: "forward", to: "s1" },
  },

  // #10: queryParams exact "" matches a key without value and with an empty value.
  {
    name: '#10 queryParams v exact "" matches ?v',
    config: [vs(rule('queryParams: { v: { exact: "" } }', "s1") + CATCH_ALL_S2)],
    url: "http://a.com/?v",
    expect: { kind: "forward", to: "s1" },
  },
  {
    name: '#10 queryParams v exact "" matches ?v=',
    config: [vs(rule('queryParams: { v: { exact: "" } }', "s1") + CATCH_ALL_S2)],
    url: "http://a.com/?v=",
    expect: { kind: "forward", to: "s1" },
  },
  {
    name: '#10 queryParams v exact "" does not match ?v=1',
    config: [vs(rule('queryParams: { v: { exact: "" } }', "s1") + CATCH_ALL_S2)],
    url: "http://a.com/?v=1",
    expect: { kind: "forward", to: "s2" },
  },
];

describe("ISTIO-SEMANTICS §2.16 vectors #1–#10 (binding and matching)", () => {
  it.each(vectors)("$name", async (v) => {
    expect(await runVector(v)).toMatchObject(v.expect);
  });

  // #2 also asserts the warning the user gets, so the 404 is not a surprise.
  it("#2 a VirtualService without gateways applies to the mesh only: 404 at the edge, with a warning", async () => {
    const b = await build(gatewayYaml(), SERVICES, vs(rule(null, "s1"), { gateways: null }));
    expect(b.issues.filter((i) => i.severity === "error")).toEqual([]);
    expect(b.issues.filter((i) => i.code === "mesh-only").length).toBeGreaterThan(0);
    expect(outcome(send(b.prepared!, "http://a.com/"))).toEqual({ kind: "noRoute" });
  });
});
