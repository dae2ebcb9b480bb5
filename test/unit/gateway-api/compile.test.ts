/**
 * The Gateway API front-end through the real chain (YAML → loadConfig → compile → decide):
 * GATEWAY-API-SEMANTICS §3–§7 and the worked vectors of §13.
 */
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../../src/config/index.ts";
import { build, outcome, reached, send } from "../vectors/pipeline.ts";
import { gateway, httpRoute, service, SERVICES, to } from "./helpers.ts";

async function table(...docs: string[]) {
  const b = await build(...docs);
  expect(b.issues.filter((i) => i.severity === "error").map(formatIssue), "config must compile").toEqual([]);
  return { prepared: b.prepared!, issues: b.issues, table: b.table! };
}

const host = (name: string) => `${name}.infra.svc.cluster.local`;

describe("§13 config A: precedence across the rules of one route", async () => {
  const { prepared } = await table(
    gateway(),
    SERVICES,
    httpRoute(
      [
        to("a", `[{ path: { type: PathPrefix, value: / } }, { headers: [{ name: version, value: one }] }]`),
        to("b", `[{ path: { type: PathPrefix, value: /v2 } }, { headers: [{ name: version, value: two }] }]`),
      ].join(""),
    ),
  );
  it.each([
    ["/v2/x", {}, host("b")],
    ["/v2", {}, host("b")],
    ["/v2/", {}, host("b")],
    ["/v2example", {}, host("a")],
    ["/", { version: "two" }, host("b")],
    ["/", { Version: "one" }, host("a")],
  ] as const)("GET %s %j reaches %s", (path, headers, want) => {
    expect(reached(send(prepared, `http://any.example${path}`, { headers }))).toBe(want);
  });
});

describe("precedence across routes (HTTPRouteMatchingAcrossRoutes shape)", async () => {
  const { prepared, table: t } = await table(
    gateway(),
    SERVICES,
    httpRoute(to("a", `[{ path: { type: PathPrefix, value: / } }]`), { name: "r1", hostnames: ["example.com", "example.net"] }),
    httpRoute(to("b", `[{ path: { type: PathPrefix, value: /v2 } }, { path: { type: Exact, value: /exact } }]`), { name: "r2", hostnames: ["example.com"] }),
  );
  it("a longer prefix in a later route wins", () => expect(reached(send(prepared, "http://example.com/v2/x"))).toBe(host("b")));
  it("route hostnames restrict the rules: example.net/v2 stays on route 1", () => expect(reached(send(prepared, "http://example.net/v2"))).toBe(host("a")));
  it("an unknown host gets 404 (no listener-wide catch-all route)", () => expect(send(prepared, "http://other.com/").kind).toBe("noRoute"));
  it("the compiled order is the precedence order: Exact, then the longest prefix, then /", () => {
    const v = t.vhosts.find((x) => x.domain === "example.com")!;
    expect(v.routes.map((r) => `${r.precedence!.pathType} ${r.precedence!.pathLength}`)).toEqual(["Exact 6", "PathPrefix 3", "PathPrefix 1"]);
  });
});

describe("matching details", async () => {
  const { prepared } = await table(
    gateway(),
    SERVICES,
    httpRoute(
      [
        to("a", `[{ path: { type: Exact, value: /one } }]`),
        to("b", `[{ path: { value: /p/ }, method: POST }]`),
        to("c", `[{ queryParams: [{ name: animal, value: whale }] }]`),
      ].join(""),
    ),
  );
  it("Exact is byte-exact", () => {
    expect(reached(send(prepared, "http://x/one"))).toBe(host("a"));
    for (const p of ["/one/", "/One", "/one/x"]) expect(send(prepared, `http://x${p}`).kind).toBe("noRoute");
  });
  it("a PathPrefix with a trailing slash matches the bare segment, element-wise", () => {
    expect(reached(send(prepared, "http://x/p", { method: "POST" }))).toBe(host("b"));
    expect(reached(send(prepared, "http://x/p/q", { method: "POST" }))).toBe(host("b"));
    expect(send(prepared, "http://x/pq", { method: "POST" }).kind).toBe("noRoute");
    expect(send(prepared, "http://x/p", { method: "GET" }).kind).toBe("noRoute");
  });
  it("query names and values are case-sensitive; extra parameters do not matter", () => {
    expect(reached(send(prepared, "http://x/?animal=whale&other=1"))).toBe(host("c"));
    expect(send(prepared, "http://x/?ANIMAL=whale").kind).toBe("noRoute");
    expect(send(prepared, "http://x/?animal=Whale").kind).toBe("noRoute");
    expect(send(prepared, "http://x/?animal=whaledolphin").kind).toBe("noRoute");
  });
});

