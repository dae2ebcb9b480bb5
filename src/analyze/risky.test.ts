import { describe, expect, it } from "vitest";
import { loadConfig } from "../config/index.ts";
import { compile } from "../compile/index.ts";
import { analyze } from "./index.ts";

const HEAD = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge }
spec:
  servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"] }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: app }
spec:
  hosts: [app.example.com]
  gateways: [edge]
  http:
`;

async function findings(http: string, extra = "") {
  const text = HEAD + http + extra;
  const { objects, issues } = loadConfig([{ path: "a.yaml", text }]);
  expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  const { table, issues: cIssues } = await compile(objects);
  expect(cIssues.filter((i) => i.severity === "error")).toEqual([]);
  return analyze(objects, table!);
}

describe("risky prefix rewrites (issue #18 item 1)", () => {
  it("warns about a prefix without a trailing / rewritten to one with it, at rewrite.uri", async () => {
    const f = await findings(`  - match: [{ uri: { prefix: /static } }]
    rewrite: { uri: /assets/ }
    route: [{ destination: { host: origin.example.com } }]
`);
    const w = f.find((i) => i.code === "prefix-rewrite-slash");
    expect(w).toMatchObject({ severity: "warning", file: "a.yaml", line: 16, path: "spec.http[0].rewrite.uri" });
    expect(w!.message).toMatch(/"\/static\/x" becomes|"\/staticx" becomes "\/assets\/x"/);
  });

  it.each([
    ["/static/", "/assets/"],
    ["/static", "/assets"],
    ["/", "/v2/"],
  ])("does not warn for prefix %s → %s", async (prefix, uri) => {
    const f = await findings(`  - match: [{ uri: { prefix: "${prefix}" } }]
    rewrite: { uri: "${uri}" }
    route: [{ destination: { host: origin.example.com } }]
`);
    expect(f.filter((i) => i.code === "prefix-rewrite-slash")).toEqual([]);
  });
});

/** Line and column (1-based) of `key` at or after the first line containing `anchor`. */
function at(text: string, anchor: string, key: string): { line: number; col: number } {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.includes(anchor));
  for (let i = Math.max(0, start); i < lines.length; i++) {
    const c = lines[i]!.indexOf(key);
    if (c >= 0) return { line: i + 1, col: c + 1 };
  }
  throw new Error(`${key} not found after ${anchor}`);
}

describe("request loops: a destination or mirror that is the gateway's own host (issue #18 item 8)", () => {
  it("warns at the destination host when no ServiceEntry names it (fetched as https://<host>, which this gateway serves)", async () => {
    const http = `  - route: [{ destination: { host: app.example.com } }]
`;
    const f = await findings(http);
    const w = f.find((i) => i.code === "request-loop");
    const pos = at(HEAD + http, "- route:", "host: app.example.com");
    expect(w).toMatchObject({ severity: "warning", file: "a.yaml", line: pos.line, col: pos.col + "host: ".length, path: "spec.http[0].route[0].destination.host" });
    expect(w!.message).toContain("no ServiceEntry names app.example.com, so the gateway fetches https://app.example.com");
    expect(w!.message).toContain("virtual host app.example.com");
    expect(w!.message).toContain("error 1019");
  });

  it("warns at a ServiceEntry destination whose endpoint address is a host the gateway serves through a wildcard", async () => {
    const wild = HEAD.replace("hosts: [app.example.com]", "hosts: [app.example.com, \"*.shop.example.com\"]");
    const http = `  - route:
    - destination: { host: origin.internal }
      weight: 90
    - destination: { host: other.example.net }
      weight: 10
`;
    const se = `---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: origin }
spec:
  hosts: [origin.internal]
  ports: [{ number: 443, name: https, protocol: HTTPS }]
  resolution: DNS
  endpoints: [{ address: www.shop.example.com }]
`;
    const { objects, issues } = loadConfig([{ path: "a.yaml", text: wild + http + se }]);
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    const { table } = await compile(objects);
    const f = analyze(objects, table!).filter((i) => i.code === "request-loop");
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ path: "spec.http[0].route[0].destination.host" });
    expect(f[0]!.message).toMatch(/destination origin\.internal: its endpoint is https?:\/\/www\.shop\.example\.com.*virtual host \*\.shop\.example\.com/);
  });

  it("warns at a mirror that points back at the gateway", async () => {
    const f = await findings(`  - route: [{ destination: { host: origin.example.net } }]
    mirror: { host: app.example.com }
