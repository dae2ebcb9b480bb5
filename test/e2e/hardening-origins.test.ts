/**
 * Hardening against bad origins, end to end: the real bundled Worker (Miniflare/workerd) in front
 * of a raw `net` origin that breaks HTTP on purpose (scripts/lib/load/bad-origin.ts: garbage, an
 * invalid status line, a header without a colon, Content-Length lies, FIN/RST before headers, RST
 * mid-body, stalls, dripped bytes), a refused port, and a healthy echo origin.
 *
 * What must hold for every fault: the client gets a correct 5xx with Envoy's body (503
 * `upstream connect error or disconnect/reset before headers. reset reason: …`, 504
 * `upstream request timeout` when the route has a timeout), or — once response headers went out —
 * a cleanly terminated stream, within a bound; and healthy requests running at the same time, to
 * the same origin or another one, all succeed with their own answers.
 *
 * Differences from Envoy that workerd imposes, pinned here so a change is noticed:
 * - workerd reports every connection-level failure before headers (refused, FIN, RST, malformed
 *   status line or headers) as `Network connection lost.`, so the reason is always
 *   `remote connection failure` and the status 503; Envoy says `protocol error` (502) for a
 *   malformed response. The body prefix and status class are the same.
 * - A body longer than its Content-Length is cut at Content-Length (as Envoy's codec does).
 *
 * Every request carries its own client deadline (`within`), so a hang fails fast with a clear
 * message instead of running into the suite timeout. Istio disables the stream idle timeout
 * (ISTIO-SEMANTICS §2.4), so without a route timeout a stalled origin is waited on as long as the
 * client waits. (Under Miniflare a client that leaves does not cancel the Worker's subrequest —
 * a one-line Worker behaves the same — so the origin's socket stays open until it closes; on
 * Cloudflare the request context and its subrequests are cancelled.)
 */
import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBadOrigin, okBody, SHORT_BODY_PROMISED, type BadMode, type BadOrigin } from "../../scripts/lib/load/bad-origin.ts";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";
import { compiledTable, gatewayYaml, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

const RESET_PREFIX = "upstream connect error or disconnect/reset before headers. reset reason: ";
/** The reason workerd lets us see for any failure before headers (see the header comment). */
const RESET_BODY = `${RESET_PREFIX}remote connection failure`;
const ROUTE_TIMEOUT_MS = 1000;
/** Generous slack for a shared 2-core machine: a bound of T must hold by T + SLACK. */
const SLACK_MS = 1500;

let bad: BadOrigin;
let echo: EchoOrigin;
let gw: Gateway;
let deadUrl: string;

/** What the client saw: a full response, a stream cut after headers, or nothing within `giveUpMs`. */
type Seen =
  | { kind: "response"; status: number; headers: Headers; body: string; ms: number }
  | { kind: "cut"; status: number; received: number; ms: number }
  | { kind: "error"; message: string; ms: number }
  | { kind: "gaveUp"; ms: number; headersSeen: boolean };

/**
 * One GET through the gateway on a fresh connection; gives up (destroys the socket) after
 * `giveUpMs`. A body that ends early, or a socket that dies after headers, is a `cut`.
 */
function within(giveUpMs: number, path: string, host = "bad.example"): Promise<Seen> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  return new Promise((resolve) => {
    let headersSeen = false;
    let settled = false;
    const done = (s: Seen) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(s);
    };
    const req = httpRequest({ host: gw.url.hostname, port: gw.url.port, path, headers: { host }, agent: false }, (res) => {
      headersSeen = true;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      const cut = () => done({ kind: "cut", status: res.statusCode ?? 0, received: Buffer.concat(chunks).length, ms: ms() });
      res.on("aborted", cut);
      res.on("error", cut);
      res.on("end", () => {
        if (!res.complete) return cut();
        const headers = new Headers();
        for (let i = 0; i < res.rawHeaders.length; i += 2) headers.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
        done({ kind: "response", status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks).toString("utf8"), ms: ms() });
      });
    });
    req.on("error", (err) => done({ kind: "error", message: err.message, ms: ms() }));
    const timer = setTimeout(() => {
      done({ kind: "gaveUp", ms: ms(), headersSeen });
      req.destroy();
    }, giveUpMs);
    req.end();
  });
}

function expectResponse(s: Seen): Extract<Seen, { kind: "response" }> {
  if (s.kind !== "response") throw new Error(`expected a complete response, got ${JSON.stringify(s)}`);
  return s;
}

