/**
 * ISTIO-SEMANTICS §2.16 vectors #34–#36: the CORS filter (Envoy cors_filter, Istio
 * TranslateCORSPolicy). It runs before the router: an allowed preflight is answered at the edge,
 * a disallowed one is forwarded (unmatchedPreflights FORWARD), an actual request is never
 * blocked. Every row: YAML → loadConfig → compile → prepare → factsFromRequest → decide.
 */
import { describe, expect, it } from "vitest";
import { rule, runVector, vs, type Vector } from "./pipeline.ts";

const CORS = vs(
  rule(null, "s1", "      corsPolicy:\n        allowOrigins: [{ exact: \"https://a.com\" }]\n        allowMethods: [GET, POST]\n        maxAge: 24h\n"),
);
const preflight = (origin: string) => ({ method: "OPTIONS", headers: { origin, "access-control-request-method": "POST" } });

const vectors: Vector[] = [
  {
    name: "#34 an allowed preflight is answered locally: origin echoed, methods joined with ',', max-age in seconds, no credentials",
    config: [CORS],
    url: "http://a.com/api",
    req: preflight("https://a.com"),
    expect: {
      kind: "corsPreflight",
      cors: { "access-control-allow-origin": "https://a.com", "access-control-allow-methods": "GET,POST", "access-control-max-age": "86400" },
    },
  },
  {
    name: "#35 a preflight from an origin not allowed is forwarded to the upstream unchanged",
    config: [CORS],
    url: "http://a.com/api",
    req: preflight("https://b.com"),
    expect: { kind: "forward", to: "s1", cors: {} },
  },
  {
    name: "#36 an actual GET from an allowed origin is forwarded and its response gets allow-origin",
    config: [CORS],
    url: "http://a.com/api",
    req: { headers: { origin: "https://a.com" } },
    expect: { kind: "forward", to: "s1", cors: { "access-control-allow-origin": "https://a.com" } },
  },
];

describe("ISTIO-SEMANTICS §2.16 vectors #34–#36 (CORS)", () => {
  // toEqual, not toMatchObject: the header sets must be exactly these (no allow-credentials, no `*`).
  it.each(vectors)("$name", async (v) => {
    const o = await runVector(v);
    expect(o).toMatchObject({ kind: v.expect.kind });
    expect(o.cors).toEqual(v.expect.cors);
    if (v.expect.to) expect(o.to).toBe(v.expect.to);
  });
});
