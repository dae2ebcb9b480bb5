import { describe, expect, it } from "vitest";
import { errors, load, marked, vsWithRule } from "./helpers.ts";

// Each case: a rule with "⟨" where the error must be located, the field path, and the message.
const cases: Array<[name: string, rule: string, path: string, message: RegExp]> = [
  ["rejects a misspelled field and suggests the right one", `⟨rout:\n- destination: {host: api.example.com}`, "spec.http[0].rout", /^unknown field "rout" \(did you mean "route"\?\); allowed fields: name, match, route/],
  ["rejects a timeout without a unit", `route: [{destination: {host: api.example.com}}]\ntimeout: ⟨5`, "spec.http[0].timeout", /^expected a duration like "1.5s" or "250ms", got 5$/],
  ["rejects a quoted timeout without a unit", `route: [{destination: {host: api.example.com}}]\ntimeout: ⟨"5"`, "spec.http[0].timeout", /^expected a duration like "1.5s" or "250ms", got "5"$/],
  ["rejects timeout 0s because Istio requires at least 1ms", `route: [{destination: {host: api.example.com}}]\ntimeout: ⟨0s`, "spec.http[0].timeout", /too short: the minimum is 1ms/],
  ["rejects sub-millisecond durations", `route: [{destination: {host: api.example.com}}]\ntimeout: ⟨1.0005s`, "spec.http[0].timeout", /sub-millisecond precision/],
  ["rejects a negative weight", `route:\n- destination: {host: api.example.com}\n  weight: ⟨-1`, "spec.http[0].route[0].weight", /non-negative integer weight from 0 to 2147483647, got -1/],
  ["rejects a fractional weight", `route:\n- destination: {host: api.example.com}\n  weight: ⟨1.5`, "spec.http[0].route[0].weight", /got 1.5/],
  ["rejects several destinations whose weights add up to 0", `⟨route:\n- destination: {host: api.example.com}\n  weight: 0\n- destination: {host: b.example.com}\n  weight: 0`, "spec.http[0].route", /weights of 2 destinations add up to 0/],
  ["rejects a rule without an action", `⟨name: nothing`, "spec.http[0]", /needs route \(at least one destination\), redirect, directResponse or delegate/],
  ["rejects route together with redirect", `⟨route: [{destination: {host: api.example.com}}]\nredirect: {uri: /x}`, "spec.http[0].route", /both route and redirect/],
  ["rejects rewrite together with redirect because the edge answers itself", `redirect: {uri: /x}\n⟨rewrite: {uri: /y}`, "spec.http[0].rewrite", /both rewrite and redirect/],
  ["rejects fault together with directResponse", `directResponse: {status: 200}\n⟨fault: {abort: {httpStatus: 500, percentage: {value: 1}}}`, "spec.http[0].fault", /both fault and directResponse/],
  ["rejects redirectCode 305 because Envoy cannot send it", `redirect: {uri: /x, redirectCode: ⟨305}`, "spec.http[0].redirect.redirectCode", /redirectCode 305 cannot be served: Envoy \(and the edge\) support only 301, 302, 303, 307 and 308/],
  ["rejects redirectCode outside 300-399", `redirect: {uri: /x, redirectCode: ⟨404}`, "spec.http[0].redirect.redirectCode", /404 is not a valid redirect code, must be 3xx/],
  ["rejects a redirect scheme other than http/https", `redirect: {scheme: ⟨ftp}`, "spec.http[0].redirect.scheme", /expected one of http, https, got "ftp"/],
  ["rejects a redirect with both uri and prefixRewrite", `match: [{uri: {prefix: /a}}]\nredirect: {uri: /x, prefixRewrite: ⟨/y}`, "spec.http[0].redirect.prefixRewrite", /uri or prefixRewrite, not both/],
  ["rejects an empty redirect", `⟨redirect: {}`, "spec.http[0].redirect", /must specify uri, authority, scheme or port/],
  ["rejects a directResponse status below 200", `directResponse: {status: ⟨199}`, "spec.http[0].directResponse.status", /HTTP status 199 is not in range 200-599/],
  ["rejects a body with both string and bytes", `directResponse: {status: 200, ⟨body: {string: a, bytes: YQ==}}`, "spec.http[0].directResponse.body", /exactly one of string or bytes/],
  ["rejects body bytes that are not base64", `directResponse: {status: 200, body: {bytes: ⟨"not base64!"}}`, "spec.http[0].directResponse.body.bytes", /must be base64/],
  ["rejects rewrite uri together with uriRegexRewrite", `match: [{uri: {prefix: /a}}]\nroute: [{destination: {host: api.example.com}}]\nrewrite:\n  uri: /b\n  ⟨uriRegexRewrite: {match: a, rewrite: b}`, "spec.http[0].rewrite.uriRegexRewrite", /uri or uriRegexRewrite, not both/],
  ["rejects uriRegexRewrite without rewrite", `match: [{uri: {prefix: /a}}]\nroute: [{destination: {host: api.example.com}}]\nrewrite: {⟨uriRegexRewrite: {match: a}}`, "spec.http[0].rewrite.uriRegexRewrite", /needs both match and rewrite/],
  ["rejects perTryTimeout when attempts is 0", `route: [{destination: {host: api.example.com}}]\nretries: {attempts: 0, perTryTimeout: ⟨1s}`, "spec.http[0].retries.perTryTimeout", /cannot be set when attempts is 0/],
  ["rejects retryOn with a space after the comma, as Istio does", `route: [{destination: {host: api.example.com}}]\nretries: {attempts: 2, retryOn: ⟨"5xx, reset"}`, "spec.http[0].retries.retryOn", /unknown retryOn condition " reset"/],
  ["rejects an unknown retryOn condition", `route: [{destination: {host: api.example.com}}]\nretries: {attempts: 2, retryOn: ⟨"5xx,bogus"}`, "spec.http[0].retries.retryOn", /unknown retryOn condition "bogus"/],
  ["rejects a negative attempts count", `route: [{destination: {host: api.example.com}}]\nretries: {attempts: ⟨-1}`, "spec.http[0].retries.attempts", /got -1/],
  ["rejects a fault with neither delay nor abort", `route: [{destination: {host: api.example.com}}]\n⟨fault: {}`, "spec.http[0].fault", /needs a delay, an abort, or both/],
  ["rejects exponentialDelay as Istio does", `route: [{destination: {host: api.example.com}}]\nfault: {delay: {exponentialDelay: ⟨1s}}`, "spec.http[0].fault.delay.exponentialDelay", /exponentialDelay is not supported by Istio yet/],
  ["rejects an abort status above 599", `route: [{destination: {host: api.example.com}}]\nfault: {abort: {httpStatus: ⟨700, percentage: {value: 5}}}`, "spec.http[0].fault.abort.httpStatus", /HTTP status 700 is not in range 200-599/],
  ["rejects a percentage above 100", `route: [{destination: {host: api.example.com}}]\nfault: {abort: {httpStatus: 500, percentage: {value: ⟨150}}}`, "spec.http[0].fault.abort.percentage.value", /0 or a percentage from 0.0001 to 100, got 150/],
  ["rejects mirror together with mirrors", `route: [{destination: {host: api.example.com}}]\nmirror: {host: m.example.com}\n⟨mirrors: [{destination: {host: m.example.com}}]`, "spec.http[0].mirrors", /mirror or mirrors, not both/],
  ["rejects setting a pseudo-header on the request", `route: [{destination: {host: api.example.com}}]\nheaders: {request: {set: {⟨":path": /x}}}`, `spec.http[0].headers.request.set[":path"]`, /pseudo-header ":path" cannot be set/],
  ["rejects setting host on the response", `route: [{destination: {host: api.example.com}}]\nheaders: {response: {set: {⟨host: x}}}`, "spec.http[0].headers.response.set.host", /"host" cannot be set on the response/],
  ["rejects removing :authority", `route: [{destination: {host: api.example.com}}]\nheaders: {request: {remove: [⟨":authority"]}}`, "spec.http[0].headers.request.remove[0]", /cannot be removed/],
  ["rejects a lone % in a header value", `route: [{destination: {host: api.example.com}}]\nheaders: {request: {set: {x-a: ⟨"50% off"}}}`, "spec.http[0].headers.request.set.x-a", /lone "%"/],
  ["rejects a control character in a header value", `route: [{destination: {host: api.example.com}}]\nheaders: {request: {set: {x-a: ⟨"a\\u0001b"}}}`, "spec.http[0].headers.request.set.x-a", /control character/],
  ["rejects a CORS method outside the allowed list", `route: [{destination: {host: api.example.com}}]\ncorsPolicy: {allowOrigins: [{exact: "https://a.com"}], allowMethods: [⟨FETCH]}`, "spec.http[0].corsPolicy.allowMethods[0]", /expected one of GET, HEAD, POST.*got "FETCH"/],
  ["rejects a CORS maxAge that is not whole seconds", `route: [{destination: {host: api.example.com}}]\ncorsPolicy: {allowOrigins: [{exact: "https://a.com"}], maxAge: ⟨1.5s}`, "spec.http[0].corsPolicy.maxAge", /whole number of seconds/],
  ["rejects an empty allowed origin", `route: [{destination: {host: api.example.com}}]\ncorsPolicy: {allowOrigins: [⟨{exact: ""}]}`, "spec.http[0].corsPolicy.allowOrigins[0]", /must not be empty/],
  ["rejects a StringMatch with two kinds", `match: [{uri: {exact: /a, prefix: ⟨/b}}]\nroute: [{destination: {host: api.example.com}}]`, "spec.http[0].match[0].uri.prefix", /exactly one of exact, prefix, regex; found exact and prefix/],
  ["rejects an empty prefix on a header", `match: [{headers: {x-a: {prefix: ⟨""}}}]\nroute: [{destination: {host: api.example.com}}]`, `spec.http[0].match[0].headers.x-a.prefix`, /empty prefix is not allowed here/],
  ["rejects a regex with a backreference", `match: [{uri: {regex: ⟨"(a)\\\\1"}}]\nroute: [{destination: {host: api.example.com}}]`, "spec.http[0].match[0].uri.regex", /invalid RE2 regex.*RE2 has no backreferences/],
  ["rejects a regex too complex for the edge's time bound", `match: [{uri: {regex: ⟨"${"[a-z]{0,63}".repeat(5)}x"}}]\nroute: [{destination: {host: api.example.com}}]`, "spec.http[0].match[0].uri.regex", /too complex for the edge's time bound/],
  ["rejects a header name that is not a token", `match: [{headers: {⟨"x y": {exact: a}}}]\nroute: [{destination: {host: api.example.com}}]`, `spec.http[0].match[0].headers["x y"]`, /is not valid: Istio accepts an RFC 7230 token/],
  ["rejects sourceLabels as an edge error: the edge is no workload", `match: [{⟨sourceLabels: {app: a}}]\nroute: [{destination: {host: api.example.com}}]`, "spec.http[0].match[0].sourceLabels", /sourceLabels selects the calling workload; the edge is no workload/],
  ["rejects a subset name that is not a DNS label", `route: [{destination: {host: api.example.com, subset: ⟨v_1}}]`, "spec.http[0].route[0].destination.subset", /subset must be a DNS-1123 label.*got "v_1"/],
  ["rejects a header regex \"*\" (Istio accepts it only under withoutHeaders)", `match: [{headers: {x-a: {regex: ⟨"*"}}}]\nroute: [{destination: {host: api.example.com}}]`, "spec.http[0].match[0].headers.x-a.regex", /invalid RE2 regex: missing argument to repetition operator/],
  ["rejects setting the authority twice (host set and add)", `route: [{destination: {host: api.example.com}}]\nheaders: {request: {add: {host: ⟨a.internal}, set: {host: b.internal}}}`, "spec.http[0].headers.request.add.host", /authority is set more than once/],
  ["rejects rewrite.authority together with a host header set", `route: [{destination: {host: api.example.com}}]\nrewrite: {authority: a.internal}\nheaders: {request: {set: {host: ⟨b.internal}}}`, "spec.http[0].headers.request.set.host", /authority is set more than once/],
  ["rejects a port out of range", `route: [{destination: {host: api.example.com, port: {number: ⟨70000}}}]`, "spec.http[0].route[0].destination.port.number", /port number from 1 to 65535, got 70000/],
  ["rejects a wildcard destination host", `route: [{destination: {host: ⟨"*.example.com"}}]`, "spec.http[0].route[0].destination.host", /wildcard destination host "\*.example.com" names no single origin/],
];

describe("VirtualService http rule validation", () => {
  it.each(cases)("%s", (_name, rule, path, message) => {
    const m = marked(vsWithRule(rule));
    const { issues } = load(m.text);
    const found = errors(issues).filter((i) => i.path === path);
    expect(found, JSON.stringify(issues, null, 1)).toHaveLength(1);
    expect(found[0]).toMatchObject({ severity: "error", file: "routes/shop.yaml", line: m.line, col: m.col, path });
    expect(found[0]!.message).toMatch(message);
  });
});

const valid: Array<[name: string, rule: string]> = [
  ["accepts a single destination with weight 0 (its weight is ignored)", `route:\n- destination: {host: api.example.com}\n  weight: 0`],
  ["accepts presence matches on headers and query parameters", `match: [{headers: {x-a: {}}, withoutHeaders: {x-b: {regex: "*"}}, queryParams: {q: {}}}]\nroute: [{destination: {host: api.example.com}}]`],
  ["accepts mirrorPercentage without mirror (Istio does; the edge ignores it)", `route: [{destination: {host: api.example.com}}]\nmirrorPercentage: {value: 5}`],
  ["accepts an empty uri match (Istio does: no condition)", `match: [{uri: {}}]\nroute: [{destination: {host: api.example.com}}]`],
  ["accepts uriRegexRewrite in a rule without match (Istio validateHTTPRewrite)", `route: [{destination: {host: api.example.com}}]\nrewrite: {uriRegexRewrite: {match: "^/a/(.*)$", rewrite: '/b/\\1'}}`],
  ["accepts an empty uri prefix", `match: [{uri: {prefix: ""}}]\nroute: [{destination: {host: api.example.com}}]`],
  ["accepts %% and %VAR% in header values", `route: [{destination: {host: api.example.com}}]\nheaders: {request: {set: {x-a: "100%%", x-b: "%DOWNSTREAM_REMOTE_ADDRESS%"}}}`],
  ["accepts integer statuses in retryOn", `route: [{destination: {host: api.example.com}}]\nretries: {attempts: 3, perTryTimeout: 2s, retryOn: "gateway-error,503,retriable-4xx"}`],
  ["accepts request set of :authority and host", `route: [{destination: {host: api.example.com}}]\nheaders: {request: {set: {":authority": a.example.com}}}`],
  ["accepts a subset defined by a DestinationRule", `route: [{destination: {host: api.example.com, subset: v1}}]`],
  ["accepts every duration form Istio documents", `route: [{destination: {host: api.example.com}}]\ntimeout: 1h\nretries: {attempts: 1, perTryTimeout: 250ms, backoff: 0.5s}`],
];

describe("VirtualService http rules that must load", () => {
  it.each(valid)("%s", (_name, rule) => {
    expect(errors(load(vsWithRule(rule)).issues)).toEqual([]);
  });
});
