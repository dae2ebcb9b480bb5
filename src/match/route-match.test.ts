/** Every HTTPMatchRequest field through the compiled matcher (ISTIO-SEMANTICS §1.2). */
import { describe, expect, it } from "vitest";
import type { RouteMatch } from "../table/types.ts";
import { req } from "../../test/fixtures/table.ts";
import { MatchInput, compileRouteMatch, matchesRoute } from "./route-match.ts";

const re = (src: string) => ({ regex: src, js: `^(?:${src})$`, flags: "u" });
type Init = Parameters<typeof req>[1];

const cases: Array<{ name: string; match: RouteMatch | null; url: string; init?: Init; want: boolean }> = [
  { name: "no match (a rule without match) matches everything", match: null, url: "http://a.com/anything?x", want: true },
  { name: "an empty match matches everything", match: {}, url: "http://a.com/x", want: true },
  { name: "uri prefix compares the start of path+query", match: { uri: { prefix: "/a?x=1" } }, url: "http://a.com/a?x=1&y", want: true },
  { name: "uri exact ignores the query", match: { uri: { exact: "/a" } }, url: "http://a.com/a?x", want: true },
  { name: "uri exact with ignoreUriCase", match: { uri: { exact: "/ABC" }, ignoreUriCase: true }, url: "http://a.com/abc", want: true },
  { name: "uri prefix with ignoreUriCase", match: { uri: { prefix: "/ABC" }, ignoreUriCase: true }, url: "http://a.com/abcdef", want: true },
  { name: "uri regex is not affected by ignoreUriCase", match: { uri: re("/ABC"), ignoreUriCase: true }, url: "http://a.com/abc", want: false },
  { name: "uri regex sees the path without query", match: { uri: re("/a/\\d+") }, url: "http://a.com/a/12?q=1", want: true },
  { name: "uri empty prefix matches everything", match: { uri: { prefix: "" } }, url: "http://a.com/x", want: true },
  { name: "method is case-sensitive", match: { method: { exact: "get" } }, url: "http://a.com/", want: false },
  { name: "method exact", match: { method: { exact: "POST" } }, url: "http://a.com/", init: { method: "POST" }, want: true },
  { name: "method regex", match: { method: re("GET|HEAD") }, url: "http://a.com/", init: { method: "HEAD" }, want: true },
  { name: "scheme matches the downstream scheme", match: { scheme: { exact: "https" } }, url: "https://a.com/", want: true },
  { name: "scheme mismatch", match: { scheme: { exact: "https" } }, url: "http://a.com/", want: false },
  { name: "authority compares the raw Host including the port", match: { authority: { exact: "a.com:8080" } }, url: "http://a.com:8080/", want: true },
  { name: "authority exact without port does not match a Host with port", match: { authority: { exact: "a.com" } }, url: "http://a.com:8080/", want: false },
  { name: "authority prefix", match: { authority: { prefix: "a." } }, url: "http://a.com/", want: true },
  { name: "header exact", match: { headers: [["x", { exact: "1" }]] }, url: "http://a.com/", init: { headers: { x: "1" } }, want: true },
  { name: "header value matcher fails on a missing header", match: { headers: [["x", { exact: "" }]] }, url: "http://a.com/", want: false },
  { name: "header exact '' matches a present empty header", match: { headers: [["x", { exact: "" }]] }, url: "http://a.com/", init: { headers: { x: "" } }, want: true },
  { name: "header prefix", match: { headers: [["x", { prefix: "ab" }]] }, url: "http://a.com/", init: { headers: { x: "abc" } }, want: true },
  { name: "header regex is a full match of the whole value", match: { headers: [["x", re("b")] ] }, url: "http://a.com/", init: { headers: { x: "abc" } }, want: false },
  { name: "repeated headers are matched joined with ', '", match: { headers: [["x", { exact: "1, 2" }]] }, url: "http://a.com/", init: { headers: { x: ["1", "2"] } }, want: true },
  { name: "all headers must match (AND)", match: { headers: [["x", { exact: "1" }], ["y", { present: true }]] }, url: "http://a.com/", init: { headers: { x: "1" } }, want: false },
  { name: "withoutHeaders presence means absent", match: { withoutHeaders: [["x", { present: true }]] }, url: "http://a.com/", want: true },
  { name: "withoutHeaders presence fails when present", match: { withoutHeaders: [["x", { present: true }]] }, url: "http://a.com/", init: { headers: { x: "" } }, want: false },
  { name: "withoutHeaders exact '' does not match a missing header (missing counts as '')", match: { withoutHeaders: [["x", { exact: "" }]] }, url: "http://a.com/", want: false },
  { name: "withoutHeaders regex", match: { withoutHeaders: [["x", re("a.*")]] }, url: "http://a.com/", init: { headers: { x: "bcd" } }, want: true },
  // Istio accepts pseudo-header names in headers/withoutHeaders (validation_test.go TestValidateHTTPHeaderName ":authority"); Envoy reads the request line.
  { name: "header ':authority' reads the raw Host", match: { headers: [[":authority", { exact: "a.com:8080" }]] }, url: "http://a.com:8080/", want: true },
  { name: "header ':authority' mismatch", match: { headers: [[":authority", { prefix: "b." }]] }, url: "http://a.com/", want: false },
  { name: "header ':method' reads the method", match: { headers: [[":method", { exact: "POST" }]] }, url: "http://a.com/", init: { method: "POST" }, want: true },
  { name: "header ':path' reads path and query", match: { headers: [[":path", { exact: "/a?x=1" }]] }, url: "http://a.com/a?x=1", want: true },
  { name: "header ':scheme' reads the scheme", match: { headers: [[":scheme", { exact: "https" }]] }, url: "https://a.com/", want: true },
  { name: "header ':status' is never present on a request", match: { headers: [[":status", { present: true }]] }, url: "http://a.com/", want: false },
  { name: "withoutHeaders ':method' excludes that method", match: { withoutHeaders: [[":method", { exact: "DELETE" }]] }, url: "http://a.com/", init: { method: "DELETE" }, want: false },
  { name: "query names are case-sensitive", match: { queryParams: [["V", { exact: "1" }]] }, url: "http://a.com/?v=1", want: false },
  { name: "query uses the first value of a repeated param", match: { queryParams: [["v", { exact: "1" }]] }, url: "http://a.com/?v=1&v=2", want: true },
  { name: "query does not see a later repeated value", match: { queryParams: [["v", { exact: "2" }]] }, url: "http://a.com/?v=1&v=2", want: false },
  { name: "query values are not percent-decoded (Envoy parseQueryString)", match: { queryParams: [["v", { exact: "a b" }]] }, url: "http://a.com/?v=a%20b", want: false },
  { name: "query regex is a full match", match: { queryParams: [["v", re("\\d+")]] }, url: "http://a.com/?v=a123", want: false },
  { name: "query presence", match: { queryParams: [["v", { present: true }]] }, url: "http://a.com/?v", want: true },
  { name: "query presence fails without the param", match: { queryParams: [["v", { present: true }]] }, url: "http://a.com/?w=1", want: false },
  { name: "query value keeps everything after the first '='", match: { queryParams: [["v", { exact: "a=b" }]] }, url: "http://a.com/?v=a=b", want: true },
];

describe("compileRouteMatch", () => {
  it.each(cases)("$name", ({ match, url, init, want }) => {
    expect(matchesRoute(compileRouteMatch(match), new MatchInput(req(url, init)))).toBe(want);
  });
});