beforeAll(async () => {
  [bad, echo] = await Promise.all([startBadOrigin(), startEchoOrigin("healthy")]);
  const closed = await startEchoOrigin("closed");
  deadUrl = closed.url;
  await closed.close(); // bound, then closed: connections are refused
  gw = await startGateway();
  await gw.push(
    await compiledTable(
      yamlFile(
        gatewayYaml(),
        serviceEntryYaml("bad.svc", [bad.url]),
        serviceEntryYaml("echo.svc", [echo.url]),
        serviceEntryYaml("dead.svc", [deadUrl]),
        // `/timed/<mode>/…` → the bad origin's `/<mode>/…` with a 1 s route timeout. No retries anywhere.
        virtualServiceYaml(`
          - { name: timed, match: [{ uri: { prefix: /timed/ } }], rewrite: { uri: / }, route: [{ destination: { host: bad.svc } }], timeout: ${ROUTE_TIMEOUT_MS}ms, retries: { attempts: 0 } }
          - { name: healthy, match: [{ uri: { prefix: /healthy/ } }], route: [{ destination: { host: echo.svc } }], retries: { attempts: 0 } }
          - { name: refused, match: [{ uri: { prefix: /refused/ } }], route: [{ destination: { host: dead.svc } }], retries: { attempts: 0 } }
          - { name: untimed, match: [{ uri: { prefix: / } }], route: [{ destination: { host: bad.svc } }], retries: { attempts: 0 } }`),
      ),
    ),
  );
});

afterAll(async () => {
  await gw?.close();
  await Promise.all([bad?.close(), echo?.close()]);
});

let seq = 0;
const unique = (mode: string, prefix = "") => `${prefix}/${mode}/${Date.now().toString(36)}-${seq++}`;

describe("failures before response headers become Envoy's 503 reset reply", () => {
  const cases: Array<{ what: string; path: () => string }> = [
    { what: "garbage instead of HTTP", path: () => unique("garbage") },
    { what: "an invalid status line (`HTTP/1.1 abc`)", path: () => unique("bad-status") },
    { what: "a header line without a colon", path: () => unique("bad-header") },
    { what: "FIN right after the request", path: () => unique("close") },
    { what: "RST right after the request", path: () => unique("rst") },
    { what: "a refused connection", path: () => unique("x", "/refused") },
    { what: "garbage on a route with a timeout (no wait for the timer)", path: () => unique("garbage", "/timed") },
  ];
  for (const c of cases) {
    it(`answers ${c.what} with 503 and the reset body, at once`, async () => {
      const res = expectResponse(await within(5000, c.path()));
      expect(res.status).toBe(503);
      expect(res.body).toBe(RESET_BODY);
      expect(res.headers.get("content-type")).toBe("text/plain");
      expect(res.headers.get("server")).toBe("istio-envoy");
      expect(res.ms).toBeLessThan(SLACK_MS);
    });
  }
});

describe("stalls and slow origins end within the route timeout", () => {
  it("an origin that never answers: 504 `upstream request timeout` after the 1 s route timeout", async () => {
    const res = expectResponse(await within(5000, unique("stall", "/timed")));
    expect(res.status).toBe(504);
    expect(res.body).toBe("upstream request timeout");
    expect(res.ms).toBeGreaterThanOrEqual(ROUTE_TIMEOUT_MS - 50);
    expect(res.ms).toBeLessThan(ROUTE_TIMEOUT_MS + SLACK_MS);
  });

  it("response headers dripped slower than the route timeout: 504, not a late 200", async () => {
    const res = expectResponse(await within(5000, unique("drip", "/timed")));
    expect(res.status).toBe(504);
    expect(res.body).toBe("upstream request timeout");
    expect(res.ms).toBeLessThan(ROUTE_TIMEOUT_MS + SLACK_MS);
  });

  it("the same dripped response without a route timeout arrives whole (slow is not broken)", async () => {
    const path = unique("drip");
    const res = expectResponse(await within(8000, path));
    expect(res.status).toBe(200);
    expect(res.body).toBe(okBody(path));
  });

  it("headers then silence mid-body: the stream is cut at the route timeout", async () => {
    const s = await within(5000, unique("short-stall", "/timed"));
    expect(s.kind).toBe("cut");
    if (s.kind !== "cut") return;
    expect(s.status).toBe(200);
    expect(s.received).toBeLessThan(SHORT_BODY_PROMISED);
    expect(s.ms).toBeGreaterThanOrEqual(ROUTE_TIMEOUT_MS - 50);
    expect(s.ms).toBeLessThan(ROUTE_TIMEOUT_MS + SLACK_MS);
  });

  it("without a route timeout a stall lasts as long as the client waits (Istio: no idle timeout), and the gateway answers the next request", async () => {
    const s = await within(1000, unique("stall"));
    expect(s).toMatchObject({ kind: "gaveUp", headersSeen: false });
    expect(s.ms).toBeGreaterThanOrEqual(1000);
    const next = expectResponse(await within(3000, unique("ok")));
    expect(next.status).toBe(200);
  });
});

