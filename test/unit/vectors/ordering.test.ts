/**
 * ISTIO-SEMANTICS §2.16 vectors #40–#42: several VirtualServices for one host are merged in
 * creation order with catch-all routes moved last (Istio SortVHostRoutes); virtual hosts are
 * chosen exact → longest suffix → `*` with no fall-through between them.
 * Every row: YAML → loadConfig → compile → prepare → factsFromRequest → decide.
 */
import { describe, expect, it } from "vitest";
import { rule, runVector, vs, type Vector } from "./pipeline.ts";

// #40: VS-A (older) is only a catch-all; VS-B (newer) routes /b.
const CATCH_ALL_FIRST = [
  vs(rule(null, "s1"), { name: "vs-a", created: "2026-01-01T00:00:00Z" }),
  vs(rule("uri: { prefix: /b }", "s2"), { name: "vs-b", created: "2026-02-01T00:00:00Z" }),
];
// #41: VS-A (older) is prefix / AND a header: not a catch-all, so it keeps its place.
const BROAD_FIRST = [
  vs(rule("{ uri: { prefix: / }, headers: { x: {} } }", "s1"), { name: "vs-a", created: "2026-01-01T00:00:00Z" }),
  vs(rule("uri: { prefix: /b }", "s2"), { name: "vs-b", created: "2026-02-01T00:00:00Z" }),
];
// #42: a wildcard host and an exact host are two virtual hosts.
const TWO_VHOSTS = [vs(rule(null, "s1"), { name: "vs-1", hosts: ["*.foo.com"] }), vs(rule("uri: { prefix: /x }", "s2"), { name: "vs-2", hosts: ["a.foo.com"] })];

const vectors: Vector[] = [
  { name: "#40 the older VS's catch-all is moved last: GET /b reaches the newer VS's /b rule", config: CATCH_ALL_FIRST, url: "http://a.com/b", expect: { kind: "forward", to: "s2" } },
  { name: "#40 the moved catch-all still answers what nothing else matches", config: CATCH_ALL_FIRST, url: "http://a.com/c", expect: { kind: "forward", to: "s1" } },
  {
    name: "#41 prefix / with a header condition is not a catch-all: it keeps its earlier place and wins /b",
    config: BROAD_FIRST,
    url: "http://a.com/b",
    req: { headers: { x: "1" } },
    expect: { kind: "forward", to: "s1" },
  },
  { name: "#41 without the header, /b reaches the newer VS (control)", config: BROAD_FIRST, url: "http://a.com/b", expect: { kind: "forward", to: "s2" } },
  {
    name: "#42 a.foo.com chooses the exact vhost; /y matches none of its routes: 404, no fall-through to *.foo.com",
    config: TWO_VHOSTS,
    url: "http://a.foo.com/y",
    expect: { kind: "noRoute", vhost: "a.foo.com" },
  },
  { name: "#42 a.foo.com/x matches the exact vhost's route (control)", config: TWO_VHOSTS, url: "http://a.foo.com/x", expect: { kind: "forward", to: "s2" } },
  { name: "#42 b.foo.com uses the wildcard vhost's catch-all (control)", config: TWO_VHOSTS, url: "http://b.foo.com/y", expect: { kind: "forward", to: "s1" } },
];

describe("ISTIO-SEMANTICS §2.16 vectors #40–#42 (merging VirtualServices, choosing the vhost)", () => {
  it.each(vectors)("$name", async (v) => {
    expect(await runVector(v)).toMatchObject(v.expect);
  });
});