describe("backends (§7)", async () => {
  it("§13 config C: an unknown Service takes its share and answers 500; validate warns BackendNotFound", async () => {
    const { prepared, issues } = await table(
      gateway(),
      service("a"),
      httpRoute(`    - backendRefs: [{ name: a, port: 8080, weight: 3 }, { name: missing, port: 8080, weight: 1 }]\n`),
    );
    expect(issues.map(formatIssue).join("\n")).toMatch(/missing\.infra\.svc\.cluster\.local.*BackendNotFound/);
    expect(reached(send(prepared, "http://x/", { random: 0.1 }))).toBe(host("a"));
    expect(outcome(send(prepared, "http://x/", { random: 0.9 }))).toEqual({ kind: "directResponse", status: 500 });
  });
  it("weight 0 everywhere, no backendRefs, and an unknown kind all answer 500", async () => {
    const { prepared } = await table(
      gateway(),
      SERVICES,
      httpRoute(
        [
          `    - matches: [{ path: { value: /zero } }]\n      backendRefs: [{ name: a, port: 8080, weight: 0 }]\n`,
          `    - matches: [{ path: { value: /none } }]\n`,
          `    - matches: [{ path: { value: /kind } }]\n      backendRefs: [{ group: multicluster.x-k8s.io, kind: ServiceImport, name: a, port: 8080 }]\n`,
        ].join(""),
      ),
    );
    for (const p of ["/zero", "/none", "/kind"]) expect(outcome(send(prepared, `http://x${p}`))).toEqual({ kind: "directResponse", status: 500 });
  });
  it("a cross-namespace backend needs a ReferenceGrant in the backend's namespace", async () => {
    const routeTo = httpRoute(`    - backendRefs: [{ name: web, namespace: web-ns, port: 8080 }]\n`);
    const grant = (fromNs: string) => `apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: { name: g, namespace: web-ns }
spec:
  from: [{ group: gateway.networking.k8s.io, kind: HTTPRoute, namespace: ${fromNs} }]
  to: [{ group: "", kind: Service }]
`;
    const without = await table(gateway(), service("web", "web-ns"), routeTo);
    expect(outcome(send(without.prepared, "http://x/"))).toEqual({ kind: "directResponse", status: 500 });
    expect(without.issues.map(formatIssue).join("\n")).toMatch(/RefNotPermitted/);
    const wrongNs = await table(gateway(), service("web", "web-ns"), routeTo, grant("elsewhere"));
    expect(send(wrongNs.prepared, "http://x/").kind).toBe("directResponse");
    const withGrant = await table(gateway(), service("web", "web-ns"), routeTo, grant("infra"));
    expect(reached(send(withGrant.prepared, "http://x/"))).toBe("web.web-ns.svc.cluster.local");
  });
});

