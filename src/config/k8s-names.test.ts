import { describe, expect, it } from "vitest";
import { isClusterName, knownNamespaces, qualifyHost, serviceOf } from "./k8s-names.ts";

describe("qualifyHost (Istio's short-name rule, ResolveShortnameToFQDN)", () => {
  const known = knownNamespaces(["default", "bookinfo"]);
  it.each([
    ["a dot-less name is a Service of the writer's namespace", "reviews", "bookinfo", "reviews.bookinfo.svc.cluster.local"],
    ["an omitted namespace is default", "reviews", undefined, "reviews.default.svc.cluster.local"],
    ["NAME.NS with a namespace the config knows is that Service", "reviews.bookinfo", "default", "reviews.bookinfo.svc.cluster.local"],
    ["NAME.default is always a Service", "ratings.default", "bookinfo", "ratings.default.svc.cluster.local"],
    ["a two-label name whose second label is no known namespace is a DNS name", "example.com", "default", "example.com"],
    ["the FQDN stays as written", "reviews.prod.svc.cluster.local", "default", "reviews.prod.svc.cluster.local"],
    ["a public FQDN stays as written", "api.example.com", "bookinfo", "api.example.com"],
    ["names are lower-cased (DNS is case-insensitive)", "Reviews", "default", "reviews.default.svc.cluster.local"],
    ["* stays *", "*", "default", "*"],
    ["a wildcard stays as written", "*.example.com", "default", "*.example.com"],
    ["an IPv4 address stays as written", "10.0.0.1", "default", "10.0.0.1"],
  ])("%s", (_name, host, ns, want) => {
    expect(qualifyHost(host, ns, known)).toBe(want);
  });
});

describe("cluster names", () => {
  it("recognises *.svc.cluster.local names only", () => {
    expect(isClusterName("reviews.default.svc.cluster.local")).toBe(true);
    expect(isClusterName("reviews.example.com")).toBe(false);
    expect(isClusterName("svc.cluster.local.example.com")).toBe(false);
  });
  it("splits NAME.NS.svc.cluster.local into Service and namespace", () => {
    expect(serviceOf("reviews.bookinfo.svc.cluster.local")).toEqual({ name: "reviews", namespace: "bookinfo" });
    expect(serviceOf("a.b.c.svc.cluster.local")).toBeUndefined();
    expect(serviceOf("example.com")).toBeUndefined();
  });
  it("always knows the default namespace", () => {
    expect([...knownNamespaces([undefined, "shop"])].sort()).toEqual(["default", "shop"]);
  });
});
