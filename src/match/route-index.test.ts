import { describe, expect, it } from "vitest";
import type { Route } from "../table/types.ts";
import { req, route } from "../../test/fixtures/table.ts";
import { buildRouteIndex, candidateLists, firstAccepted } from "./route-index.ts";
import { MatchInput } from "./route-match.ts";

const re = (src: string) => ({ regex: src, js: `^(?:${src})$`, flags: "u" });

function candidates(routes: Route[], url: string, init?: Parameters<typeof req>[1]): number[] {
  const seen: number[] = [];
  firstAccepted(candidateLists(buildRouteIndex(routes), new MatchInput(req(url, init))), (i) => (seen.push(i), false));
  return seen;
}

describe("route index", () => {
  const routes = [
    route({ match: { uri: { prefix: "/api" } } }), // 0
    route({ match: { uri: { exact: "/api/x" } } }), // 1
    route({ match: { headers: [["x-user", { exact: "a" }]] } }), // 2
    route({ match: { uri: { exact: "/API/X" }, ignoreUriCase: true } }), // 3
    route({ match: { uri: re("/api/\\d+") } }), // 4
    route({ match: { uri: re("(?i)/api") } }), // 5: no literal prefix ⇒ always
    route({ match: { uri: { prefix: "/Ap" }, ignoreUriCase: true } }), // 6
    route({ match: { uri: { prefix: "/other" } } }), // 7
    route({ match: { method: { exact: "GET" } } }), // 8: always
    route({ match: { uri: { prefix: "/api" } } }), // 9: same key as 0
  ];

  it.each([
    { url: "http://a.com/api/x", init: undefined, want: [0, 1, 3, 4, 5, 6, 8, 9] },
    { url: "http://a.com/API/x", init: undefined, want: [3, 5, 6, 8] },
    { url: "http://a.com/other", init: { headers: { "x-user": "b" } }, want: [2, 5, 7, 8] },
    { url: "http://a.com/", init: undefined, want: [5, 8] },
  ])("yields candidates for $url in ascending route order", ({ url, init, want }) => {
    expect(candidates(routes, url, init)).toEqual(want);
  });

  it("buckets a prefix-\"/\" route with a header condition by the header, not by the useless prefix", () => {
    const rs = [
      route({ match: { uri: { prefix: "/" }, headers: [["x-tenant", { exact: "a" }]] } }), // 0
      route({ match: { uri: { prefix: "/" }, headers: [["x-tenant", { exact: "b" }]] } }), // 1
      route({ match: { uri: { prefix: "/" } } }), // 2: plain catch-all prefix stays a prefix candidate
      route({ match: { uri: { exact: "/last" } } }), // 3
    ];
    expect(candidates(rs, "http://a.com/last")).toEqual([2, 3]);
    expect(candidates(rs, "http://a.com/last", { headers: { "x-tenant": "b" } })).toEqual([0, 1, 2, 3]);
  });

  it("stops at the first accepted candidate", () => {
    const lists = [[1, 5, 9], [2, 3], [0, 7]];
    const seen: number[] = [];
    expect(firstAccepted(lists, (i) => (seen.push(i), i === 3))).toBe(3);
    expect(seen).toEqual([0, 1, 2, 3]);
  });

  it("returns -1 when nothing is accepted or there are no candidates", () => {
    expect(firstAccepted([[1], [0]], () => false)).toBe(-1);
    expect(firstAccepted([], () => true)).toBe(-1);
  });
});
