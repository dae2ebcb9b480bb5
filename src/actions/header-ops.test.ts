import { describe, expect, it } from "vitest";
import { orderHeaderOps, routeResponseOps } from "./header-ops.ts";

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
