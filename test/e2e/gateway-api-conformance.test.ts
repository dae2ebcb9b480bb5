/**
 * The restated Gateway API conformance tests (test/conformance/gateway-api) end to end: every
 * folder's config is compiled, pushed into the real Worker under Miniflare, and every golden case's
 * request is sent through it to real echo origins on 127.0.0.1 standing in for the suite's
 * backends (infra-backend-v1…v3, web-backend, app-backend-v1…v2: the origins file maps each
 * `NAME.NS.svc.cluster.local:8080` to one echo origin, in place of base/infra.yaml's ServiceEntries).
 *
 * What a case states is checked where it can be observed, not re-decided:
 *  - forward: the echo origin named by `destination` answered (200), it saw `path`, the listed
 *    `requestHeaders` (null = absent) and the client's host (`authority`) in x-forwarded-host; the
 *    client sees `responseHeaders`; each `mirrors` host's origin receives a copy;
 *  - redirect / corsPreflight / directResponse / noRoute / badRequest: the client gets `status`,
 *    `location` and `responseHeaders` from the gateway and no origin sees the request;
 *  - `timeoutMs`: a second request asks the origin to answer late (x-echo-delay): 504 when the
 *    timeout is set, 200 when the case says there is none.
 * A case whose decision depends on the die (`random`: weights, percentages) is replayed several
 * times and every answer must match one of the cases for that same request; the weight shares
 * themselves are measured on the upstream test's own terms (HTTPRouteWeight: 500 requests, ±5 pp).
 * The retry vectors of GATEWAY-API-SEMANTICS §8.2 (HTTPRouteRetry) run against the echo origin's
 * fail-times/fail-status simulator.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEchoOrigin, type EchoOrigin, type EchoRecord } from "../../scripts/lib/echo-origin.ts";
import { runGolden } from "../../scripts/lib/golden.ts";
import { loadCases } from "../../src/cases/load.ts";
import { caseHeaders, decideCase } from "../../src/cases/run.ts";
import type { GoldenCase } from "../../src/cases/schema.ts";
import { summarize } from "../../src/cases/summary.ts";
import { prepare, type PreparedTable } from "../../src/prepare.ts";
import { formatIssue } from "../../src/config/index.ts";
import { startGateway, type Gateway, type RawResponse } from "./harness/gateway.ts";

const ROOT = "test/conformance/gateway-api";
const BACKENDS: Record<string, string> = {
  "infra-backend-v1": "gateway-conformance-infra",
  "infra-backend-v2": "gateway-conformance-infra",
  "infra-backend-v3": "gateway-conformance-infra",
  "web-backend": "gateway-conformance-web-backend",
  "app-backend-v1": "gateway-conformance-app-backend",
  "app-backend-v2": "gateway-conformance-app-backend",
};
const fqdn = (name: string) => `${name}.${BACKENDS[name]}.svc.cluster.local`;

let gw: Gateway;
const origins = new Map<string, EchoOrigin>();
let infraDir: string;

beforeAll(async () => {
  for (const name of Object.keys(BACKENDS)) origins.set(fqdn(name), await startEchoOrigin(name));
  // base/infra.yaml without its ServiceEntries (their endpoints are placeholders), plus an origins
  // file pointing each Service port at its echo origin.
  infraDir = mkdtempSync(join(tmpdir(), "gwapi-e2e-"));
  const namespaces = readFileSync(join(ROOT, "base", "infra.yaml"), "utf8")
    .split(/^---$/m)
    .filter((d) => /kind: Namespace/.test(d))
    .join("---\n");
  writeFileSync(join(infraDir, "namespaces.yaml"), namespaces);
  writeFileSync(join(infraDir, "origins.yaml"), `origins:\n${[...origins].map(([h, o]) => `  ${h}:8080: ${o.url}\n`).join("")}`);
  gw = await startGateway();
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await Promise.all([...origins.values()].map((o) => o.close()));
  if (infraDir) rmSync(infraDir, { recursive: true, force: true });
});

interface Loaded {
  table: PreparedTable;
  cases: GoldenCase[];
}

async function load(test: string): Promise<Loaded> {
  const dir = join(ROOT, "tests", test);
  return loadPaths(test, [infraDir, ...(existsSync(join(dir, "gateway.yaml")) ? [] : [join(ROOT, "base", "same-namespace.yaml")]), dir]);
}

async function loadPaths(test: string, paths: string[]): Promise<Loaded> {
  const run = await runGolden(paths);
  const errors = run.issues.filter((i) => i.severity === "error");
  if (!run.table || errors.length) throw new Error(`${test} does not compile: ${errors.map(formatIssue).join("\n")}`);
  await gw.push(run.table);
  const cases = run.caseFiles.flatMap((f) => loadCases({ path: f, text: readFileSync(f, "utf8") }).cases.map((c) => c.case));
  return { table: prepare(run.table), cases };
}

/** The request of a case through the real Worker (https through Miniflare's dispatch, which keeps the scheme). */
async function send(c: GoldenCase, extra: Record<string, string> = {}): Promise<RawResponse> {
  const headers: Record<string, string> = {};
  caseHeaders(c.request).forEach((v, k) => (headers[k] = v));
  Object.assign(headers, extra);
  const url = new URL(c.request.url);
  if (url.protocol === "https:") {
    const res = await gw.mf.dispatchFetch(c.request.url, { method: c.request.method, headers: { host: url.host, ...headers }, redirect: "manual" });
    const body = Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers as unknown as Headers, body, text: () => body.toString("utf8"), json: <T>() => JSON.parse(body.toString("utf8")) as T };
  }
  return gw.fetch(c.request.url, { method: c.request.method, headers });
}

