import { describe, it, expect } from "vitest";
import { clusterKey } from "./types.ts";
import { diffTables, formatDiff } from "./diff.ts";
import { NO_RETRIES, cluster, route, table, vhost } from "../../test/fixtures/store.ts";

const v1 = clusterKey("reviews", "v1");
const v2 = clusterKey("reviews", "v2");

const jason = route("jason", {
  match: { headers: [["end-user", { exact: "jason" }]] },
  action: { kind: "route", destinations: [{ host: "reviews", subset: "v2", cluster: v2, weight: 1 }], totalWeight: 1 },
});
const base = table(
  [vhost("bookinfo.example.com", [jason, route("default")])],
  { [v1]: cluster("reviews", "v1", ["http://127.0.0.1:9081"]), [v2]: cluster("reviews", "v2", ["http://127.0.0.1:9082"]) },
);

describe("diff", () => {
  it('says "no changes" for identical tables', () => {
    expect(formatDiff(diffTables(base, structuredClone(base)))).toEqual(["no changes"]);
  });

  it("lists every host and route as added when nothing is active yet", () => {
    expect(formatDiff(diffTables(null, base))).toEqual([
      "+ host bookinfo.example.com",
      '    + route jason: header end-user = "jason" → route to reviews subset v2',
      "    + route default: every request → route to reviews subset v1",
      "+ upstream reviews|v1|",
      "+ upstream reviews|v2|",
    ]);
  });

  it("shows added and removed hosts and routes", () => {
    const next = table(
      [
        vhost("bookinfo.example.com", [route("default"), route("ratings", { match: { uri: { prefix: "/ratings" } } })]),
        vhost("shop.example.com", [route("default")]),
      ],
      base.clusters,
    );
    expect(formatDiff(diffTables(base, next))).toEqual([
      "+ host shop.example.com",
      "    + route default: every request → route to reviews subset v1",
      "~ host bookinfo.example.com",
      '    + route ratings (position 2 of 2): uri prefix "/ratings" → route to reviews subset v1',
      '    - route jason: header end-user = "jason" → route to reviews subset v2',
    ]);
    expect(formatDiff(diffTables(next, base))).toContain("- host shop.example.com");
  });

  it("shows what changed inside a route: weights, timeout, retries, fault, match", () => {
    const changed = route("default", {
      match: { uri: { prefix: "/" }, headers: [["x-canary", { present: true }]] },
      action: {
        kind: "route",
        destinations: [
          { host: "reviews", subset: "v1", cluster: v1, weight: 90 },
          { host: "reviews", subset: "v2", cluster: v2, weight: 10 },
        ],
        totalWeight: 100,
      },
      timeoutMs: 1500,
      retries: NO_RETRIES,
      fault: { abort: { httpStatus: 503, percentage: 5 } },
    });
    const next = table([vhost("bookinfo.example.com", [jason, changed])], base.clusters);
    expect(formatDiff(diffTables(base, next))).toEqual([
      "~ host bookinfo.example.com",
      "    ~ route default",
      '        match: every request → uri prefix "/", header x-canary present',
      "        action: route to reviews subset v1 → route to reviews subset v1 90%, reviews subset v2 10%",
      "        timeout: none → 1500ms",
      "        retries: 2 attempts on connect-failure,refused-stream,unavailable,cancelled,retriable-status-codes → no retries",
      "        fault: none → abort 503 for 5%",
    ]);
  });

  it("reports a changed route order, because the first match wins", () => {
    const next = table([vhost("bookinfo.example.com", [route("default"), jason])], base.clusters);
    expect(formatDiff(diffTables(base, next))).toEqual([
      "~ host bookinfo.example.com",
      "    route order (first match wins):",
      "        before: jason, default",
      "        after:  default, jason",
    ]);
  });

  it("shows changed upstream endpoints and a changed https redirect", () => {
    const next = table([vhost("bookinfo.example.com", [jason, route("default")], { httpsRedirect: true })], {
      ...base.clusters,
      [v2]: cluster("reviews", "v2", ["http://127.0.0.1:9092"]),
    });
    expect(formatDiff(diffTables(base, next))).toEqual([
      "~ host bookinfo.example.com",
      "    httpsRedirect: false → true",
      "~ upstream reviews|v2|",
      "    endpoints: http://127.0.0.1:9082 → http://127.0.0.1:9092",
    ]);
  });

  it("tells routes of the same name apart by their VirtualService", () => {
    const a = route("http[0]", { virtualService: "default/a" });
    const b = route("http[0]", { virtualService: "default/b", match: { uri: { exact: "/b" } } });
    const b2 = { ...b, timeoutMs: 100 };
    const before = table([vhost("x.example.com", [b, a])]);
    const after = table([vhost("x.example.com", [b2, a])]);
    expect(formatDiff(diffTables(before, after))).toEqual([
      "~ host x.example.com",
      "    ~ route http[0] (default/b)",
      "        timeout: none → 100ms",
    ]);
  });

  it("names the port of a domain served on several ports", () => {
    const before = table([vhost("a.example.com", [route("r")], { port: 80 })]);
    const after = table([vhost("a.example.com", [route("r")], { port: 80 }), vhost("a.example.com", [route("r")], { port: 8080 })]);
    expect(formatDiff(diffTables(before, after))[0]).toBe("+ host a.example.com (port 8080)");
  });

  it("notices a change that the one-line description does not show (regex flags)", () => {
    const r1 = route("re", { match: { uri: { regex: "/a.*", js: "^(?:/a.*)$", flags: "" } } });
    const r2 = route("re", { match: { uri: { regex: "/a.*", js: "^(?:/a.*)$", flags: "s" } } });
    const out = formatDiff(diffTables(table([vhost("r.example.com", [r1])]), table([vhost("r.example.com", [r2])])));
    expect(out[1]).toBe("    ~ route re");
    expect(out[2]).toMatch(/^ {8}match: .*"flags":"".* → .*"flags":"s"/);
  });
});
