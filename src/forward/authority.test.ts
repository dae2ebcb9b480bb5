import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hostnameOf, upstreamAddress } from "./authority.ts";

describe("upstreamAddress (DESIGN §6 Host rule)", () => {
  it.each([
    ["sends the endpoint host by default", "https://api.example.net/p?q", undefined, "https://api.example.net/p?q", undefined, "api.example.net"],
    ["keeps an endpoint port in the default Host", "http://127.0.0.1:8081/p", undefined, "http://127.0.0.1:8081/p", undefined, "127.0.0.1:8081"],
    [
      "connects to the endpoint and sends the rewritten authority through resolveOverride",
      "https://origin.example.net/p",
      "b.example.com",
      "https://b.example.com/p",
      "origin.example.net",
      "b.example.com",
    ],
    [
      "keeps the endpoint port when the rewritten authority has none",
      "https://origin.example.net:8443/p",
      "b.example.com",
      "https://b.example.com:8443/p",
      "origin.example.net",
      "b.example.com:8443",
    ],
    ["leaves an IP endpoint alone (resolveOverride cannot name an IP)", "http://127.0.0.1:8081/p", "b.internal", "http://127.0.0.1:8081/p", undefined, "127.0.0.1:8081"],
    ["does nothing when the rewrite names the endpoint itself", "https://api.example.net/p", "API.example.net", "https://api.example.net/p", undefined, "api.example.net"],
  ])("%s", (_name, target, rewrite, url, resolveOverride, host) => {
    const a = upstreamAddress(target, rewrite);
    expect(a.url).toBe(url);
    expect(a.resolveOverride).toBe(resolveOverride);
    expect(a.host).toBe(host);
  });
});

describe("hostnameOf", () => {
  it.each([
    ["a.com", "a.com"],
    ["A.com:8080", "a.com"],
    ["[::1]:8080", "[::1]"],
  ])("%s → %s", (input, expected) => expect(hostnameOf(input)).toBe(expected));
});

describe("upstreamAddress: the Host cached per endpoint", () => {
  it("is new URL(target).host for every target, first seen or cached", () => {
    const origin = fc.constantFrom("http://127.0.0.1:8081", "http://A.Example.com", "http://a.example.com:80", "https://a.example.com:443", "https://[::1]:8443", "http://a%41.com", "http://u@a.com", "https://a.example.com:8443/base");
    const path = fc.constantFrom("/", "/p?q=1", "/a/@b", "/x\\y", "/%2e%2e/", "/?x=/y@z", "/#f");
    fc.assert(
      fc.property(fc.array(fc.tuple(origin, path), { minLength: 1, maxLength: 20 }), (targets) => {
        for (const [o, p] of targets) {
          const t = o + p;
          expect(upstreamAddress(t, undefined)).toEqual({ url: t, host: new URL(t).host });
        }
      }),
      { numRuns: 300 },
    );
  });
});