const seenCounts = () => new Map([...origins].map(([h, o]) => [h, o.seen.length]));
const newRecords = (before: Map<string, number>) => [...origins].flatMap(([h, o]) => o.seen.slice(before.get(h)!).map((r) => ({ host: h, r })));

function headerOf(r: EchoRecord, name: string): string | null {
  const v = r.headers[name.toLowerCase()];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(", ") : v;
}

/** Does the observed answer satisfy the case? Returns the differences (empty = yes). */
function check(c: GoldenCase, res: RawResponse, records: Array<{ host: string; r: EchoRecord }>): string[] {
  const e = c.expect;
  const out: string[] = [];
  const want = (field: string, expected: unknown, actual: unknown) => {
    if (JSON.stringify(expected) !== JSON.stringify(actual)) out.push(`${field}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
  };
  for (const [name, v] of Object.entries(e.responseHeaders ?? {})) want(`response header ${name}`, v, res.headers.get(name));
  if (e.kind === "forward") {
    const primary = records.filter((x) => !e.mirrors?.includes(x.host) || x.host === e.destination?.host);
    const answeredBy = res.headers.get("x-echo-server");
    want("status", e.status ?? 200, res.status);
    if (e.destination) want("answered by", e.destination.host.split(".")[0], answeredBy);
    const rec = primary.find((x) => x.host === e.destination?.host)?.r ?? primary[0]?.r;
    if (!rec) return [...out, "no origin saw the request"];
    if (e.path !== undefined) want("path at the origin", e.path, rec.path);
    if (e.authority !== undefined) want("x-forwarded-host at the origin", e.authority, headerOf(rec, "x-forwarded-host"));
    for (const [name, v] of Object.entries(e.requestHeaders ?? {})) want(`request header ${name} at the origin`, v, headerOf(rec, name));
  } else {
    if (e.status !== undefined) want("status", e.status, res.status);
    else if (e.kind === "noRoute") want("status", 404, res.status);
    if (e.location !== undefined) want("location", e.location, res.headers.get("location"));
    if (records.length) out.push(`an origin saw a request the gateway should have answered itself: ${records.map((x) => x.host).join(", ")}`);
  }
  return out;
}

/** Does the case's decision depend on the die? (weights, mirror percentages) */
function dieDependent(table: PreparedTable, c: GoldenCase): boolean {
  const at = (random: number) => {
    const d = decideCase(table, { ...c.request, random });
    if (!d.decision) return "bad";
    const s = summarize(d.decision, d.facts, d.headers);
    return JSON.stringify([s.kind, s.destination?.host, s.mirrors]);
  };
  return at(0.0001) !== at(0.9999) || at(0.0001) !== at(0.5);
}

async function waitForMirrors(c: GoldenCase, before: Map<string, number>): Promise<string[]> {
  const want = c.expect.mirrors ?? [];
  const path = new URL(c.request.url).pathname;
  for (let i = 0; i < 100; i++) {
    const got = want.filter((h) => newRecords(before).some((x) => x.host === h && x.r.path.startsWith(path)));
    if (got.length === want.length) return [];
    await new Promise((r) => setTimeout(r, 20));
  }
  return want.filter((h) => !newRecords(before).some((x) => x.host === h)).map((h) => `mirror ${h} never received ${path}`);
}

const tests = readdirSync(join(ROOT, "tests")).sort();

for (const test of tests) {
  describe(`conformance ${test} end to end`, () => {
    let loaded: Loaded;
    beforeAll(async () => {
      loaded = await load(test);
    }, 60_000);

    it("every case, through the Worker to the echo origins", async () => {
      expect(loaded.cases.length).toBeGreaterThan(0);
      const failures: string[] = [];
      const groups = new Map<string, GoldenCase[]>();
      for (const c of loaded.cases) {
        if (dieDependent(loaded.table, c)) {
          const key = JSON.stringify({ ...c.request, random: 0 });
          groups.set(key, [...(groups.get(key) ?? []), c]);
          continue;
        }
        const before = seenCounts();
        const res = await send(c);
        if (c.expect.mirrors?.length) failures.push(...(await waitForMirrors(c, before)).map((m) => `${c.name}: ${m}`));
        failures.push(...check(c, res, newRecords(before)).map((m) => `${c.name}: ${m}`));
        if (c.expect.timeoutMs !== undefined) {
          // The timeout itself: the origin answers late.
          const late = c.expect.timeoutMs === null ? 1_000 : c.expect.timeoutMs + 700;
          const slow = await send(c, { "x-echo-delay": String(late) });
          const want = c.expect.timeoutMs === null ? 200 : 504;
          if (slow.status !== want) failures.push(`${c.name}: origin answering after ${late} ms → expected ${want}, got ${slow.status}`);
        }
      }
      // Die-dependent cases: 24 tries per request, each answer must be one of the cases' outcomes,
      // and every stated outcome must turn up (a 1-in-2^23 miss at the rarest 50 % share).
      for (const cs of groups.values()) {
        const hit = new Set<GoldenCase>();
        for (let i = 0; i < 24; i++) {
          const before = seenCounts();
          const res = await send(cs[0]!);
          const records = newRecords(before);
          const ok = cs.find((c) => check({ ...c, expect: { ...c.expect, mirrors: [] } } as GoldenCase, res, records).length === 0);
          if (ok) hit.add(ok);
          else failures.push(`${cs[0]!.name}: answer ${res.status} from ${res.headers.get("x-echo-server")} matches none of ${cs.map((c) => c.name).join(" | ")}`);
        }
        const distinct = new Set(cs.map((c) => JSON.stringify(c.expect.destination)));
        const reached = new Set([...hit].map((c) => JSON.stringify(c.expect.destination)));
        if (reached.size < distinct.size) failures.push(`${cs[0]!.name}: over 24 requests only ${[...reached].join(", ")} answered`);
      }
      expect(failures).toEqual([]);
    }, 60_000);
  });
}

describe("HTTPRouteWeight end to end: 70/30/0 over 500 requests within ±5 pp (the upstream test's own bounds)", () => {
  beforeAll(async () => void (await load("httproute-weight")), 60_000);
  it("shares", async () => {
    const N = 500;
    const count: Record<string, number> = {};
    let next = 0;
    const worker = async () => {
      while (next < N) {
        next++;
        const res = await gw.fetch("http://gw.conformance.example/");
        expect(res.status).toBe(200);
        const who = res.headers.get("x-echo-server")!;
        count[who] = (count[who] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    console.info(`HTTPRouteWeight over ${N}: ${JSON.stringify(count)}`);
    expect(Math.abs((100 * (count["infra-backend-v1"] ?? 0)) / N - 70)).toBeLessThanOrEqual(5);
    expect(Math.abs((100 * (count["infra-backend-v2"] ?? 0)) / N - 30)).toBeLessThanOrEqual(5);
    expect(count["infra-backend-v3"] ?? 0).toBe(0);
  }, 60_000);
});

describe("HTTPRouteRetry end to end (GATEWAY-API-SEMANTICS §8.2 vectors on the restated /retry rule: codes [500], attempts 3)", () => {
  beforeAll(async () => void (await load("httproute-retry")), 60_000);
  const v1 = () => origins.get(fqdn("infra-backend-v1"))!;
  const attempt = async (path: string, key: string, failTimes: number, status: number) => {
    const before = v1().seen.length;
    const res = await gw.fetch(`http://gw.conformance.example${path}`, {
      headers: { "x-echo-fail-times": String(failTimes), "x-echo-fail-status": String(status), "x-echo-key": key },
    });
    return { status: res.status, tries: v1().seen.length - before };
  };
  it("2 × 500 then OK → 200 after 3 tries", async () => {
    expect(await attempt("/retry", "r1", 2, 500)).toEqual({ status: 200, tries: 3 });
  });
  it("4 × 500 → 500: retries exhausted after 1 + 3 tries, the last status surfaces", async () => {
    expect(await attempt("/retry", "r2", 4, 500)).toEqual({ status: 500, tries: 4 });
  });
  it("503 is not in codes → 503 at once", async () => {
    expect(await attempt("/retry", "r3", 2, 503)).toEqual({ status: 503, tries: 1 });
  });
  it("no retry block → a 500 is not retried (Istio's default policy retries connection failures only)", async () => {
    expect(await attempt("/no-retry", "r4", 1, 500)).toEqual({ status: 500, tries: 1 });
  });
});

