/**
 * forwardResilient(): body buffering, mirrors and budget around the retry loop, with a scripted
 * origin in virtual time (test/fixtures/forward.ts).
 */
import { describe, expect, it } from "vitest";
import type { ForwardDecision } from "../decision.ts";
import { shadowHost } from "./mirror.ts";
import { settings } from "../env.ts";
import { forwardResilient, type ResilienceSettings } from "./resilience.ts";
import { cluster, decision, mirrorTarget, plan, req, retries, scriptedFetcher, VirtualClock, type Behaviour } from "../../test/fixtures/forward.ts";

const primary = cluster(1);
const shadow = { ...cluster(1), host: "shadow", endpoints: [{ url: "http://10.9.9.9:9090", weight: 1 }] };

async function run(
  d: ForwardDecision,
  script: Record<string, Behaviour[]>,
  o: { body?: string; headers?: Record<string, string>; settings?: Partial<ResilienceSettings>; webSocket?: boolean } = {},
) {
  const clock = new VirtualClock();
  const f = scriptedFetcher(script, clock);
  const p = plan(d, { ...(o.body !== undefined ? { body: o.body } : {}), ...(o.headers ? { headers: o.headers } : {}) });
  if (o.webSocket) p.webSocket = true;
  const background: Array<Promise<unknown>> = [];
  const logs: Array<Record<string, unknown>> = [];
  const r = await clock.run(
    forwardResilient(
      d,
      p,
      { facts: req("http://a.com/p"), waitUntil: (x) => background.push(x), settings: { ...settings({}).resilience, ...o.settings } },
      { fetcher: f.fetcher, now: clock.now, rand: () => 0, clock, log: (l) => logs.push(l) },
    ),
  );
  await clock.run(Promise.all(background));
  const status = r.final.kind === "response" ? r.final.response.status : r.final.kind;
  const to = (host: string) => f.calls.filter((c) => new URL(c.url).host === host);
  return { r, status, calls: f.calls, to, cancelled: f.cancelled, background, logs };
}

const PRIMARY = "10.0.0.1:8080";
const MIRROR = "10.9.9.9:9090";

describe("mirroring (§2.16 vector 33)", () => {
  const withMirror = (over: Partial<ForwardDecision> = {}) => decision(primary, { mirrors: [mirrorTarget(shadow)], ...over });

  it("#33 the client gets the primary's response; the mirror gets a copy through waitUntil", async () => {
    const x = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: [500] });
    expect(x.status).toBe(200);
    expect(x.background).toHaveLength(1);
    expect(x.to(MIRROR)).toHaveLength(1);
    expect(x.r.notes.mirrored).toEqual([MIRROR]);
  });

  it("copies the request after header operations, with the same body and attempt count 1", async () => {
    const d = withMirror({ requestHeaders: [{ set: [["x-op", "set-by-route"]] }] });
    const x = await run(d, { [PRIMARY]: [200], [MIRROR]: [200] }, { body: "hello", headers: { "x-client": "c" } });
    const [m] = x.to(MIRROR);
    const [p] = x.to(PRIMARY);
    expect(m!.body).toBe("hello");
    expect(m!.headers.get("x-op")).toBe("set-by-route");
    expect(m!.headers.get("x-client")).toBe("c");
    expect(m!.attemptCount).toBe("1");
    expect(m!.headers.get("x-forwarded-host")).toBe(p!.headers.get("x-forwarded-host"));
  });

  it("discards the mirror's response by cancelling its body", async () => {
    const x = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: [200] });
    expect(x.cancelled.filter((c) => c.startsWith(MIRROR))).toHaveLength(1);
  });

  it("keeps the host by default (Istio ≥ 1.28) and appends MIRROR_SHADOW_HOST_SUFFIX when set", async () => {
    const keep = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: [200] });
    expect(keep.to(MIRROR)[0]!.headers.get("x-forwarded-host")).toBe("a.com");
    const old = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: [200] }, { settings: { mirrorShadowHostSuffix: "-shadow" } });
    expect(old.to(MIRROR)[0]!.headers.get("x-forwarded-host")).toBe("a.com-shadow");
    expect(old.to(PRIMARY)[0]!.headers.get("x-forwarded-host")).toBe("a.com");
  });

  it("logs a mirror that fails and still answers the client", async () => {
    const x = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: ["refused"] });
    expect(x.status).toBe(200);
    expect(x.logs).toEqual([expect.objectContaining({ msg: "mirror request failed", host: MIRROR })]);
  });

  it("does not mirror a body over the buffer limit, and says so", async () => {
    const x = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: [200] }, { body: "0123456789", settings: { retryBufferLimitBytes: 4 } });
    expect(x.to(MIRROR)).toHaveLength(0);
    expect(x.to(PRIMARY)[0]!.body).toBe("0123456789");
    expect(x.r.notes.mirrorsSkipped).toEqual([`${MIRROR}: request body over the buffer limit`]);
    expect(x.r.notes.requestBody).toBe("body over limit");
  });

  it("skips a mirror that would leave the primary's attempts without budget", async () => {
    // Istio default retries: 3 attempts; a budget of 3 leaves no spare subrequest.
    const x = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: [200] }, { settings: { subrequestBudget: 3 } });
    expect(x.to(MIRROR)).toHaveLength(0);
    expect(x.r.notes.mirrorsSkipped).toEqual([`${MIRROR}: subrequest budget exhausted`]);
    const y = await run(withMirror(), { [PRIMARY]: [200], [MIRROR]: [200] }, { settings: { subrequestBudget: 4 } });
    expect(y.to(MIRROR)).toHaveLength(1);
    expect(y.r.notes.subrequests).toBe(2);
  });

  it("still mirrors when a fault is configured (only retries and timeouts are off)", async () => {
    const x = await run(withMirror({ faultConfigured: true }), { [PRIMARY]: [200], [MIRROR]: [200] });
    expect(x.to(MIRROR)).toHaveLength(1);
  });

  it("never mirrors or retries a WebSocket upgrade", async () => {
    const x = await run(withMirror(), { [PRIMARY]: ["refused", 101], [MIRROR]: [200] }, { webSocket: true });
    expect(x.to(MIRROR)).toHaveLength(0);
    expect(x.r.attempts).toBe(1);
  });

  it("sends every mirror of `mirrors[]` that won its dice", async () => {
    const other = { ...cluster(1), host: "other", endpoints: [{ url: "http://10.8.8.8:8080", weight: 1 }] };
    const d = decision(primary, { mirrors: [mirrorTarget(shadow), mirrorTarget(other)] });
    const x = await run(d, { [PRIMARY]: [200], [MIRROR]: [200], "10.8.8.8:8080": [200] });
    expect(x.r.notes.mirrored).toEqual([MIRROR, "10.8.8.8:8080"]);
  });
});

