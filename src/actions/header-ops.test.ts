import { describe, expect, it } from "vitest";
import { applyHeaderOps, orderHeaderOps, routeResponseOps, substitute, type HeaderVars } from "./header-ops.ts";
import type { HeaderOps } from "../table/types.ts";

const R = { request: { set: [["x", "route"]] as Array<[string, string]> }, response: { remove: ["server-timing"] } };
const D = { request: { set: [["x", "dest"]] as Array<[string, string]> } };

describe("orderHeaderOps (§2.8)", () => {
  it.each([
    { name: "single destination: route then destination", weighted: false, side: "request" as const, want: [R.request, D.request] },
    { name: "weighted: destination then route", weighted: true, side: "request" as const, want: [D.request, R.request] },
    { name: "missing levels are skipped", weighted: false, side: "response" as const, want: [R.response] },
  ])("$name", ({ weighted, side, want }) => {
    expect(orderHeaderOps(R, D, weighted, side)).toEqual(want);
  });
  it("drops empty op lists", () => {
    expect(orderHeaderOps({ request: { set: [], add: [], remove: [] } }, undefined, false, "request")).toEqual([]);
    expect(routeResponseOps(undefined)).toEqual([]);
    expect(routeResponseOps(R)).toEqual([R.response]);
  });
});

const vars: HeaderVars = {
  clientIp: "203.0.113.7",
  protocol: "HTTP/2",
  request: new Headers({ "x-user": "ann", host: "a.com" }),
  pseudo: { authority: "a.com:8080", path: "/p?q=1", method: "GET", scheme: "https" },
  response: new Headers({ "x-upstream": "v2" }),
};

describe("substitute", () => {
  it.each([
    ["leaves a value without % untouched", "plain", "plain"],
    ["turns %% into a literal %", "100%%", "100%"],
    ["expands the client address", "ip=%DOWNSTREAM_REMOTE_ADDRESS%", "ip=203.0.113.7"],
    ["expands the client address without port", "%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%", "203.0.113.7"],
    ["expands a request header", "u=%REQ(X-User)%", "u=ann"],
    ["expands a pseudo-header", "%REQ(:authority)%%REQ(:path)%", "a.com:8080/p?q=1"],
    ["gives empty text for a missing request header", "[%REQ(x-none)%]", "[]"],
    ["expands a response header", "%RESP(x-upstream)%", "v2"],
    ["expands the protocol", "%PROTOCOL%", "HTTP/2"],
    ["keeps an unknown variable verbatim", "%UPSTREAM_CLUSTER%", "%UPSTREAM_CLUSTER%"],
    ["keeps a lone percent sign", "50% off", "50% off"],
  ])("%s", (_name, input, expected) => {
    expect(substitute(input, vars)).toBe(expected);
  });
});

describe("applyHeaderOps", () => {
  it("applies remove, then set, then add within one list (ISTIO-SEMANTICS §2.16 #37)", () => {
    const h = new Headers({ x: "0", y: "1", z: "9" });
    applyHeaderOps(h, [{ remove: ["z"], set: [["x", "1"]], add: [["y", "2"]] }], vars);
    expect(h.get("x")).toBe("1");
    expect(h.get("y")).toBe("1, 2");
    expect(h.has("z")).toBe(false);
  });

  it("lets a later list override an earlier set", () => {
    const lists: HeaderOps[] = [{ set: [["v", "route"]] }, { set: [["v", "destination"]] }];
    const h = new Headers();
    applyHeaderOps(h, lists, vars);
    expect(h.get("v")).toBe("destination");
  });

  it("removes a header and re-adds it when the same list sets it", () => {
    const h = new Headers({ v: "old" });
    applyHeaderOps(h, [{ remove: ["v"], set: [["v", "new"]] }], vars);
    expect(h.get("v")).toBe("new");
  });

  it("never touches host or pseudo-headers (the authority is routed separately)", () => {
    const h = new Headers({ host: "a.com" });
    applyHeaderOps(h, [{ set: [["host", "b.com"], [":path", "/x"]], remove: ["host"] }], vars);
    expect(h.get("host")).toBe("a.com");
  });

  it("substitutes variables in set and add values", () => {
    const h = new Headers();
    applyHeaderOps(h, [{ set: [["x-client", "%DOWNSTREAM_REMOTE_ADDRESS%"]], add: [["x-pct", "5%%"]] }], vars);
    expect(h.get("x-client")).toBe("203.0.113.7");
    expect(h.get("x-pct")).toBe("5%");
  });
});
