import { describe, expect, it } from "vitest";
import { intersectHosts, subsetOf } from "../../../src/compile/hosts.ts";
import { codes, compileYaml, doc, gateway, routeNames, table, vhost, vs } from "./helpers.ts";

const route = (host = "s1.example.com") => `route: [{destination: {host: ${host}}}]`;

describe("host intersection (Istio Names.Intersection, keeps the more specific host)", () => {
  it.each([
    ["server wildcard × VS exact keeps the VS host", ["*.foo.com"], ["a.foo.com"], ["a.foo.com"]],
    ["server exact × VS wildcard keeps the server host", ["a.foo.com"], ["*.foo.com"], ["a.foo.com"]],
    ["`*` covers everything", ["*"], ["a.com", "*.b.com"], ["a.com", "*.b.com"]],
    ["`*.example.com` does not cover example.com", ["*.example.com"], ["example.com"], []],
    ["nested wildcards keep the narrower", ["*.com"], ["*.foo.com"], ["*.foo.com"]],
    ["unrelated hosts do not intersect", ["a.com"], ["b.com"], []],
    ["duplicates are reported once", ["*", "a.com"], ["a.com"], ["a.com"]],
  ])("%s", (_name, server, vsHosts, expected) => {
    expect(intersectHosts(server, vsHosts)).toEqual(expected);
  });

  it("a wildcard is never a subset of an exact host", () => {
    expect(subsetOf("*.foo.com", "a.foo.com")).toBe(false);
  });
});

