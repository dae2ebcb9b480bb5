/**
 * Resilience end to end: the real bundled Worker (Miniflare/workerd) in front of real origins on
 * 127.0.0.1 that fail on command (scripts/lib/echo-origin.ts): refused connections (a port bound
 * then closed), 5xx the first N times per key, delays, hangs, resets. Every rule is checked at the
 * client (status, exact body, timing) and at the origin (attempt counts, bodies).
 *
 * Timing tolerances are generous (shared CI machines): a timeout of T must answer after ≥ T − 50 ms
 * (timers may fire a hair early relative to our clock) and before T + 1.5 s.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin, type EchoRecord } from "../../scripts/lib/echo-origin.ts";
import { startGateway, type Gateway, type RawInit, type RawResponse } from "./harness/gateway.ts";
import { compiledTable, gatewayYaml, istioDoc, serviceEntryYaml, virtualServiceYaml, yamlFile } from "../fixtures/istio.ts";

const TOLERANCE_MS = 1500;
const EARLY_MS = 50;
const RESET_BODY = "upstream connect error or disconnect/reset before headers. ";

let a: EchoOrigin;
let b: EchoOrigin;
let mirror: EchoOrigin;
let slowMirror: { server: Server; url: string; received: Array<{ path: string; at: number; headers: IncomingMessage["headers"] }> };
let slowBody: { server: Server; url: string };
let gw: Gateway;
let dead: string;

/**
 * The routes under test, one prefix each, and their origins (ServiceEntries; DestinationRules for
 * the load-balancing and outlier-detection policies). A rule without `retries` gets Istio's
 * default (2 attempts on connect-failure, refused-stream, unavailable, cancelled,
 * retriable-status-codes); `budget` sets backoff 1ms so its 80 attempts take no time.
 */