describe("sessionPersistence end to end (GEP-1619's planned checks, on the conformance backends)", () => {
  let sessionDir = "";
  afterAll(() => rmSync(sessionDir, { recursive: true, force: true }));
  beforeAll(async () => {
    // Its own folder: infraDir is read whole by every other config.
    sessionDir = mkdtempSync(join(tmpdir(), "gwapi-e2e-session-"));
    const file = join(sessionDir, "session.yaml");
    writeFileSync(
      file,
      `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: session, namespace: gateway-conformance-infra }
spec:
  parentRefs: [{ name: same-namespace }]
  rules:
    - matches: [{ path: { value: /session-cookie } }]
      sessionPersistence: { cookie: { name: sid } }
      backendRefs: [{ name: infra-backend-v1, port: 8080 }, { name: infra-backend-v2, port: 8080 }]
    - matches: [{ path: { value: /session-header } }]
      sessionPersistence: { type: Header, header: { name: x-session } }
      backendRefs: [{ name: infra-backend-v1, port: 8080 }, { name: infra-backend-v2, port: 8080 }]
`,
    );
    await loadPaths("session", [join(infraDir, "namespaces.yaml"), join(infraDir, "origins.yaml"), join(ROOT, "base", "same-namespace.yaml"), file]);
  }, 60_000);

  it("Cookie: the first response sets a session cookie (no Max-Age, not for shared caches); 30 requests with it reach one backend; new sessions reach both", async () => {
    const first = await gw.fetch("http://gw.conformance.example/session-cookie");
    expect(first.status).toBe(200);
    const setCookie = first.headers.get("set-cookie")!;
    expect(setCookie).toMatch(/^sid=[0-9a-f]{32}; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(first.headers.get("cache-control")).toContain("no-store");
    const server = first.headers.get("x-echo-server");
    for (let i = 0; i < 30; i++) {
      const res = await gw.fetch("http://gw.conformance.example/session-cookie", { headers: { cookie: setCookie.split(";")[0]! } });
      expect(res.headers.get("x-echo-server")).toBe(server);
      expect(res.headers.get("set-cookie")).toBeNull();
    }
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) seen.add((await gw.fetch("http://gw.conformance.example/session-cookie")).headers.get("x-echo-server")!);
    expect([...seen].sort()).toEqual(["infra-backend-v1", "infra-backend-v2"]);
  });

  it("Header: the id comes back in x-session; sending it keeps the backend", async () => {
    const first = await gw.fetch("http://gw.conformance.example/session-header");
    const id = first.headers.get("x-session")!;
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(first.headers.get("set-cookie")).toBeNull();
    for (let i = 0; i < 30; i++) {
      const res = await gw.fetch("http://gw.conformance.example/session-header", { headers: { "x-session": id } });
      expect(res.headers.get("x-echo-server")).toBe(first.headers.get("x-echo-server"));
      expect(res.headers.get("x-session")).toBe(id);
    }
  });
});