describe("binding VirtualServices to Gateway servers", () => {
  it("does not serve a VirtualService without gateways (mesh only, §2.16 #2) and says so", async () => {
    const r = await compileYaml(gateway(["a.com"]) + vs("mesh-vs", `hosts: [a.com]\nhttp:\n- ${route()}`));
    expect(r.table).not.toBeNull();
    expect(r.table!.vhosts).toEqual([]);
    expect(codes(r.issues, "warning")).toContain("mesh-only");
  });

  it("binds by bare gateway name (VirtualService namespace) and by ns/name", async () => {
    const t = await table(
      gateway(["a.com", "b.com"]) +
        vs("bare", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- ${route()}`) +
        vs("qualified", `hosts: [b.com]\ngateways: [default/gw]\nhttp:\n- ${route()}`),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/bare:http[0]"]);
    expect(routeNames(vhost(t, "b.com"))).toEqual(["default/qualified:http[0]"]);
  });

  it("does not bind a bare gateway name from another namespace", async () => {
    const r = await compileYaml(gateway(["a.com"]) + vs("other", `hosts: [a.com]\ngateways: [istio-system/gw]\nhttp:\n- ${route()}`, "namespace: shop"), { allowLoadErrors: true });
    expect(r.table?.vhosts ?? []).toEqual([]);
  });

  it("binds namespace-qualified server hosts only to VirtualServices of that namespace", async () => {
    const t = await table(
      gateway(["shop/a.com", "*/b.com", "./c.com"]) +
        vs("in-shop", `hosts: [a.com, b.com, c.com]\ngateways: [default/gw]\nhttp:\n- ${route()}`, "namespace: shop") +
        vs("in-default", `hosts: [a.com, c.com]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["shop/in-shop:http[0]"]);
    expect(routeNames(vhost(t, "b.com"))).toEqual(["shop/in-shop:http[0]"]);
    // "./c.com" = the Gateway's own namespace (default).
    expect(routeNames(vhost(t, "c.com"))).toEqual(["default/in-default:http[0]"]);
  });

  it("puts exact, suffix-wildcard and star domains in their listener slots, lower-cased", async () => {
    const t = await table(
      gateway(["*"]) +
        vs("v", `hosts: [A.Com, "*.foo.com", "*-bar.example.com"]\ngateways: [gw]\nhttp:\n- ${route()}`) +
        vs("star", `hosts: ["*"]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    const l = t.listeners.http;
    expect(Object.keys(l.exact)).toEqual(["a.com"]);
    expect(Object.keys(l.suffix).sort()).toEqual(["-bar.example.com", ".foo.com"]);
    expect(l.suffixLengths).toEqual(["-bar.example.com".length, ".foo.com".length]);
    expect(l.star).not.toBeNull();
    expect(t.vhosts[l.exact["a.com"]!]!.domain).toBe("a.com");
  });

  it("sorts suffix lengths longest first so the longest wildcard wins", async () => {
    const t = await table(
      gateway(["*"]) +
        vs("v1", `hosts: ["*.com"]\ngateways: [gw]\nhttp:\n- ${route()}`) +
        vs("v2", `hosts: ["*.a.b.com"]\ngateways: [gw]\nhttp:\n- ${route()}`) +
        vs("v3", `hosts: ["*.b.com"]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    expect(t.listeners.http.suffixLengths).toEqual([".a.b.com".length, ".b.com".length, ".com".length]);
  });

  it("binds an HTTPS server to the https listener and lets http fall back to nothing of its own", async () => {
    const t = await table(
      doc("Gateway", "gw", `
servers:
- port: {number: 443, name: https, protocol: HTTPS}
  hosts: [a.com]
  tls: {mode: SIMPLE, credentialName: cert}`) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    expect(t.listeners.https).toMatchObject({ port: 443, fallback: false });
    expect(t.listeners.http).toMatchObject({ port: null, fallback: true, exact: t.listeners.https.exact });
  });

  it("gives both listeners their own vhosts when both schemes have servers", async () => {
    const t = await table(
      doc("Gateway", "gw", `
servers:
- port: {number: 80, name: http, protocol: HTTP}
  hosts: [a.com]
  tls: {httpsRedirect: true}
- port: {number: 443, name: https, protocol: HTTPS}
  hosts: [a.com]
  tls: {mode: SIMPLE, credentialName: cert}`) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    expect(vhost(t, "a.com", "http")).toMatchObject({ port: 80, httpsRedirect: true });
    expect(vhost(t, "a.com", "https")).toMatchObject({ port: 443, httpsRedirect: false });
    expect(t.listeners.http.fallback).toBe(false);
    expect(t.listeners.https.fallback).toBe(false);
  });

  it("treats HTTP2 and GRPC servers as http", async () => {
    const t = await table(
      doc("Gateway", "gw", `
servers:
- port: {number: 8080, name: h2, protocol: HTTP2}
  hosts: [a.com]
- port: {number: 9090, name: grpc, protocol: GRPC}
  hosts: [b.com]`) + vs("v", `hosts: [a.com, b.com]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    expect(vhost(t, "a.com").port).toBe(8080);
    expect(vhost(t, "b.com").port).toBe(9090);
    expect(t.listeners.http.port).toBe(8080);
  });

  it("creates a route-less vhost for an httpsRedirect server host that no VirtualService serves", async () => {
    const t = await table(
      gateway(["a.com", "*.b.com"], "    tls: {httpsRedirect: true}") + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    expect(vhost(t, "a.com")).toMatchObject({ httpsRedirect: true });
    expect(vhost(t, "a.com").routes).toHaveLength(1);
    expect(vhost(t, "*.b.com")).toMatchObject({ httpsRedirect: true, routes: [] });
  });

  it("serves nothing for a server host without VirtualService when there is no httpsRedirect", async () => {
    const t = await table(gateway(["a.com", "b.com"]) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- ${route()}`));
    expect(t.listeners.http.exact).toEqual({ "a.com": 0 });
  });

  it("keeps the first server's port when servers on two ports of one listener claim a host, and warns", async () => {
    const r = await compileYaml(
      doc("Gateway", "gw", `
servers:
- port: {number: 80, name: http, protocol: HTTP}
  hosts: [a.com]
- port: {number: 8080, name: alt, protocol: HTTP}
  hosts: [a.com]`) + vs("v", `hosts: [a.com]\ngateways: [gw]\nhttp:\n- ${route()}`),
    );
    expect(vhost(r.table!, "a.com").port).toBe(80);
    expect(codes(r.issues, "warning")).toContain("host-conflict");
  });

  it("merges servers sharing a port into one vhost and lists each VirtualService once", async () => {
    const t = await table(
      gateway(["a.com"]) +
        doc("Gateway", "gw2", `
servers:
- port: {number: 80, name: http, protocol: HTTP}
  hosts: ["*.com"]`) + vs("v", `hosts: [a.com]\ngateways: [gw, gw2]\nhttp:\n- ${route()}`),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/v:http[0]"]);
  });

  it("drops a match whose port differs from the server port and keeps one that equals it (build-time match.port)", async () => {
    const t = await table(
      gateway(["a.com"]) +
        vs("v", `
hosts: [a.com]
gateways: [gw]
http:
- name: other-port
  match: [{port: 8080, uri: {prefix: /x}}]
  ${route()}
- name: this-port
  match: [{port: 80, uri: {prefix: /y}}]
  ${route()}`),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/v:this-port"]);
  });

  it("applies match.gateways per match, overriding the VirtualService gateways", async () => {
    const t = await table(
      gateway(["a.com"]) +
        doc("Gateway", "gw2", `
servers:
- port: {number: 80, name: http, protocol: HTTP}
  hosts: [b.com]`) +
        vs("v", `
hosts: [a.com, b.com]
gateways: [gw, gw2]
http:
- name: only-gw2
  match: [{gateways: [gw2], uri: {prefix: /x}}]
  ${route()}
- name: everywhere
  ${route()}`),
    );
    expect(routeNames(vhost(t, "a.com"))).toEqual(["default/v:everywhere"]);
    expect(routeNames(vhost(t, "b.com"))).toEqual(["default/v:only-gw2", "default/v:everywhere"]);
  });

  it("answers nothing at all when no Gateway exists", async () => {
    const t = await table(vs("v", `hosts: [a.com]\ngateways: [mesh]\nhttp:\n- ${route()}`));
    expect(t.listeners.http).toMatchObject({ port: null, fallback: false, exact: {}, star: null });
    expect(t.listeners.https).toMatchObject({ port: null, fallback: false, exact: {}, star: null });
  });
});