function resilienceYaml(u: { a: string; b: string; mirror: string; slow: string; dead: string; slowBody: string }): string {
  const dr = (host: string, policy: string) => istioDoc("DestinationRule", host.replace(".svc", ""), `host: ${host}\ntrafficPolicy: ${policy}`);
  return yamlFile(
    gatewayYaml(),
    serviceEntryYaml("a.svc", [u.a]),
    serviceEntryYaml("b.svc", [u.b]),
    serviceEntryYaml("mirror.svc", [u.mirror]),
    serviceEntryYaml("slow.svc", [u.slow]),
    serviceEntryYaml("dead.svc", [u.dead]),
    serviceEntryYaml("slow-body.svc", [u.slowBody]),
    serviceEntryYaml("flaky.svc", [u.dead, u.a]),
    serviceEntryYaml("half-dead.svc", [u.dead, u.b]),
    serviceEntryYaml("all-dead.svc", [u.dead]),
    serviceEntryYaml("ten-percent.svc", [u.dead]),
    serviceEntryYaml("rr.svc", [u.a, u.b]),
    serviceEntryYaml("hash-header.svc", [u.a, u.b]),
    serviceEntryYaml("hash-cookie.svc", [u.a, u.b]),
    dr("flaky.svc", "{ loadBalancer: { simple: ROUND_ROBIN } }"),
    dr("half-dead.svc", "{ loadBalancer: { simple: ROUND_ROBIN }, outlierDetection: { consecutive5xxErrors: 2, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 100, minHealthPercent: 0 } }"),
    dr("all-dead.svc", "{ outlierDetection: { consecutive5xxErrors: 1, interval: 500ms, baseEjectionTime: 1s, maxEjectionPercent: 100, minHealthPercent: 0 } }"),
    dr("ten-percent.svc", "{ outlierDetection: { consecutive5xxErrors: 1, interval: 10s, baseEjectionTime: 30s, maxEjectionPercent: 10, minHealthPercent: 0 } }"),
    dr("rr.svc", "{ loadBalancer: { simple: ROUND_ROBIN } }"),
    dr("hash-header.svc", "{ loadBalancer: { consistentHash: { httpHeaderName: x-user } } }"),
    dr("hash-cookie.svc", "{ loadBalancer: { consistentHash: { httpCookie: { name: lb, ttl: 3600s, path: / } } } }"),
    virtualServiceYaml(`
      - { name: default, match: [{ uri: { prefix: /default } }], route: [{ destination: { host: a.svc } }] }
      - { name: refused-then-ok, match: [{ uri: { prefix: /flaky } }], route: [{ destination: { host: flaky.svc } }] }
      - { name: dead, match: [{ uri: { prefix: /dead } }], route: [{ destination: { host: dead.svc } }] }
      - { name: retry-5xx, match: [{ uri: { prefix: /retry5xx } }], route: [{ destination: { host: b.svc } }], retries: { attempts: 3, retryOn: 5xx } }
      - { name: timeout, match: [{ uri: { prefix: /timeout } }], route: [{ destination: { host: a.svc } }], timeout: 1s }
      - { name: timeout-body, match: [{ uri: { prefix: /slow-body } }], route: [{ destination: { host: slow-body.svc } }], timeout: 1s }
      - { name: no-timeout-body, match: [{ uri: { prefix: /full-body } }], route: [{ destination: { host: slow-body.svc } }] }
      - { name: per-try-default, match: [{ uri: { prefix: /pertry-default } }], route: [{ destination: { host: a.svc } }], retries: { attempts: 2, perTryTimeout: 1s } }
      - { name: per-try-reset, match: [{ uri: { prefix: /pertry-reset } }], route: [{ destination: { host: a.svc } }], timeout: 10s, retries: { attempts: 2, perTryTimeout: 1s, retryOn: reset } }
      - { name: big-body, match: [{ uri: { prefix: /upload } }], route: [{ destination: { host: b.svc } }], retries: { attempts: 3, retryOn: 5xx } }
      - { name: no-retries, match: [{ uri: { prefix: /plain } }], route: [{ destination: { host: a.svc } }], retries: { attempts: 0 } }
      - { name: retry-reset, match: [{ uri: { prefix: /retry-reset } }], route: [{ destination: { host: a.svc } }], retries: { attempts: 2, retryOn: reset } }
      - { name: budget, match: [{ uri: { prefix: /budget } }], route: [{ destination: { host: b.svc } }], retries: { attempts: 80, retryOn: 5xx, backoff: 1ms } }
      - { name: mirror, match: [{ uri: { prefix: /mirror } }], route: [{ destination: { host: a.svc } }], mirror: { host: mirror.svc }, mirrorPercentage: { value: 100 }, retries: { attempts: 0 } }
      - { name: slow-mirror, match: [{ uri: { prefix: /slow-mirror } }], route: [{ destination: { host: a.svc } }], mirror: { host: slow.svc }, mirrorPercentage: { value: 100 }, retries: { attempts: 0 } }
      - name: fault-abort
        match: [{ uri: { prefix: /fault-abort } }]
        route: [{ destination: { host: a.svc } }]
        fault: { abort: { httpStatus: 500, percentage: { value: 100 } } }
        mirror: { host: mirror.svc }
        mirrorPercentage: { value: 100 }
        retries: { attempts: 0 }
      - name: fault-delay
        match: [{ uri: { prefix: /fault-delay } }]
        route: [{ destination: { host: a.svc } }]
        fault: { delay: { fixedDelay: 500ms, percentage: { value: 100 } } }
        timeout: 100ms
        retries: { attempts: 3, retryOn: 5xx }
      - { name: outlier, match: [{ uri: { prefix: /outlier } }], route: [{ destination: { host: half-dead.svc } }], retries: { attempts: 0 } }
      - { name: all-ejected, match: [{ uri: { prefix: /all-ejected } }], route: [{ destination: { host: all-dead.svc } }], retries: { attempts: 0 } }
      - { name: small-cluster-default-percent, match: [{ uri: { prefix: /ten-percent } }], route: [{ destination: { host: ten-percent.svc } }], retries: { attempts: 0 } }
      - { name: round-robin, match: [{ uri: { prefix: /rr } }], route: [{ destination: { host: rr.svc } }], retries: { attempts: 0 } }
      - { name: hash-header, match: [{ uri: { prefix: /hash-header } }], route: [{ destination: { host: hash-header.svc } }], retries: { attempts: 0 } }
      - { name: hash-cookie, match: [{ uri: { prefix: /hash-cookie } }], route: [{ destination: { host: hash-cookie.svc } }], retries: { attempts: 0 } }`),
  );
}

