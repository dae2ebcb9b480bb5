/**
 * Issue #18 items 6 and 9: config values that made every matching request a 500 are rejected at
 * validation with a located error — CR/LF/NUL/non-Latin-1 in redirect.uri, redirect.authority,
 * prefixRewrite, rewrite.uri (and uriRegexRewrite.rewrite), userinfo in a redirect authority, and
 * the config fuzz's finding (seed 424242, path 1157): a DestinationRule cookie path with a
 * character above U+00FF, which Set-Cookie cannot carry ("Cannot convert argument to a ByteString").
 */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config/index.ts";

const vs = (rule: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: v}
spec:
  hosts: [a.com]
  gateways: [g]
  http:
  - match: [{uri: {prefix: /x}}]
${rule}
`;

function errorsOf(text: string) {
  return loadConfig([{ path: "r.yaml", text }]).issues.filter((i) => i.severity === "error");
}

describe("values the gateway writes into URLs and headers", () => {
  it.each([
    ["redirect.uri with CR/LF", `    redirect: {uri: "/a\\r\\nSet-Cookie: x=1"}`, "spec.http[0].redirect.uri", /control character U\+000D/],
    ["redirect.uri with NUL", `    redirect: {uri: "/a\\u0000b"}`, "spec.http[0].redirect.uri", /control character U\+0000/],
    ["redirect.uri with a character above U+00FF", `    redirect: {uri: "/caf\\u20ac"}`, "spec.http[0].redirect.uri", /"€" \(U\+20AC\).*percent-encode/],
    ["redirect.prefixRewrite with LF", `    redirect: {prefixRewrite: "/a\\nb"}`, "spec.http[0].redirect.prefixRewrite", /control character/],
    ["redirect.authority with userinfo", `    redirect: {authority: "good.test@evil.test"}`, "spec.http[0].redirect.authority", /userinfo/],
    ["redirect.authority with a path", `    redirect: {authority: "evil.test/x"}`, "spec.http[0].redirect.authority", /host\[:port\]/],
    ["redirect.authority with CR/LF", `    redirect: {authority: "a.test\\r\\nx: y"}`, "spec.http[0].redirect.authority", /host\[:port\]/],
    ["redirect.authority non-Latin-1", `    redirect: {authority: "b\\u00fccher.test"}`, "spec.http[0].redirect.authority", /host\[:port\]/],
    ["rewrite.uri with CR/LF", `    rewrite: {uri: "/a\\r\\n"}\n    route: [{destination: {host: b.com}}]`, "spec.http[0].rewrite.uri", /control character/],
    ["rewrite.uri with an astral character", `    rewrite: {uri: "/\\U0001F600"}\n    route: [{destination: {host: b.com}}]`, "spec.http[0].rewrite.uri", /U\+1F600/],
    ["uriRegexRewrite.rewrite with NUL", `    rewrite: {uriRegexRewrite: {match: "^/x", rewrite: "/\\u0000"}}\n    route: [{destination: {host: b.com}}]`, "spec.http[0].rewrite.uriRegexRewrite.rewrite", /control character/],
    ["rewrite.authority with userinfo", `    rewrite: {authority: "a@b.test"}\n    route: [{destination: {host: b.com}}]`, "spec.http[0].rewrite.authority", /userinfo/],
  ])("%s: located error", (_name, rule, path, message) => {
    const e = errorsOf(vs(rule)).filter((i) => i.path === path);
    expect(e, JSON.stringify(errorsOf(vs(rule)))).toHaveLength(1);
    expect(e[0]).toMatchObject({ file: "r.yaml", line: 9 });
    expect(e[0]!.message).toMatch(message);
  });

  it.each([
    `    redirect: {uri: "/caf%C3%A9?a=1", authority: "www.example.com:8443"}`,
    `    redirect: {authority: "[2001:db8::1]"}`,
    `    rewrite: {uri: "/v2/", authority: "api.internal.example"}\n    route: [{destination: {host: b.com}}]`,
    `    redirect: {prefixRewrite: "/caf\\u00e9/"}`,
  ])("accepts ordinary values: %s", (rule) => expect(errorsOf(vs(rule)).filter((i) => i.path.startsWith("spec.http"))).toEqual([]));

  it("the fuzz finding: a DestinationRule cookie path Set-Cookie cannot carry is a located error", () => {
    const text = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: d}
spec:
  host: a.internal
  trafficPolicy:
    loadBalancer:
      consistentHash:
        httpCookie: {name: ab_visitor, ttl: 720h, path: "/\\U00018AD5"}
`;
    const e = errorsOf(text);
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ file: "r.yaml", line: 9, path: "spec.trafficPolicy.loadBalancer.consistentHash.httpCookie.path" });
    expect(e[0]!.message).toMatch(/RFC 6265 path-value/);
  });
});
