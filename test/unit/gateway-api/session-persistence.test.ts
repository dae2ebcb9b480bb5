/**
 * HTTPRoute sessionPersistence (GEP-1619, GATEWAY-API-SEMANTICS §9) served by the sticky,
 * monotone split (compile/gateway-api/session.ts, select/weighted.ts): YAML → loadConfig →
 * compile → decide, with minted ids as the Worker mints them. The checks follow the GEP's planned
 * conformance list: the first response sets the session, later requests stay on one backend,
 * a Session cookie has no Max-Age, new sessions follow the weights, sessions are per rule, a
 * Permanent cookie lives absoluteTimeout.
 */
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../../src/config/index.ts";
import { decide } from "../../../src/decide.ts";
import type { Decision, ForwardDecision } from "../../../src/decision.ts";
import { factsFromRequest } from "../../../src/match/facts.ts";
import type { PreparedTable } from "../../../src/prepare.ts";
import { build } from "../vectors/pipeline.ts";
import { gateway, httpRoute, SERVICES } from "./helpers.ts";

const host = (name: string) => `${name}.infra.svc.cluster.local`;

async function compiled(rules: string) {
  const b = await build(gateway(), SERVICES, httpRoute(rules, { name: "shop" }));
  return b;
}

async function table(rules: string): Promise<{ prepared: PreparedTable; issues: ReturnType<typeof formatIssue>[] }> {
  const b = await compiled(rules);
  expect(b.issues.filter((i) => i.severity === "error").map(formatIssue), "config must compile").toEqual([]);
  return { prepared: b.prepared!, issues: b.issues.map(formatIssue) };
}

function send(t: PreparedTable, path: string, headers: Record<string, string> = {}, rand = () => 0.5): ForwardDecision {
  const facts = factsFromRequest(new Request(`http://shop.example${path}`, { headers }));
  if ("error" in facts) throw new Error(facts.reason);
  const d: Decision = decide(t, facts, { rand, now: 0, newVisitorId: () => crypto.randomUUID() });
  expect(d.kind).toBe("forward");
  return d as ForwardDecision;
}

const cookieOf = (setCookie: string) => setCookie.split(";")[0]!;
const responseSet = (d: ForwardDecision, name: string) => d.responseHeaders.flatMap((o) => o.set ?? []).find(([n]) => n === name)?.[1];

const TWO = (sp: string, weights = [50, 50], extra = "") =>
  `    - backendRefs: [{ name: a, port: 8080, weight: ${weights[0]} }, { name: b, port: 8080, weight: ${weights[1]} }]\n      sessionPersistence: ${sp}\n${extra}`;