async function startSlowMirror(delayMs: number): Promise<typeof slowMirror> {
  const received: typeof slowMirror.received = [];
  const server = createServer((req, res) => {
    received.push({ path: req.url ?? "", at: Date.now(), headers: req.headers });
    req.resume();
    setTimeout(() => res.end("slow mirror"), delayMs);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** Sends headers at once, then 10 chunks of 100 bytes 200 ms apart (2 s in all). */
async function startSlowBody(): Promise<typeof slowBody> {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/plain", "content-length": "1000" });
    let sent = 0;
    const tick = setInterval(() => {
      if (res.destroyed) return clearInterval(tick);
      res.write("x".repeat(100));
      if (++sent === 10) {
        clearInterval(tick);
        res.end();
      }
    }, 200);
    res.on("close", () => clearInterval(tick));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  slowBody = await startSlowBody();
  [a, b, mirror] = await Promise.all([startEchoOrigin("a"), startEchoOrigin("b"), startEchoOrigin("mirror")]);
  slowMirror = await startSlowMirror(3000);
  const closed = await startEchoOrigin("closed");
  dead = closed.url;
  await closed.close(); // bound, then closed: connections to it are refused

  gw = await startGateway();
  // ROUND_ROBIN makes flaky.svc's first pick the refused endpoint (smooth RR: ties go to the first).
  await gw.push(await compiledTable(resilienceYaml({ a: a.url, b: b.url, mirror: mirror.url, slow: slowMirror.url, dead, slowBody: slowBody.url })));
});

afterAll(async () => {
  await gw?.close();
  slowMirror?.server.closeAllConnections();
  await new Promise((resolve) => slowMirror?.server.close(resolve));
  slowBody?.server.closeAllConnections();
  await new Promise((resolve) => slowBody?.server.close(resolve));
  await Promise.all([a?.close(), b?.close(), mirror?.close()]);
});

let keySeq = 0;
/** A unique path per test, so each origin's `seen` list can be filtered to this test's requests. */
function unique(prefix: string): string {
  return `${prefix}/${Date.now().toString(36)}-${keySeq++}`;
}

function seenAt(origin: EchoOrigin, path: string): EchoRecord[] {
  return origin.seen.filter((s) => s.path === path);
}

async function timed(path: string, init?: RawInit): Promise<{ res: RawResponse; ms: number }> {
  const t0 = performance.now();
  const res = await gw.fetch(`http://shop.example${path}`, init);
  return { res, ms: performance.now() - t0 };
}

async function eventually<T>(probe: () => T | undefined, timeoutMs = 5000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((res) => setTimeout(res, 25));
  }
}

describe("retries (§2.16 vectors 27–29)", () => {
  it("#27 without retries: a 503 passes through after one attempt (x-envoy-attempt-count: 1)", async () => {
    const path = unique("/default");
    const { res } = await timed(path, { headers: { "x-echo-status": "503" } });
    expect(res.status).toBe(503);
    expect(seenAt(a, path).map((s) => s.headers["x-envoy-attempt-count"])).toEqual(["1"]);
  });

  it("#28 without retries: a refused connection is retried on the next endpoint; the origin sees attempt 2", async () => {
    const results: Array<{ status: number; attempt: string }> = [];
    for (let i = 0; i < 4; i++) {
      const path = unique("/flaky");
      const { res } = await timed(path);
      const seen = seenAt(a, path);
      expect(seen).toHaveLength(1); // exactly one attempt reached the live origin
      results.push({ status: res.status, attempt: String(seen[0]!.headers["x-envoy-attempt-count"]) });
    }
    expect(results.every((x) => x.status === 200)).toBe(true);
    // Round robin alternates: every other request first hits the refused endpoint.
    expect(results.filter((x) => x.attempt === "2")).toHaveLength(2);
    expect(results.filter((x) => x.attempt === "1")).toHaveLength(2);
  });

  it("#29 retryOn 5xx: 503, 503, then 200 — three attempts seen by the origin, with the same request", async () => {
    const path = unique("/retry5xx");
    const { res } = await timed(path, { headers: { "x-echo-fail-times": "2", "x-echo-key": path } });
    expect(res.status).toBe(200);
    expect(res.json<{ server: string }>().server).toBe("b");
    expect(seenAt(b, path).map((s) => s.headers["x-envoy-attempt-count"])).toEqual(["1", "2", "3"]);
  });

  it("retryOn 5xx gives up after attempts + 1 tries and returns the origin's last 503", async () => {
    const path = unique("/retry5xx");
    const { res } = await timed(path, { headers: { "x-echo-fail-times": "10", "x-echo-key": path } });
    expect(res.status).toBe(503);
    expect(seenAt(b, path)).toHaveLength(4);
  });

  it("a refused connection, retries exhausted: 503 with Envoy's `retried and the latest reset reason` body", async () => {
    const { res } = await timed(unique("/dead"));
    expect(res.status).toBe(503);
    expect(res.text()).toBe(`${RESET_BODY}retried and the latest reset reason: remote connection failure`);
    expect(res.headers.get("content-type")).toBe("text/plain");
  });

  it("a connection reset before headers is a reset reply; retryOn reset retries it", async () => {
    const plain = unique("/plain");
    const once = await gw.fetch(`http://shop.example${plain}`, { headers: { "x-echo-reset": "before" } });
    expect(once.status).toBe(503);
    expect(once.text()).toMatch(new RegExp(`^${RESET_BODY}reset reason: `));
    expect(seenAt(a, plain)).toHaveLength(1);

    const retried = unique("/retry-reset");
    const again = await gw.fetch(`http://shop.example${retried}`, { headers: { "x-echo-reset": "before" } });
    expect(again.status).toBe(503);
    expect(again.text()).toMatch(new RegExp(`^${RESET_BODY}retried and the latest reset reason: `));
    expect(seenAt(a, retried).map((s) => s.headers["x-envoy-attempt-count"])).toEqual(["1", "2", "3"]);
  });

  it("a reset in the middle of the body is not retried: the client gets a truncated response", async () => {
    const path = unique("/retry5xx");
    let truncated: boolean;
    try {
      const res = await gw.fetch(`http://shop.example${path}`, { headers: { "x-echo-reset": "mid" } });
      truncated = res.body.length < Number(res.headers.get("content-length") ?? Infinity) || res.headers.get("content-length") === null;
    } catch {
      truncated = true; // the connection was cut under the client
    }
    expect(truncated).toBe(true);
    expect(seenAt(b, path)).toHaveLength(1);
  });
});

describe("timeouts (§2.16 vectors 26, 30, 31)", () => {
  it("#26 timeout 1s, origin takes 2s ⇒ 504 `upstream request timeout` after ≈1s", async () => {
    const { res, ms } = await timed(unique("/timeout"), { headers: { "x-echo-delay": "2000" } });
    expect(res.status).toBe(504);
    expect(res.text()).toBe("upstream request timeout");
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(ms).toBeGreaterThanOrEqual(1000 - EARLY_MS);
    expect(ms).toBeLessThan(1000 + TOLERANCE_MS);
  });

  it("the route timeout also covers the response body: a body still streaming at 1s is cut off", async () => {
    const t0 = performance.now();
    let received = -1;
    try {
      received = (await gw.fetch(`http://shop.example${unique("/slow-body")}`)).body.length;
    } catch {
      received = 0; // the connection was reset under the client: also a cut
    }
    const ms = performance.now() - t0;
    expect(received).toBeLessThan(1000);
    expect(ms).toBeLessThan(1000 + TOLERANCE_MS);
    // Without a route timeout the same origin delivers the whole body (≈2 s).
    const full = await gw.fetch(`http://shop.example${unique("/full-body")}`);
    expect(full.body.length).toBe(1000);
  });

  it("#30 perTryTimeout 1s with the default retryOn: 504 after ≈1s, no retry", async () => {
    const path = unique("/pertry-default");
    const { res, ms } = await timed(path, { headers: { "x-echo-hang": "1" } });
    expect(res.status).toBe(504);
    expect(res.text()).toBe("upstream request timeout");
    expect(ms).toBeGreaterThanOrEqual(1000 - EARLY_MS);
    expect(ms).toBeLessThan(1000 + TOLERANCE_MS);
    expect(seenAt(a, path)).toHaveLength(1);
  });

  it("#31 perTryTimeout 1s, retryOn reset, timeout 10s: 3 attempts of ≈1s each, then 504", async () => {
    const path = unique("/pertry-reset");
    const { res, ms } = await timed(path, { headers: { "x-echo-hang": "1" } });
    expect(res.status).toBe(504);
    expect(res.text()).toBe("upstream request timeout");
    expect(seenAt(a, path).map((s) => s.headers["x-envoy-attempt-count"])).toEqual(["1", "2", "3"]);
    expect(ms).toBeGreaterThanOrEqual(3000 - EARLY_MS);
    expect(ms).toBeLessThan(3000 + TOLERANCE_MS);
  });
});

describe("request bodies (§2.16 vector 32)", () => {
  it("#32 a 2 MiB POST over the 1 MiB cap reaches the origin once and is not retried", async () => {
    const path = unique("/upload");
    const body = Buffer.alloc(2 * 1024 * 1024, 7);
    const { res } = await timed(path, { method: "POST", body, headers: { "x-echo-status": "500", "content-type": "application/octet-stream" } });
    expect(res.status).toBe(500);
    const seen = seenAt(b, path);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body.size).toBe(body.length);
  });

  it("a small POST is retried with exactly the same bytes", async () => {
    const path = unique("/upload");
    const body = Buffer.from("retry me, byte for byte \u00e9");
    const { res } = await timed(path, { method: "POST", body, headers: { "x-echo-fail-times": "1", "x-echo-key": path } });
    expect(res.status).toBe(200);
    const seen = seenAt(b, path);
    expect(seen).toHaveLength(2);
    expect(seen[0]!.body).toEqual(seen[1]!.body);
    expect(seen[0]!.body.size).toBe(body.length);
  });
});