describe("request bodies and retries (§2.16 vector 32)", () => {
  const d = () => decision(primary, { retries: retries({ attempts: 3, retryOn: ["5xx"] }) });

  it("#32 a body over the cap (by Content-Length) is sent once, not retried, and the notes say so", async () => {
    const x = await run(d(), { [PRIMARY]: [500, 200] }, { body: "x".repeat(64), headers: { "content-length": "64" }, settings: { retryBufferLimitBytes: 16 } });
    expect(x.status).toBe(500);
    expect(x.r.attempts).toBe(1);
    expect(x.r.notes).toMatchObject({ retryAbandoned: "request body streamed once", requestBody: "content-length over limit" });
    expect(x.to(PRIMARY)[0]!.body).toBe("x".repeat(64));
  });

  it("a body under the cap is retried with identical bytes", async () => {
    const x = await run(d(), { [PRIMARY]: [500, 200] }, { body: "x".repeat(16), settings: { retryBufferLimitBytes: 16 } });
    expect(x.status).toBe(200);
    expect(x.to(PRIMARY).map((c) => c.body)).toEqual(["x".repeat(16), "x".repeat(16)]);
    expect(x.r.notes.requestBody).toBeUndefined();
  });

  it("records the attempt trail when more than one attempt was made", async () => {
    const x = await run(d(), { [PRIMARY]: [503, 200] });
    expect(x.r.notes.attemptTrail).toEqual([`${PRIMARY} 503`, `${PRIMARY} 200`]);
  });
});

describe("shadowHost (Envoy's -shadow Host suffix)", () => {
  it.each([
    ["foo", "foo-shadow"],
    ["foo:8080", "foo-shadow:8080"],
    ["a.example.com", "a.example.com-shadow"],
    ["[::1]:8080", "[::1]-shadow:8080"],
    ["[::1]", "[::1]-shadow"],
  ])("%s → %s", (input, expected) => {
    expect(shadowHost(input, "-shadow")).toBe(expected);
  });
  it("leaves the host alone with an empty suffix", () => {
    expect(shadowHost("foo:8080", "")).toBe("foo:8080");
  });
});