describe("attachment (§3) and listeners (§2)", () => {
  it("routes that attach to nothing are reported, not errors; their hosts get 404", async () => {
    const { prepared, issues } = await table(
      gateway("- { name: http, port: 80, protocol: HTTP, hostname: a.example }"),
      SERVICES,
      httpRoute(to("a"), { name: "ok", hostnames: ["a.example"] }),
      httpRoute(to("b"), { name: "wrong-section", parentRefs: "[{ name: gw, sectionName: nope }]" }),
      httpRoute(to("b"), { name: "no-gateway", parentRefs: "[{ name: nowhere }]" }),
      httpRoute(to("b"), { name: "other-ns", ns: "elsewhere" , parentRefs: "[{ name: gw, namespace: infra }]" }),
      httpRoute(to("b"), { name: "no-intersection", hostnames: ["b.example"] }),
    );
    const text = issues.filter((i) => i.severity === "warning").map(formatIssue).join("\n");
    expect(text).toMatch(/NoMatchingParent/);
    expect(text).toMatch(/Gateway infra\/nowhere, which is not in this config/);
    expect(text).toMatch(/NotAllowedByListeners/);
    expect(text).toMatch(/NoMatchingListenerHostname/);
    expect(reached(send(prepared, "http://a.example/"))).toBe(host("a"));
    expect(send(prepared, "http://b.example/").kind).toBe("noRoute");
  });

  it("allowedRoutes Selector admits namespaces by their Namespace labels", async () => {
    const ns = (name: string, labels: string) => `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${name}, labels: { ${labels} } }\n`;
    const { prepared } = await table(
      gateway("- { name: http, port: 80, protocol: HTTP, allowedRoutes: { namespaces: { from: Selector, selector: { matchLabels: { team: web } } } } }"),
      service("a", "web"),
      service("a", "ops"),
      ns("web", "team: web"),
      ns("ops", "team: ops"),
      httpRoute(`    - backendRefs: [{ name: a, port: 8080 }]\n`, { ns: "web", hostnames: ["web.example"] }),
      httpRoute(`    - backendRefs: [{ name: a, port: 8080 }]\n`, { ns: "ops", hostnames: ["ops.example"] }),
    );
    expect(reached(send(prepared, "http://web.example/"))).toBe("a.web.svc.cluster.local");
    expect(send(prepared, "http://ops.example/").kind).toBe("noRoute");
  });

  it("listener isolation: the most specific listener owns a host, with no fall-through", async () => {
    const { prepared } = await table(
      gateway(["- { name: empty, port: 80, protocol: HTTP, hostname: bar.com }", "- { name: wild, port: 80, protocol: HTTP, hostname: \"*.bar.com\" }", "- { name: any, port: 80, protocol: HTTP }"].join("\n")),
      SERVICES,
      httpRoute(to("a"), { name: "wild", parentRefs: "[{ name: gw, sectionName: wild }]" }),
      httpRoute(to("b"), { name: "any", parentRefs: "[{ name: gw, sectionName: any }]", hostnames: ["bar.com", "foo.bar.com", "other.com"] }),
    );
    expect(reached(send(prepared, "http://x.bar.com/"))).toBe(host("a"));
    // foo.bar.com belongs to the *.bar.com listener, bar.com to the route-less bar.com listener.
    expect(reached(send(prepared, "http://foo.bar.com/"))).toBe(host("a"));
    expect(send(prepared, "http://bar.com/").kind).toBe("noRoute");
    expect(reached(send(prepared, "http://other.com/"))).toBe(host("b"));
  });

  it("a listener on another port serves requests whose Host carries that port", async () => {
    const { prepared } = await table(
      gateway(["- { name: p80, port: 80, protocol: HTTP }", "- { name: p8080, port: 8080, protocol: HTTP }"].join("\n")),
      SERVICES,
      httpRoute(to("a"), { name: "r80", parentRefs: "[{ name: gw, port: 80 }]" }),
      httpRoute(to("b"), { name: "r8080", parentRefs: "[{ name: gw, port: 8080 }]" }),
    );
    expect(reached(send(prepared, "http://x/"))).toBe(host("a"));
    expect(reached(send(prepared, "http://x:1234/"))).toBe(host("a"));
    expect(reached(send(prepared, "http://x:8080/"))).toBe(host("b"));
    // No https listener: https requests use the http listeners (Cloudflare serves both).
    expect(reached(send(prepared, "https://x/"))).toBe(host("a"));
  });

  it("two Gateways with a catch-all port-80 listener conflict: both reported, neither served", async () => {
    const { prepared, issues } = await table(gateway(undefined, { name: "g1" }), gateway(undefined, { name: "g2" }), SERVICES, httpRoute(to("a"), { parentRefs: "[{ name: g1 }]" }));
    expect(issues.filter((i) => i.code === "listener-conflict")).toHaveLength(2);
    expect(send(prepared, "http://x/").kind).toBe("noRoute");
  });
});

describe("Istio and Gateway API objects in one config", () => {
  it("serve different hosts side by side", async () => {
    const istio = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: istio-gw }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: [istio.example] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: vs }
spec:
  hosts: [istio.example]
  gateways: [istio-gw]
  http: [{ route: [{ destination: { host: ${host("c")}, port: { number: 8080 } } }] }]
`;
    const { prepared } = await table(istio, gateway("- { name: http, port: 80, protocol: HTTP, hostname: gw.example }"), SERVICES, httpRoute(to("a")));
    expect(reached(send(prepared, "http://istio.example/"))).toBe(host("c"));
    expect(reached(send(prepared, "http://gw.example/x"))).toBe(host("a"));
  });
});
