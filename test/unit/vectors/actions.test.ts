/**
 * ISTIO-SEMANTICS §2.16 vectors #11–#20: rewrites (Envoy prefix_rewrite / regex_rewrite /
 * host_rewrite_literal), redirects (Envoy newUri, Istio ApplyRedirect), Gateway httpsRedirect
 * and direct responses. Every row: YAML → loadConfig → compile → prepare → decide.
 */
import { describe, expect, it } from "vitest";
import { gatewayYaml, rule, runVector, vs, type Vector } from "./pipeline.ts";

/** A single-rule VirtualService for a.com with the rule's action given as YAML (six-space indent). */
function action(match: string | null, body: string): string {
  const head = match === null ? "    - " : `    - match:\n        - ${match}\n      `;
  return vs(`${head}${body.trimStart()}`);
}

const vectors: Vector[] = [
  // #11: rewrite.uri replaces exactly the characters of the matched prefix, query untouched.
  {
    name: "#11 prefix /foo rewritten to / turns /foo/bar?q=1 into //bar?q=1, original path kept",
    config: [vs(rule("uri: { prefix: /foo }", "s1", "      rewrite: { uri: / }\n"))],
    url: "http://a.com/foo/bar?q=1",
    expect: { kind: "forward", to: "s1", path: "//bar?q=1", originalPath: "/foo/bar?q=1", url: "http://s1.origin.example//bar?q=1" },
  },
  {
    name: "#12 prefix /foo/ rewritten to / turns /foo/bar?q=1 into /bar?q=1",
    config: [vs(rule("uri: { prefix: /foo/ }", "s1", "      rewrite: { uri: / }\n"))],
    url: "http://a.com/foo/bar?q=1",
    expect: { kind: "forward", to: "s1", path: "/bar?q=1", originalPath: "/foo/bar?q=1" },
  },

  // #13: §2.16 prints `/b/a?x`, an arithmetic slip: \1 = "a" and \2 = "/b" (the group includes
  // its leading slash), so the template `/\2/\1` gives "/" + "/b" + "/" + "a" = `//b/a`, and
  // Envoy keeps the query. We test the correct result. (The rule gets a uri match: our
  // validator requires one beside uriRegexRewrite, which Istio's validateHTTPRewrite does not.)
  {
    name: "#13 uriRegexRewrite ^/svc/([^/]+)(/.*)$ → /\\2/\\1 turns /svc/a/b?x into //b/a?x (the doc's /b/a?x is a slip)",
    config: [vs(rule("uri: { prefix: /svc/ }", "s1", "      rewrite:\n        uriRegexRewrite: { match: '^/svc/([^/]+)(/.*)$', rewrite: '/\\2/\\1' }\n"))],
    url: "http://a.com/svc/a/b?x",
    expect: { kind: "forward", to: "s1", path: "//b/a?x", originalPath: "/svc/a/b?x" },
  },

  // #14: host_rewrite_literal. (Istio adds no x-forwarded-host by default; the edge always tells
  // the origin the original host in x-forwarded-host — DESIGN.md §6 — which the forward layer
  // adds, not decide().)
  {
    name: "#14 rewrite.authority b.internal: the origin sees authority b.internal instead of a.com",
    config: [vs(rule(null, "s1", "      rewrite: { authority: b.internal }\n"))],
    url: "http://a.com/p",
    expect: { kind: "forward", to: "s1", authority: "b.internal", path: "/p" },
  },

  // #15–#18: redirects, default 301, query kept.
  {
    name: "#15 redirect uri /new: 301 to http://a.com/new?a=1 (query kept)",
    config: [action(null, "redirect: { uri: /new }\n")],
    url: "http://a.com/old?a=1",
    expect: { kind: "redirect", status: 301, location: "http://a.com/new?a=1" },
  },
  {
    name: "#16 redirect authority b.com drops the request's port: http://a.com:8080/p → http://b.com/p",
    config: [action(null, "redirect: { authority: b.com }\n")],
    url: "http://a.com:8080/p",
    expect: { kind: "redirect", status: 301, location: "http://b.com/p" },
  },
  {
    name: "#17 redirect scheme https: http://a.com/p → https://a.com/p",
    config: [action(null, "redirect: { scheme: https }\n")],
    url: "http://a.com/p",
    expect: { kind: "redirect", status: 301, location: "https://a.com/p" },
  },
  {
    name: "#18 derivePort FROM_REQUEST_PORT on a server port 8080 puts the listener port in Location",
    gateway: gatewayYaml("port: { number: 8080, name: http, protocol: HTTP }"),
    config: [action(null, "redirect: { derivePort: FROM_REQUEST_PORT, uri: /n }\n")],
    url: "http://a.com:8080/p",
    expect: { kind: "redirect", status: 301, location: "http://a.com:8080/n" },
  },
  {
    name: "#18 derivePort FROM_REQUEST_PORT on server port 80 omits the default port for http",
    config: [action(null, "redirect: { derivePort: FROM_REQUEST_PORT, uri: /n }\n")],
    url: "http://a.com/p",
    expect: { kind: "redirect", status: 301, location: "http://a.com/n" },
  },

  // #19: require_tls on the vhost, before route matching; the Host is kept verbatim (with port).
  {
    name: "#19 server tls.httpsRedirect: plaintext http://a.com:8080/x?y gets 301 to https://a.com:8080/x?y",
    gateway: gatewayYaml("port: { number: 80, name: http, protocol: HTTP }\n      tls: { httpsRedirect: true }"),
    config: [vs(rule("uri: { prefix: /other }", "s1"))],
    url: "http://a.com:8080/x?y",
    expect: { kind: "httpsRedirect", location: "https://a.com:8080/x?y" },
  },
  {
    name: "#19 server tls.httpsRedirect: an https request is routed normally (control)",
    gateway: gatewayYaml("port: { number: 80, name: http, protocol: HTTP }\n      tls: { httpsRedirect: true }"),
    config: [vs(rule(null, "s1"))],
    url: "https://a.com/x?y",
    expect: { kind: "forward", to: "s1", path: "/x?y" },
  },

  // #20: the gateway answers; no upstream. (The local reply's content-type is the Worker's job.)
  {
    name: '#20 directResponse 503 with body "unknown error"',
    config: [action(null, 'directResponse: { status: 503, body: { string: "unknown error" } }\n')],
    url: "http://a.com/anything",
    expect: { kind: "directResponse", status: 503, body: "unknown error" },
  },
];

describe("ISTIO-SEMANTICS §2.16 vectors #11–#20 (rewrites, redirects, direct responses)", () => {
  it.each(vectors)("$name", async (v) => {
    expect(await runVector(v)).toMatchObject(v.expect);
  });
});
