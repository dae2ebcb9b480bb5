/**
 * The console's Canaries page inside workerd, on the real Worker with wrangler.toml's STATE
 * binding (real GatewayState objects and alarms): the list and one rollout's page read the
 * rollouts API's own answers; promote/pause/resume/abort go through a confirmation page and a
 * POST that needs the session's CSRF token and the console's origin (Bearer: neither); the API's
 * 404/409/503 become the page's error with the same status. Tests share one isolate, in order.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import { createExecutionContext, runDurableObjectAlarm, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/worker.ts";
import type { Env } from "../../src/env.ts";
import type { RouteRollout } from "../../src/table/types.ts";
import type { RolloutStatus } from "../../src/rollout/status.ts";
import { count, emptyCounts } from "../../src/rollout/counters.ts";
import { rolloutObject } from "../../src/state/names.ts";
import { canaryTable, pushTable } from "../fixtures/pushed.ts";

const TOKEN = "test-admin-token";
const ORIGIN = "http://console.example";
const UI = `${ORIGIN}/__gateway/ui`;
const bearer = { authorization: `Bearer ${TOKEN}` };

const HASH = "console-canaries-1";
/** Canary web/checkout as compiled (beforeAll). */
let ROLLOUT: RouteRollout;

beforeAll(async () => {
  const { table, rollout } = await canaryTable(
    HASH,
    "{ interval: 1m, threshold: 2, stepWeights: [10, 40], minRequests: 5, successRate: { min: 95 }, latencyP99: { maxMs: 800 } }",
    "web",
  );
  ROLLOUT = rollout;
  expect(ROLLOUT).toEqual({ name: "web/checkout", primary: 0, canary: 1, specHash: expect.stringMatching(/^[0-9a-f]{16}$/), steps: [10, 40], intervalMs: 60_000, threshold: 2, minRequests: 5, successRate: { min: 95 }, latencyP99: { maxMs: 800 }, failures: { statuses: ["5xx"], gatewayErrors: true, timeouts: true } });
  await pushTable(env.ROUTES, table);
  for (let i = 0; i < 40; i++) {
    const res = await exports.default.fetch(`${ORIGIN}/__gateway/config`, { headers: bearer });
    if (((await res.json()) as { version: string | null }).version === HASH) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the pushed table was never served");
});

const get = (path: string, headers: Record<string, string> = {}) => exports.default.fetch(`${UI}${path}`, { headers, redirect: "manual" });

async function login(): Promise<string> {
  const res = await exports.default.fetch(`${UI}/login`, { method: "POST", body: new URLSearchParams({ token: TOKEN }), headers: { origin: ORIGIN }, redirect: "manual" });
  expect(res.status).toBe(303);
  return (res.headers.get("set-cookie") ?? "").split(";")[0]!;
}

/** The hidden fields of the page's action form (not the logout form). */
function actionForm(html: string): Record<string, string> {
  const form = /<form method="post" action="\/__gateway\/ui\/canaries\/act"[^>]*>([\s\S]*?)<\/form>/.exec(html);
  if (!form) throw new Error("no action form on the page");
  return Object.fromEntries([...form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

const act = (body: Record<string, string>, headers: Record<string, string>) =>
  exports.default.fetch(`${UI}/canaries/act`, { method: "POST", body: new URLSearchParams(body), headers, redirect: "manual" });

async function apiStatus(): Promise<RolloutStatus> {
  const res = await exports.default.fetch(`${ORIGIN}/__gateway/rollouts/web%2Fcheckout`, { headers: bearer });
  return (await res.json()) as RolloutStatus;
}

/** Text of the page with tags removed and whitespace collapsed (what a reader sees). */
const text = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/&gt;/g, ">").replace(/&lt;/g, "<").replace(/&amp;/g, "&").replace(/&#39;/g, "'").replace(/\s+/g, " ");

describe("console: Canaries", () => {
  it("needs a session or the token: without, the login form and no rollout data", async () => {
    for (const path of ["/canaries", "/canaries/rollout?name=web/checkout", "/canaries/confirm?name=web/checkout&action=abort"]) {
      const res = await get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.get("location")).toBe("/__gateway/ui/login");
      expect(await res.text()).not.toContain("web/checkout");
    }
    const post = await act({ name: "web/checkout", action: "abort" }, {});
    expect(post.status).toBe(401);
    expect((await apiStatus()).source).toBe("initial");
  });

  it("lists every rollout: not started yet, the pushed weights as a bar, a link to its page; the nav marks the page", async () => {
    const res = await get("/canaries", bearer);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    const html = await res.text();
    expect(html).toContain('<a href="/__gateway/ui/canaries" aria-current="page">Canaries</a>');
    expect(html).toContain('<tr data-rollout="web/checkout">');
    expect(html).toContain('<a href="/__gateway/ui/canaries/rollout?name=web%2Fcheckout">web/checkout</a>');
    expect(text(html)).toContain("web/shop · rule checkout");
    expect(html).toMatch(/<span class="badge">not started<\/span>\s*<\/td>/);
    expect(html).toMatch(/<svg class="split"[^>]*aria-label="weights of web\/checkout: primary 100%, canary 0%"/);
    expect(text(html)).toContain("none yet");
    expect(html).not.toContain('id="no-state-plane"');
  });

  it("one rollout: state, what it drives, weights, steps, analysis, failures, no history yet, the actions", async () => {
    const html = await (await get("/canaries/rollout?name=web/checkout", bearer)).text();
    const t = text(html);
    expect(t).toContain("Canary web/checkout");
    expect(t).toContain("Drives VirtualService web/shop , rule checkout");
    expect(t).toContain("Steps 10% → 40% → 100%");
    expect(t).toContain("Analysis every 1m: success rate ≥ 95%; p99 ≤ 800 ms; at least 5 canary requests to judge; abort after 2 failed checks");
    expect(t).toContain("Failures 5xx, gateway errors, timeouts count as failed requests");
    expect(t).toContain("Failed checks 0 of 2");
    expect(t).toContain("Nothing yet: the first interval is judged once the rollout starts.");
    for (const a of ["Promote", "Pause", "Abort"]) expect(html).toContain(`aria-label="${a} web/checkout…"`);
    expect(html).not.toContain('aria-label="Resume web/checkout…"');
    expect(html).toContain('href="/__gateway/ui/canaries/confirm?name=web%2Fcheckout&amp;action=pause"');
  });

  it("pause: a confirmation page says what it does; the session's POST needs the CSRF token and our origin", async () => {
    const cookie = await login();
    const confirm = await get("/canaries/confirm?name=web%2Fcheckout&action=pause", { cookie });
    expect(confirm.status).toBe(200);
    const html = await confirm.text();
    expect(text(html)).toContain("Pause web/checkout?");
    expect(text(html)).toContain("The weights stay at primary 100%, canary 0%, and intervals are not judged until you resume.");
    const form = actionForm(html);
    expect(form).toMatchObject({ name: "web/checkout", action: "pause" });
    expect(form._csrf).toMatch(/^[A-Za-z0-9_-]{43}$/);
    // Forged: no token, a wrong token, another site. Nothing changes.
    expect((await act({ name: "web/checkout", action: "pause" }, { cookie, origin: ORIGIN })).status).toBe(403);
    expect((await act({ ...form, _csrf: "x".repeat(43) }, { cookie, origin: ORIGIN })).status).toBe(403);
    expect((await act(form, { cookie, origin: "https://evil.example" })).status).toBe(403);
    expect((await apiStatus()).source).toBe("initial");
    // The console's own form.
    const done = await act(form, { cookie, origin: ORIGIN });
    expect(done.status).toBe(200);
    const page = text(await done.text());
    expect(page).toContain("pause: web/checkout is paused at step 1 of 2 (10%), primary 90%, canary 10%.");
    expect(page).toMatch(/pause at \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ: operator: pause at 10%/);
    expect(await apiStatus()).toMatchObject({ source: "object", state: { phase: "paused" }, weights: { primary: 90, canary: 10 } });
  });

  it("an action the phase does not allow is a 409 with the API's reason on the rollout's page", async () => {
    const res = await act({ name: "web/checkout", action: "pause" }, bearer);
    expect(res.status).toBe(409);
    expect(text(await res.text())).toContain("pause web/checkout: cannot pause rollout web/checkout: it is paused");
  });

  it("resume (Bearer: no CSRF token needed), then the interval history shows each variant's metrics, the decision and why", async () => {
    const res = await act({ name: "web/checkout", action: "resume" }, bearer);
    expect(res.status).toBe(200);
    // What isolates would have flushed: 8 canary requests (1 failed) and 40 primary ones.
    const counts = emptyCounts();
    for (let i = 0; i < 8; i++) count(counts, "canary", i === 0, 30);
    for (let i = 0; i < 40; i++) count(counts, "primary", false, 25);
    const stub = env.STATE.get(env.STATE.idFromName(rolloutObject(ROLLOUT.name)));
    const sync = { rollout: ROLLOUT, target: { virtualService: "web/shop", rule: "checkout" }, activatedAt: new Date(0).toISOString() };
    const report = await stub.fetch(`https://state/rollout/report?name=${encodeURIComponent(ROLLOUT.name)}`, { method: "POST", body: JSON.stringify({ sync, counts }) });
    expect(report.status).toBe(200);
    await report.arrayBuffer();
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const html = await (await get("/canaries/rollout?name=web/checkout", bearer)).text();
    const rows = [...html.matchAll(/<tr[^>]*data-kind="([^"]+)"[^>]*>([\s\S]*?)<\/tr>/g)].map((m) => [m[1]!, text(m[2]!).trim()] as const);
    // Newest first (p99s are the histogram's bucket bounds above 25 and 30 ms): the hold, then the operator's resume and pause, then the start.
    expect(rows.map((r) => r[0])).toEqual(["hold", "resume", "pause", "start"]);
    expect(rows[0]![1]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ hold 10% 40 0 100% 28\.42 ms 8 1 87\.5% 35\.53 ms success rate 87\.5% < 95% — failed check 1 of 2: hold at 10%$/);
    expect(rows[1]![1]).toMatch(/ resume 10% operator action operator: resume at 10%$/);
    expect(html).toContain('<tr class="bad-row" data-kind="hold">');
    expect(text(html)).toContain("Failed checks 1 of 2");
    expect(text(html)).toMatch(/Last decision hold at .*: success rate 87\.5% < 95%/);
    // The list says the same.
    expect(text(await (await get("/canaries", bearer)).text())).toContain("progressing step 1 of 2 (10%)");
  });

  it("abort: the canary back to 0 %; the page says every visitor returns to the primary", async () => {
    const confirm = text(await (await get("/canaries/confirm?name=checkout&action=abort", bearer)).text());
    expect(confirm).toContain("The canary gets 0% now: every visitor returns to the primary v1.svc (and keeps its visitor id).");
    const res = await act({ name: "checkout", action: "abort" }, bearer);
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(text(page)).toContain("abort: web/checkout is aborted, primary 100%, canary 0%.");
    expect(page).toContain('<span class="badge bad">aborted</span>');
    // Only promote is left for an aborted rollout.
    expect(page).toContain('aria-label="Promote web/checkout…"');
    expect(page).not.toContain('aria-label="Abort web/checkout…"');
    expect(await apiStatus()).toMatchObject({ state: { phase: "aborted", canaryWeight: 0 }, weights: { primary: 100, canary: 0 } });
  });

  it("an unknown rollout or action: the list with the reason, 404 / 400; nothing changes", async () => {
    const unknown = await get("/canaries/rollout?name=web/nope", bearer);
    expect(unknown.status).toBe(404);
    expect(text(await unknown.text())).toContain("no Canary named web/nope in the active route table");
    expect((await get("/canaries/confirm?name=web/checkout&action=explode", bearer)).status).toBe(400);
    expect((await act({ name: "web/checkout", action: "explode" }, bearer)).status).toBe(400);
    const post = await act({ name: "web/nope", action: "abort" }, bearer);
    expect(post.status).toBe(404);
    expect(text(await post.text())).toContain("abort web/nope: no Canary named web/nope");
  });

  it("without the STATE binding: the page says so, offers no action, and a POST is a 503", async () => {
    const noState = { ...env, STATE: undefined } as unknown as Env;
    const call = async (path: string, init: RequestInit = {}) => {
      const ctx = createExecutionContext();
      const res = await worker.fetch(new Request(`${UI}${path}`, { ...init, headers: bearer }), noState, ctx);
      await waitOnExecutionContext(ctx);
      return { status: res.status, html: await res.text() };
    };
    const list = await call("/canaries");
    expect(list.status).toBe(200);
    expect(list.html).toContain('id="no-state-plane"');
    const one = await call("/canaries/rollout?name=web/checkout");
    expect(one.html).toContain('id="no-state-plane"');
    expect(one.html).not.toContain("/__gateway/ui/canaries/confirm");
    const post = await call("/canaries/act", { method: "POST", body: new URLSearchParams({ name: "web/checkout", action: "abort" }) });
    expect(post.status).toBe(503);
    expect(text(post.html)).toContain("STATE Durable Object binding is not configured");
  });
});