describe("subrequest budget", () => {
  it("never makes more upstream fetches than SUBREQUEST_BUDGET (default 50), even with attempts: 80", async () => {
    const path = unique("/budget");
    const { res } = await timed(path, { headers: { "x-echo-status": "503" } });
    expect(res.status).toBe(503);
    expect(seenAt(b, path)).toHaveLength(50);
  });
});

describe("mirroring (§2.16 vector 33)", () => {
  it("#33 the client gets the primary's response; the mirror receives a copy after header ops", async () => {
    const path = unique("/mirror");
    const { res } = await timed(path, { method: "POST", body: "mirrored body", headers: { "x-client": "1" } });
    expect(res.status).toBe(200);
    expect(res.json<{ server: string }>().server).toBe("a");
    const copy = await eventually(() => seenAt(mirror, path)[0]);
    const primary = seenAt(a, path)[0]!;
    expect(copy.method).toBe("POST");
    expect(copy.body).toEqual(primary.body);
    expect(copy.headers["x-client"]).toBe("1");
    expect(copy.headers["x-forwarded-host"]).toBe("shop.example"); // Istio ≥ 1.28: host kept
    expect(copy.headers["x-request-id"]).toBe(primary.headers["x-request-id"]);
  });

  it("the client never waits for a slow mirror", async () => {
    const path = unique("/slow-mirror");
    const { res, ms } = await timed(path);
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(1500); // the mirror answers only after 3 s
    await eventually(() => slowMirror.received.find((x) => x.path === path));
  });
});

