import { describe, expect, it } from "vitest";
import type { RouteAction, RouteMatch } from "../table/types.ts";
import { req } from "../../test/fixtures/table.ts";
import { httpsRedirectLocation, redirectLocation } from "./redirect.ts";

type R = Extract<RouteAction, { kind: "redirect" }>;
const r = (x: Partial<R>): R => ({ kind: "redirect", redirectCode: 301, ...x });

describe("redirectLocation", () => {
  it.each<{ name: string; action: R; match?: RouteMatch | null; url: string; host?: string; listener?: number; want: string }>([
    { name: "uri with its own query replaces the query", action: r({ uri: "/n?x=1" }), url: "http://a.com/o?a=1", want: "http://a.com/n?x=1" },
    { name: "prefixRewrite replaces the matched prefix and keeps the query", action: r({ prefixRewrite: "/new/" }), match: { uri: { prefix: "/old/" } }, url: "http://a.com/old/p?q", want: "http://a.com/new/p?q" },
    { name: "explicit port strips the Host port", action: r({ port: 9090 }), url: "http://a.com:8080/p", want: "http://a.com:9090/p" },
    { name: "explicit default port is elided", action: r({ port: 443, scheme: "https" }), url: "http://a.com:8080/p", want: "https://a.com/p" },
    { name: "authority with explicit port", action: r({ authority: "b.com", port: 8443 }), url: "http://a.com/p", want: "http://b.com:8443/p" },
    { name: "scheme change strips the old scheme's default port", action: r({ scheme: "https" }), url: "http://a.com/p", host: "a.com:80", want: "https://a.com/p" },
    { name: "scheme change keeps a non-default port", action: r({ scheme: "https" }), url: "http://a.com:8080/p", want: "https://a.com:8080/p" },
    { name: "same scheme keeps the Host verbatim, even a default port", action: r({ uri: "/x" }), url: "http://a.com/p", host: "a.com:80", want: "http://a.com:80/x" },
    { name: "https → http strips :443", action: r({ scheme: "http" }), url: "https://a.com/p", host: "a.com:443", want: "http://a.com/p" },
    { name: "FROM_PROTOCOL_DEFAULT sets no port (Istio translation)", action: r({ derivePort: "FROM_PROTOCOL_DEFAULT", uri: "/n" }), url: "http://a.com:8080/p", want: "http://a.com:8080/n" },
    { name: "FROM_REQUEST_PORT on https with listener 443 is elided", action: r({ derivePort: "FROM_REQUEST_PORT" }), url: "https://a.com:8443/p", listener: 443, want: "https://a.com/p" },
    { name: "IPv6 Host port is stripped bracket-aware", action: r({ port: 9000 }), url: "http://[::1]:8080/p", want: "http://[::1]:9000/p" },
    { name: "only the authority: path and query kept", action: r({ authority: "b.com" }), url: "http://a.com/p?q=1", want: "http://b.com/p?q=1" },
  ])("$name", ({ action, match, url, host, listener, want }) => {
    const facts = req(url, host ? { headers: { host } } : {});
    expect(redirectLocation(action, match ?? null, facts, listener ?? 80)).toBe(want);
  });
});

describe("httpsRedirectLocation", () => {
  it("keeps the Host verbatim including its port", () => {
    expect(httpsRedirectLocation(req("http://a.com/x?y", { headers: { host: "A.com:8080" } }))).toBe("https://A.com:8080/x?y");
  });
});