describe("failures after response headers end the stream cleanly", () => {
  it("a body shorter than its Content-Length, then FIN: the client sees a cut stream, not a hang", async () => {
    const s = await within(5000, unique("short-body"));
    expect(s.kind).toBe("cut");
    if (s.kind === "cut") expect(s.received).toBeLessThan(SHORT_BODY_PROMISED);
  });

  it("RST in the middle of the body: the client sees a cut stream", async () => {
    const s = await within(5000, unique("rst-mid"));
    expect(s.kind).toBe("cut");
    if (s.kind === "cut") expect(s.received).toBeLessThan(SHORT_BODY_PROMISED);
  });

  it("a body longer than its Content-Length is cut at Content-Length; the extra bytes never reach the client", async () => {
    const res = expectResponse(await within(5000, unique("long-body")));
    expect(res.status).toBe(200);
    expect(res.body).toBe("yyyyy");
  });
});

describe("failing requests do not disturb the others", () => {
  const failing: Array<{ mode: BadMode | "refused"; prefix: string; expect: (s: Seen) => boolean }> = [
    { mode: "garbage", prefix: "", expect: (s) => s.kind === "response" && s.status === 503 && s.body === RESET_BODY },
    { mode: "bad-status", prefix: "", expect: (s) => s.kind === "response" && s.status === 503 && s.body === RESET_BODY },
    { mode: "rst", prefix: "", expect: (s) => s.kind === "response" && s.status === 503 && s.body === RESET_BODY },
    { mode: "close", prefix: "", expect: (s) => s.kind === "response" && s.status === 503 && s.body === RESET_BODY },
    { mode: "refused", prefix: "/refused", expect: (s) => s.kind === "response" && s.status === 503 && s.body === RESET_BODY },
    { mode: "stall", prefix: "/timed", expect: (s) => s.kind === "response" && s.status === 504 && s.body === "upstream request timeout" },
    { mode: "drip", prefix: "/timed", expect: (s) => s.kind === "response" && s.status === 504 },
    { mode: "short-body", prefix: "", expect: (s) => s.kind === "cut" },
    { mode: "rst-mid", prefix: "", expect: (s) => s.kind === "cut" },
    { mode: "short-stall", prefix: "/timed", expect: (s) => s.kind === "cut" },
  ];

  it("60 healthy requests (two origins) interleaved with 40 failing ones: every healthy one gets its own 200, every failing one its fault's answer", async () => {
    const jobs: Array<Promise<{ ok: boolean; what: string; seen: Seen }>> = [];
    for (let i = 0; i < 100; i++) {
      if (i % 5 < 3) {
        // Healthy: alternately the echo origin and the bad origin's own /ok (same host as the faults).
        const viaEcho = i % 2 === 0;
        const path = viaEcho ? unique("x", "/healthy") : unique("ok");
        jobs.push(
          within(8000, path).then((seen) => {
            const ok =
              seen.kind === "response" &&
              seen.status === 200 &&
              (viaEcho ? JSON.parse(seen.body).path === path : seen.body === okBody(path));
            return { ok, what: `healthy ${path}`, seen };
          }),
        );
      } else {
        const f = failing[i % failing.length]!;
        const path = unique(f.mode, f.prefix);
        jobs.push(within(8000, path).then((seen) => ({ ok: f.expect(seen), what: `failing ${path}`, seen })));
      }
    }
    const results = await Promise.all(jobs);
    const wrong = results.filter((r) => !r.ok).map((r) => `${r.what}: ${JSON.stringify(r.seen).slice(0, 200)}`);
    expect(wrong).toEqual([]);
    // Healthy answers are not held up behind the 1 s stalls.
    const healthyMs = results.filter((r) => r.what.startsWith("healthy")).map((r) => r.seen.ms);
    expect(Math.max(...healthyMs)).toBeLessThan(ROUTE_TIMEOUT_MS + SLACK_MS);
  }, 30_000);

  it("while 20 requests hang on an origin without a timeout, healthy requests keep flowing", async () => {
    const hanging = Array.from({ length: 20 }, () => within(4000, unique("stall")));
    await new Promise((r) => setTimeout(r, 200)); // the stalls are in flight
    for (let round = 0; round < 3; round++) {
      const healthy = await Promise.all(Array.from({ length: 10 }, () => within(3000, unique("x", "/healthy"))));
      for (const h of healthy) expect(expectResponse(h).status).toBe(200);
    }
    const stalled = await Promise.all(hanging);
    expect(stalled.every((s) => s.kind === "gaveUp")).toBe(true);
  }, 30_000);
});