`);
    expect(f.filter((i) => i.code === "request-loop")).toEqual([expect.objectContaining({ path: "spec.http[0].mirror.host" })]);
  });

  it("does not warn for origins the gateway does not serve, nor because of a `*` virtual host", async () => {
    expect((await findings(`  - route: [{ destination: { host: origin.example.net } }]\n`)).filter((i) => i.code === "request-loop")).toEqual([]);
    const star = HEAD.replace("hosts: [app.example.com]", 'hosts: ["*"]');
    const { objects } = loadConfig([{ path: "a.yaml", text: star + `  - route: [{ destination: { host: origin.example.net } }]\n` }]);
    const { table } = await compile(objects);
    expect(analyze(objects, table!).filter((i) => i.code === "request-loop")).toEqual([]);
  });
});

describe("redirect loops: a redirect whose Location the same rule redirects again (issue #18 item 8)", () => {
  it.each([
    ["uri under its own prefix", `  - match: [{ uri: { prefix: /old } }]\n    redirect: { uri: /old/new }\n`, /GET http:\/\/app\.example\.com\/old → 301 http:\/\/app\.example\.com\/old\/new → 301 http:\/\/app\.example\.com\/old\/new/],
    ["https redirect on a rule that also serves https", `  - redirect: { scheme: https }\n`, /→ 301 https:\/\/app\.example\.com\/ → 301 https:\/\/app\.example\.com\//],
    ["authority that is the same host", `  - match: [{ uri: { exact: /go } }]\n    redirect: { authority: app.example.com, redirectCode: 302 }\n`, /GET http:\/\/app\.example\.com\/go → 302 http:\/\/app\.example\.com\/go/],
    ["prefixRewrite that keeps the prefix (an ever longer path)", `  - match: [{ uri: { prefix: /a } }]\n    redirect: { prefixRewrite: /a/b }\n`, /still redirecting after 10 hops/],
  ])("warns at the redirect: %s", async (_name, http, message) => {
    const f = (await findings(http)).filter((i) => i.code === "redirect-loop");
    expect(f).toHaveLength(1);
    const pos = at(HEAD + http, "redirect:", "redirect:");
    expect(f[0]).toMatchObject({ severity: "warning", file: "a.yaml", line: pos.line, path: "spec.http[0].redirect" });
    expect(f[0]!.message).toMatch(/^redirect loop: /);
    expect(f[0]!.message).toMatch(message);
  });

  it("follows the gateway's own httpsRedirect: a route that sends https back to http loops with it", async () => {
    const text = HEAD.replace("servers: [{ port: { number: 80, name: http, protocol: HTTP }, hosts: [\"*\"] }]", `servers:
  - { port: { number: 80, name: http, protocol: HTTP }, hosts: ["*"], tls: { httpsRedirect: true } }
  - { port: { number: 443, name: https, protocol: HTTPS }, hosts: ["*"], tls: { mode: SIMPLE, credentialName: c } }`) + `  - redirect: { scheme: http }\n`;
    const { objects, issues } = loadConfig([{ path: "a.yaml", text }]);
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    const { table } = await compile(objects);
    const f = analyze(objects, table!).filter((i) => i.code === "redirect-loop");
    expect(f).toHaveLength(1);
    expect(f[0]!.message).toContain("GET https://app.example.com/ → 301 http://app.example.com/ → 301 https://app.example.com/");
  });

  it.each([
    ["an https redirect limited to http", `  - match: [{ scheme: { exact: http } }]\n    redirect: { scheme: https }\n  - route: [{ destination: { host: origin.example.net } }]\n`],
    ["a redirect out of its prefix", `  - match: [{ uri: { prefix: /old } }]\n    redirect: { uri: /new }\n  - route: [{ destination: { host: origin.example.net } }]\n`],
    ["a redirect to another host", `  - redirect: { authority: www.example.net }\n`],
    ["a chain that ends (/a → /b → served)", `  - match: [{ uri: { exact: /a } }]\n    redirect: { uri: /b }\n  - match: [{ uri: { exact: /b } }]\n    redirect: { uri: /c }\n  - route: [{ destination: { host: origin.example.net } }]\n`],
  ])("does not warn for %s", async (_name, http) => {
    expect((await findings(http)).filter((i) => i.code === "redirect-loop")).toEqual([]);
  });

  it("warns at both rules of a two-rule cycle (/a → /b → /a)", async () => {
    const f = (await findings(`  - match: [{ uri: { exact: /a } }]\n    redirect: { uri: /b }\n  - match: [{ uri: { exact: /b } }]\n    redirect: { uri: /a }\n`)).filter((i) => i.code === "redirect-loop");
    expect(f.map((i) => i.path)).toEqual(["spec.http[0].redirect", "spec.http[1].redirect"]);
  });
});

describe("request credentials copied into response headers (issue #18 item 8)", () => {
  it("warns at a route-level response set of %REQ(cookie)%", async () => {
    const http = `  - route: [{ destination: { host: origin.example.net } }]
    headers:
      response:
        set: { x-echo-cookie: "%REQ(cookie)%" }
