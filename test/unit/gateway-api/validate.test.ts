/**
 * Admission errors (what the Kubernetes API server would reject, GATEWAY-API-SEMANTICS §1.2, §10)
 * are located errors; what a controller only reports in status loads with a warning.
 */
import { describe, expect, it } from "vitest";
import { formatIssue, loadConfig } from "../../../src/config/index.ts";
import { gateway, httpRoute, to } from "./helpers.ts";

function issues(text: string): string[] {
  return loadConfig([{ path: "routes/gw.yaml", text }]).issues.map(formatIssue);
}

describe("HTTPRoute admission errors", () => {
  it.each([
    ["a redirect together with backendRefs", to("a", undefined, "      filters: [{ type: RequestRedirect, requestRedirect: { hostname: x.com } }]\n"), /RequestRedirect filter must not be used together with backendRefs/],
    ["an Istio-style duration", to("a", undefined, "      timeouts: { request: 1.5s }\n"), /timeouts\.request: expected a Gateway API duration \(GEP-2257\).*"1\.5s"/],
    ["backendRequest longer than request", to("a", undefined, "      timeouts: { request: 1s, backendRequest: 2s }\n"), /backendRequest timeout \(2s\) cannot be longer than request timeout \(1s\)/],
    ["a path with //", to("a", "[{ path: { type: PathPrefix, value: //x } }]"), /path\.value: must not contain "\/\/"/],
    ["a Service backend without port", "    - backendRefs: [{ name: a }]\n", /backendRefs\[0\]\.port: Must have port for Service reference/],
    ["ReplacePrefixMatch without a single PathPrefix match", to("a", "[{ path: { type: Exact, value: /x } }]", "      filters: [{ type: URLRewrite, urlRewrite: { path: { type: ReplacePrefixMatch, replacePrefixMatch: /y } } }]\n"), /exactly one match and that match must be a PathPrefix/],
    ["a filter whose member does not match its type", to("a", undefined, "      filters: [{ type: CORS, requestHeaderModifier: { set: [{ name: a, value: b }] } }]\n"), /filter type CORS needs `cors`/],
    ["mirror percent and fraction together", to("a", undefined, "      filters: [{ type: RequestMirror, requestMirror: { backendRef: { name: b, port: 8080 }, percent: 5, fraction: { numerator: 1 } } }]\n"), /only one of percent or fraction/],
    ["an unknown field", to("a", undefined, "      timeout: 5s\n"), /unknown field "timeout"/],
  ])("%s", (_name, rules, want) => {
    const out = issues(httpRoute(rules));
    expect(out.join("\n")).toMatch(want);
    // Located: file:line:col of the offending field.
    expect(out.find((l) => want.test(l))).toMatch(/^routes\/gw\.yaml:\d+:\d+: /);
  });

  it("points at the line of the bad field", () => {
    const text = httpRoute(to("a", undefined, "      timeouts: { request: 1.5s }\n"));
    const line = text.split("\n").findIndex((l) => l.includes("1.5s")) + 1;
    expect(issues(text).join("\n")).toContain(`routes/gw.yaml:${line}:`);
  });
});

describe("Gateway admission errors and edge warnings", () => {
  it("tls on an HTTP listener is an error", () => {
    expect(issues(gateway("- { name: h, port: 80, protocol: HTTP, tls: { mode: Terminate } }")).join("\n")).toMatch(/tls must not be set for protocol HTTP/);
  });
  it("duplicate listener names are an error", () => {
    expect(issues(gateway("- { name: h, port: 80, protocol: HTTP }\n- { name: h, port: 81, protocol: HTTP }")).join("\n")).toMatch(/listener name "h" is already used/);
  });
  it("HTTPS certificateRefs load with a warning (Cloudflare terminates TLS)", () => {
    const out = issues(gateway("- { name: s, port: 443, protocol: HTTPS, tls: { certificateRefs: [{ name: cert }] } }"));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(/warning \(ignored at the edge\): .*certificateRefs are ignored/);
  });
  it("a TLS listener loads with a warning and serves nothing", () => {
    const out = issues(gateway("- { name: t, port: 443, protocol: TLS, tls: { mode: Passthrough } }"));
    expect(out.join("\n")).toMatch(/warning \(ignored at the edge\): .*protocol TLS is not served/);
    expect(out.some((l) => !l.includes(": warning"))).toBe(false);
  });
  it("out-of-scope Gateway API kinds load with a warning", () => {
    const out = issues("apiVersion: gateway.networking.k8s.io/v1\nkind: GRPCRoute\nmetadata: { name: g }\nspec: {}\n");
    expect(out).toEqual([expect.stringMatching(/warning \(ignored at the edge\): kind: GRPCRoute is ignored at the edge/)]);
  });
  it("v1beta1 HTTPRoutes load like v1", () => {
    expect(issues(httpRoute(to("a")).replace("gateway.networking.k8s.io/v1", "gateway.networking.k8s.io/v1beta1"))).toEqual([]);
  });
});