describe("sessionPersistence: Cookie (default)", () => {
  it("the first response sets a session cookie (generated name, Path=/, no Max-Age); 50 later requests with it reach one backend", async () => {
    const { prepared } = await table(TWO("{}"));
    const first = send(prepared, "/cart");
    expect(first.setCookies).toHaveLength(1);
    expect(first.setCookies[0]).toMatch(/^gw-session\.infra\.shop\.0=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
    const cookie = cookieOf(first.setCookies[0]!);
    for (let i = 0; i < 50; i++) {
      const d = send(prepared, "/cart", { cookie }, () => Math.random());
      expect(d.target.destination.host).toBe(first.target.destination.host);
      expect(d.setCookies).toEqual([]);
    }
  });

  it("new sessions follow the weights (70/30 over 4,000 sessions within ±3 pp)", async () => {
    const { prepared } = await table(TWO("{}", [70, 30]));
    let a = 0;
    for (let i = 0; i < 4000; i++) if (send(prepared, "/").target.destination.host === host("a")) a++;
    expect(Math.abs((100 * a) / 4000 - 70)).toBeLessThanOrEqual(3);
  });

  it("sessions are per rule: two rules to the same backends use different cookies and independent assignments", async () => {
    const rules = TWO("{}", [50, 50], "      matches: [{ path: { value: /a } }]\n") + TWO("{}", [50, 50], "      matches: [{ path: { value: /b } }]\n");
    const { prepared } = await table(rules);
    const a = send(prepared, "/a").setCookies[0]!;
    const b = send(prepared, "/b").setCookies[0]!;
    expect(a.split("=")[0]).not.toBe(b.split("=")[0]);
    // The /a cookie does not make a /b session.
    expect(send(prepared, "/b", { cookie: cookieOf(a) }).setCookies).toHaveLength(1);
  });

  it("a Permanent cookie gets Max-Age = absoluteTimeout (main shape: cookie.name/lifetimeType; v1.6.1 shape: sessionName/cookieConfig)", async () => {
    const main = await table(TWO("{ absoluteTimeout: 1h30m, cookie: { name: sid, lifetimeType: Permanent, path: /shop } }"));
    expect(send(main.prepared, "/").setCookies[0]).toMatch(/^sid=[0-9a-f]{32}; Max-Age=5400; Path=\/shop; HttpOnly; SameSite=Lax$/);
    const old = await table(TWO("{ sessionName: legacy, absoluteTimeout: 10m, cookieConfig: { lifetimeType: Permanent } }"));
    expect(send(old.prepared, "/").setCookies[0]).toMatch(/^legacy=[0-9a-f]{32}; Max-Age=600; /);
  });

  it("sessions survive a weight change except the share the change moves (monotone), and a removed backend's sessions move", async () => {
    const before = (await table(TWO("{ cookie: { name: sid } }", [70, 30]))).prepared;
    const after = (await table(TWO("{ cookie: { name: sid } }", [50, 50]))).prepared;
    let moved = 0;
    for (let i = 0; i < 1000; i++) {
      const first = send(before, "/");
      const cookie = cookieOf(first.setCookies[0]!);
      const then = send(after, "/", { cookie });
      if (then.target.destination.host !== first.target.destination.host) {
        moved++;
        // Raising b's weight only moves sessions into b.
        expect(first.target.destination.host).toBe(host("a"));
      }
    }
    // ≈ 20 % of sessions move (70 → 50 on a), not a re-deal of everyone.
    expect(moved).toBeGreaterThan(120);
    expect(moved).toBeLessThan(300);
  });

  it("an absoluteTimeout on a Session cookie is reported where it is written (not enforced at the edge)", async () => {
    const rules = TWO("{ absoluteTimeout: 1h }");
    const { issues } = await table(rules);
    expect(issues.filter((i) => i.includes("absoluteTimeout is not enforced"))).toEqual([
      expect.stringMatching(/^vectors\.yaml:\d+:\d+: warning: spec\.rules\[0\]\.sessionPersistence\.absoluteTimeout: /),
    ]);
  });

  it("a single backendRef needs no session: no cookie", async () => {
    const { prepared } = await table("    - backendRefs: [{ name: a, port: 8080 }]\n      sessionPersistence: {}\n");
    expect(send(prepared, "/").setCookies).toEqual([]);
  });

  it("the CRD's CEL rules are errors: Permanent without absoluteTimeout, a header block on a Cookie session", async () => {
    const b1 = await compiled(TWO("{ cookie: { lifetimeType: Permanent } }"));
    expect(b1.issues.filter((i) => i.severity === "error").map((i) => `${i.path}: ${i.message}`)).toEqual([
      "spec.rules[0].sessionPersistence.cookie.lifetimeType: absoluteTimeout must be specified when cookie lifetimeType is Permanent",
    ]);
    const b2 = await compiled(TWO("{ header: { name: x-session } }"));
    expect(b2.issues.filter((i) => i.severity === "error").map((i) => i.path)).toEqual(["spec.rules[0].sessionPersistence.header"]);
  });
});

describe("sessionPersistence: Header", () => {
  it("the id is returned in the named response header, never as a cookie; sending it back keeps the backend", async () => {
    const { prepared } = await table(TWO("{ type: Header, header: { name: X-Session } }"));
    const first = send(prepared, "/");
    expect(first.setCookies).toEqual([]);
    const id = responseSet(first, "x-session")!;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    for (let i = 0; i < 30; i++) {
      const d = send(prepared, "/", { "X-Session": id }, () => Math.random());
      expect(d.target.destination.host).toBe(first.target.destination.host);
      expect(responseSet(d, "x-session")).toBe(id);
    }
    // A value the gateway did not mint is no session: a new one is issued.
    expect(responseSet(send(prepared, "/", { "x-session": "forged; value" }), "x-session")).toMatch(/^[0-9a-f]{32}$/);
  });
});