describe("HTTPRouteRequestPercentageMirror end to end: copies counted at the mirror origin over 500 requests, within ±3σ (the upstream test's own bounds)", () => {
  beforeAll(async () => void (await load("httproute-request-percentage-mirror")), 60_000);
  it.each([
    ["/percent-mirror", 0.2],
    ["/percent-mirror-fraction", 0.5],
  ] as const)("%s mirrors %s of requests", async (path, p) => {
    const N = 500;
    const run = `run-${Math.random().toString(36).slice(2)}`;
    const mirror = origins.get(fqdn("infra-backend-v2"))!;
    const copies = () => mirror.seen.filter((r) => r.path.startsWith(`${path}?${run}`)).length;
    let next = 0;
    const worker = async () => {
      while (next < N) {
        const i = next++;
        const res = await gw.fetch(`http://gw.conformance.example${path}?${run}=${i}`);
        expect(res.headers.get("x-echo-server")).toBe("infra-backend-v1");
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    // Copies are fire-and-forget (waitUntil): wait until the count stops growing.
    let last = -1;
    while (copies() !== last) {
      last = copies();
      await new Promise((r) => setTimeout(r, 300));
    }
    const sigma = Math.sqrt(N * p * (1 - p));
    console.info(`${path}: ${last} copies of ${N} (expected ${N * p} ± ${(3 * sigma).toFixed(1)})`);
    expect(Math.abs(last - N * p)).toBeLessThanOrEqual(3 * sigma);
  }, 60_000);
});