describe("fault injection (§2.16 vector 24, Istio note on retries/timeouts)", () => {
  it("#24 abort 100%: 500 `fault filter abort`; neither the origin nor the mirror is contacted", async () => {
    const path = unique("/fault-abort");
    const { res } = await timed(path);
    expect(res.status).toBe(500);
    expect(res.text()).toBe("fault filter abort");
    await new Promise((r) => setTimeout(r, 200));
    expect(seenAt(a, path)).toHaveLength(0);
    expect(seenAt(mirror, path)).toHaveLength(0);
  });

  it("delay 500ms: the response comes after ≥ 500ms, and the route's 100ms timeout and retries are not applied", async () => {
    const path = unique("/fault-delay");
    const { res, ms } = await timed(path, { headers: { "x-echo-delay": "300", "x-echo-status": "503" } });
    expect(res.status).toBe(503); // no 504 (timeout off), no retry (retries off)
    expect(ms).toBeGreaterThanOrEqual(800 - EARLY_MS);
    expect(ms).toBeLessThan(800 + TOLERANCE_MS);
    expect(seenAt(a, path)).toHaveLength(1);
  });
});

describe("outlier detection (per isolate)", () => {
  it("ejects an endpoint after consecutive5xxErrors failures; later requests all go to the healthy one", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) statuses.push((await gw.fetch(`http://shop.example${unique("/outlier")}`)).status);
    // Round robin alternates dead/healthy until the dead one failed twice (2 × 503), then only 200.
    expect(statuses.filter((s) => s === 503)).toHaveLength(2);
    expect(statuses.slice(4)).toEqual(Array(6).fill(200));
  });

  it("every endpoint ejected ⇒ 503 `no healthy upstream` (panic disabled: minHealthPercent 0); back after the ejection time", async () => {
    const first = await gw.fetch(`http://shop.example${unique("/all-ejected")}`);
    expect(first.status).toBe(503);
    expect(first.text()).toMatch(new RegExp(`^${RESET_BODY}`));
    const second = await gw.fetch(`http://shop.example${unique("/all-ejected")}`);
    expect(second.status).toBe(503);
    expect(second.text()).toBe("no healthy upstream");
    // baseEjectionTime 1s, interval 0.5s: back in service by the first sweep after 1s (≤ 1.5s).
    await new Promise((r) => setTimeout(r, 1600));
    const later = await gw.fetch(`http://shop.example${unique("/all-ejected")}`);
    expect(later.text()).toMatch(new RegExp(`^${RESET_BODY}`));
  });

  it("with Istio's default maxEjectionPercent 10, a small cluster never ejects (Envoy's rule)", async () => {
    for (let i = 0; i < 3; i++) {
      const res = await gw.fetch(`http://shop.example${unique("/ten-percent")}`);
      expect(res.text()).toMatch(new RegExp(`^${RESET_BODY}`));
    }
  });
});