`;
    const f = (await findings(http)).filter((i) => i.code === "secret-in-response");
    const pos = at(HEAD + http, "set:", '"%REQ(cookie)%"');
    expect(f).toEqual([expect.objectContaining({ severity: "warning", file: "a.yaml", line: pos.line, col: pos.col, path: "spec.http[0].headers.response.set.x-echo-cookie" })]);
    expect(f[0]!.message).toContain("copies the request's cookie");
  });

  it.each([
    ["Authorization in a destination-level add", `  - route:\n    - destination: { host: origin.example.net }\n      headers: { response: { add: { X-Debug: "auth=%REQ(Authorization)%" } } }\n`, "spec.http[0].route[0].headers.response.add.X-Debug"],
    ["an API key header", `  - route: [{ destination: { host: origin.example.net } }]\n    headers: { response: { set: { x-k: "%REQ( X-Api-Key )%" } } }\n`, "spec.http[0].headers.response.set.x-k"],
    ["a session token on a redirect", `  - redirect: { authority: www.example.net }\n    headers: { response: { set: { x-s: "%REQ(x-session-token)%" } } }\n`, "spec.http[0].headers.response.set.x-s"],
  ])("warns for %s", async (_name, http, path) => {
    expect((await findings(http)).filter((i) => i.code === "secret-in-response").map((i) => i.path)).toEqual([path]);
  });

  it.each([
    ["a cookie copied into a request header (it goes to the origin, which has it anyway)", `  - route: [{ destination: { host: origin.example.net } }]\n    headers: { request: { set: { x-cookie: "%REQ(cookie)%" } } }\n`],
    ["a request id echoed in the response", `  - route: [{ destination: { host: origin.example.net } }]\n    headers: { response: { set: { x-id: "%REQ(x-request-id)%" } } }\n`],
    ["an escaped %%REQ(cookie)%% (a literal, not a variable)", `  - route: [{ destination: { host: origin.example.net } }]\n    headers: { response: { set: { x-doc: "%%REQ(cookie)%%" } } }\n`],
  ])("does not warn for %s", async (_name, http) => {
    expect((await findings(http)).filter((i) => i.code === "secret-in-response")).toEqual([]);
  });
});

/** A Gateway for app.example.com and the head of HTTPRoute `app` bound to it, up to its spec's parentRefs. */
const APP_ROUTE_HEAD = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: gw, namespace: default }
spec:
  gatewayClassName: edge
  listeners: [{ name: http, hostname: app.example.com, port: 80, protocol: HTTP }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: app, namespace: default }
spec:
  parentRefs: [{ name: gw }]
`;

describe("HTTPRoutes: findings point at the HTTPRoute, never at a VirtualService of the same name", () => {
  const GW = `${APP_ROUTE_HEAD}  hostnames: [app.example.com]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /old } }]
      filters: [{ type: RequestRedirect, requestRedirect: { path: { type: ReplaceFullPath, replaceFullPath: /old/new } } }]
`;
  it("a RequestRedirect that lands under its own PathPrefix is a redirect loop at the HTTPRoute rule's filters", async () => {
    const { objects, issues } = loadConfig([{ path: "r.yaml", text: GW }]);
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    const { table } = await compile(objects);
    const f = analyze(objects, table!).filter((i) => i.code === "redirect-loop");
    expect(f).toEqual([expect.objectContaining({ file: "r.yaml", path: "spec.rules[0].filters" })]);
    expect(f[0]!.message).toContain("GET http://app.example.com/old → 302 http://app.example.com/old/new → 302 http://app.example.com/old/new");
  });
});

describe("HTTPRoute ResponseHeaderModifier copying a credential (the Worker expands %REQ()% there too)", () => {
  it("warns at the filter's value", async () => {
    const text = `${APP_ROUTE_HEAD}  rules:
    - filters:
        - type: ResponseHeaderModifier
          responseHeaderModifier: { add: [{ name: X-Who, value: "%REQ(authorization)%" }] }
      backendRefs: [{ name: web, port: 80 }]
`;
    const { objects, issues } = loadConfig([{ path: "r.yaml", text }]);
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
    const { table } = await compile(objects);
    const f = analyze(objects, table!).filter((i) => i.code === "secret-in-response");
    expect(f).toEqual([expect.objectContaining({ file: "r.yaml", line: 16, path: "spec.rules[0].filters[0].responseHeaderModifier.add[0].value" })]);
  });
});
