import { describe, expect, it } from "vitest";
import type { CorsPolicy } from "../table/types.ts";
import { req } from "../../test/fixtures/table.ts";
import { compileCors, evaluateCors } from "./cors.ts";

const base: CorsPolicy = { allowOrigins: [{ exact: "https://a.com" }], allowMethods: [], allowHeaders: [], exposeHeaders: [], unmatchedPreflights: "FORWARD" };
const pre = (headers: Record<string, string>) => req("http://x.com/", { method: "OPTIONS", headers: { "access-control-request-method": "PUT", ...headers } });

describe("evaluateCors", () => {
  it("a request without Origin is not a CORS request", () => {
    expect(evaluateCors(compileCors(base), req("http://x.com/"))).toEqual({ kind: "none" });
  });
  it("OPTIONS without Access-Control-Request-Method is an actual request", () => {
    expect(evaluateCors(compileCors(base), req("http://x.com/", { method: "OPTIONS", headers: { origin: "https://a.com" } })).kind).toBe("actual");
  });
  it("a preflight gets credentials, methods, headers and max-age in order, joined without spaces", () => {
    const c = compileCors({ ...base, allowCredentials: true, allowMethods: ["GET", "PUT"], allowHeaders: ["x-a", "x-b"], exposeHeaders: ["x-e"], maxAgeSeconds: 60 });
    expect(evaluateCors(c, pre({ origin: "https://a.com" }))).toEqual({
      kind: "preflight",
      headers: [
        ["access-control-allow-origin", "https://a.com"],
        ["access-control-allow-credentials", "true"],
        ["access-control-allow-methods", "GET,PUT"],
        ["access-control-allow-headers", "x-a,x-b"],
        ["access-control-max-age", "60"],
      ],
    });
  });
  it("`*` methods and headers echo the request's", () => {
    const c = compileCors({ ...base, allowMethods: ["*"], allowHeaders: ["*"] });
    expect(evaluateCors(c, pre({ origin: "https://a.com", "access-control-request-headers": "x-y" }))).toMatchObject({
      headers: [["access-control-allow-origin", "https://a.com"], ["access-control-allow-methods", "PUT"], ["access-control-allow-headers", "x-y"]],
    });
  });
  it("exact '*' allows every origin, echoing it (never '*')", () => {
    const c = compileCors({ ...base, allowOrigins: [{ exact: "*" }] });
    expect(evaluateCors(c, req("http://x.com/", { headers: { origin: "https://z.org" } }))).toEqual({ kind: "actual", headers: [["access-control-allow-origin", "https://z.org"]] });
  });
  it.each([
    [{ prefix: "https://" }, "https://q.com", true],
    [{ regex: "https://.*\\.a\\.com", js: "^(?:https://.*\\.a\\.com)$", flags: "u" }, "https://x.a.com", true],
    [{ exact: "https://a.com" }, "https://A.com", false],
  ])("origin matcher %j vs %s", (m, origin, allowed) => {
    expect(evaluateCors(compileCors({ ...base, allowOrigins: [m] }), req("http://x.com/", { headers: { origin } })).kind).toBe(allowed ? "actual" : "none");
  });
  it("actual requests get credentials and expose-headers", () => {
    const c = compileCors({ ...base, allowCredentials: true, exposeHeaders: ["x-a", "x-b"] });
    expect(evaluateCors(c, req("http://x.com/", { headers: { origin: "https://a.com" } }))).toEqual({
      kind: "actual",
      headers: [["access-control-allow-origin", "https://a.com"], ["access-control-allow-credentials", "true"], ["access-control-expose-headers", "x-a,x-b"]],
    });
  });
});