describe("load balancing", () => {
  it("ROUND_ROBIN alternates between endpoints", async () => {
    const servers: string[] = [];
    for (let i = 0; i < 6; i++) servers.push((await gw.fetch(`http://shop.example${unique("/rr")}`)).json<{ server: string }>().server);
    expect(servers.filter((s) => s === "a")).toHaveLength(3);
    for (let i = 1; i < servers.length; i++) expect(servers[i]).not.toBe(servers[i - 1]);
  });

  it("consistentHash httpHeaderName keeps a user on one endpoint", async () => {
    for (const user of ["alice", "bob", "carol"]) {
      const servers = new Set<string>();
      for (let i = 0; i < 4; i++) {
        servers.add((await gw.fetch(`http://shop.example${unique("/hash-header")}`, { headers: { "x-user": user } })).json<{ server: string }>().server);
      }
      expect(servers.size).toBe(1);
    }
  });

  it("consistentHash httpCookie sets the cookie with its ttl and path when absent, then sticks to it", async () => {
    const first = await gw.fetch(`http://shop.example${unique("/hash-cookie")}`);
    const setCookie = first.headers.get("set-cookie") ?? "";
    expect(setCookie).toMatch(/^lb="[0-9a-f]{16}"; Max-Age=3600; Path=\/; HttpOnly$/);
    const cookie = setCookie.split(";")[0]!;
    const server = first.json<{ server: string }>().server;
    for (let i = 0; i < 4; i++) {
      const again = await gw.fetch(`http://shop.example${unique("/hash-cookie")}`, { headers: { cookie } });
      expect(again.json<{ server: string }>().server).toBe(server);
      expect(again.headers.get("set-cookie")).toBeNull();
    }
  });
});
