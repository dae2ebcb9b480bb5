/**
 * Bad requests through the REAL Worker (bundled by wrangler, run by Miniflare/workerd) in front of
 * real origins on 127.0.0.1, sent as raw bytes on a socket (no client-side URL cleanup), with
 * assertions on what the origin received. The config is test/fixtures/hardening-config.ts:
 * `/admin` → 403, `/public` → origin, `/rx/…` → origin with a rewrite stripping `/rx/`,
 * `/go/…` → redirect, `/echo-header` → origin with `%REQ()%` header ops; ci.example.com has an
 * ignoreUriCase deny rule in front of a catch-all. A second origin ("evil") is never configured:
 * nothing may ever reach it.
 *
 * Every answer must be a 4xx, a 403/404/redirect from the config, or a proxied 200 whose path the
 * loosest origin (lenientOriginView) cannot read as /admin — never a 500, never a hang (each raw
 * request has a 10 s deadline). The Worker's console output is captured: no cookie, authorization,
 * admin token or query value may appear in it.
 */
import { dirname } from "node:path";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { inject } from "vitest";
import { startEchoOrigin, type EchoOrigin } from "../../scripts/lib/echo-origin.ts";
import { hardeningTable, lenientOriginView } from "../fixtures/hardening-config.ts";
import { pushTable } from "../fixtures/pushed.ts";
import { rawFetch } from "./harness/gateway.ts";
import { rawHttp, type RawAnswer } from "./harness/raw-http.ts";

const ADMIN_TOKEN = "e2e-admin-token-0123456789";
const SECRETS = {
  cookie: "sessioncookievalue-7f3a9c",
  authorization: "Bearer authsecret-51d2e8",
  query: "querytoken-a4b6c8",
  xInput: "xinputsecret-99e1",
};

let origin: EchoOrigin;
let evil: EchoOrigin;
let mf: Miniflare;
let base: URL;
const logs: string[] = [];

const raw = (request: string | Buffer, deadlineMs?: number) => rawHttp(base, request, deadlineMs);

const get = (target: string, host = "shop.example.com", extra = "") => raw(`GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`);

async function waitServed(hash: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const res = await rawFetch(base, "http://gateway.test/__gateway/config", { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
    if (res.json<{ version: string | null }>().version === hash) return;
    await rawFetch(base, "http://gateway.test/__gateway-probe");
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`table ${hash} was never served`);
}

beforeAll(async () => {
  [origin, evil] = await Promise.all([startEchoOrigin("origin"), startEchoOrigin("evil")]);
  mf = new Miniflare(
    convertV4MiniflareOptions({
      name: "edge-gateway",
      modules: true,
      scriptPath: inject("workerScript"),
      modulesRoot: dirname(inject("workerScript")),
      compatibilityDate: "2026-11-01",
      kvNamespaces: ["ROUTES"],
      // ACCESS_LOG=all: every request's line is written, so nothing that could be logged escapes the check.
      bindings: { CONFIG_REFRESH_SECONDS: "0", ADMIN_TOKEN, ACCESS_LOG: "all" },
      // Everything the Worker writes with console.* (the per-request log line, errors).
      handleStructuredLogs: (log) => void logs.push(`${log.level} ${log.message}`),
    }),
  );
  base = await mf.ready;
  const table = await hardeningTable(origin.port);
  await pushTable((await mf.getKVNamespace("ROUTES")) as unknown as KVNamespace, table);
  await waitServed(table.hash);
});

afterAll(async () => {
  await mf?.dispose();
  await Promise.all([origin?.close(), evil?.close()]);
});

/** The origin's echo of one request (the Worker forwarded it), or null for a local answer. */
function echoed(r: RawAnswer): { path: string; headers: Record<string, string>; server: string } | null {
  if (r.headers.get("x-echo-server") === undefined) return null;
  return JSON.parse(r.body) as { path: string; headers: Record<string, string>; server: string };
}

const PATH_TRICKS = [
  "/public/../admin",
  "/public/%2e%2e/admin",
  "/public/%2E%2E/admin",
  "/public/.%2e/admin",
  "/public/%2e%2e%2fadmin",
  "/public/..%2Fadmin",
  "/public%2F..%2Fadmin",
  "/public%5C..%5Cadmin",
  "/public\\..\\admin",
  "/public/..\\admin",
  "//admin",
  "/public//../admin",
  "/%2Fadmin",
  "/%5Cadmin",
  "/public/..;/admin",
  "/public;x/../admin",
  "/ADMIN",
  "/Admin/users",
  "/admin?",
  "/admin#frag",
  "/public#/../admin",
  "/public?/../admin",
  "/admin;jsessionid=1",
  "/%61dmin",
  "/public/%252e%252e/admin",
  "/../../admin",
  "/public/%00/../admin",
  "/public/%zz",
  "/public/%",
  "/public/%2",
  "/http://evil.com/admin",
  "//evil.com/admin",
  "/public/x/../../admin",
  "/public/%c0%ae%c0%ae/admin",
];

describe("path tricks through the real Worker (shop.example.com: /admin → 403, /public → origin)", () => {
  it.each(PATH_TRICKS)("%s: a 4xx or a forward the origin cannot read as /admin, never a 500", async (target) => {
    const r = await get(target);
    expect(r.status, r.raw.slice(0, 300)).toBeLessThan(500);
    const e = echoed(r);
    if (e) {
      expect(r.status).toBe(200);
      expect(e.server).toBe("origin");
      expect(lenientOriginView(e.path), `origin received ${e.path}`).not.toMatch(/^\/admin(\/|$)/);
      expect(e.path.startsWith("/public")).toBe(true);
    } else {
      expect([400, 403, 404]).toContain(r.status);
      if (r.status === 403) expect(r.body).toBe("forbidden");
    }
  });

  it.each([
    ["/public/../admin", 403],
    ["/public/%2e%2e/admin", 403],
    ["/%61dmin", 403],
    ["/admin;jsessionid=1", 403],
    ["/public/..%2Fadmin", 400],
    ["/public/..;/admin", 400],
    ["/public/%00", 400],
    ["/public/%00/../admin", 200], // the URL parser removes the %00 segment with the dot-dot: /public/admin
    ["/public/%zz", 400],
    ["/ADMIN", 404],
    ["//admin", 404],
  ])("%s answers %i", async (target, status) => {
    expect((await get(target)).status).toBe(status);
  });

  it("the origin receives the normalised path (what was routed is what is forwarded)", async () => {
    const e = echoed(await get("/public/a/./b/../%7Euser/%2e/c?q=%2F"));
    expect(e?.path).toBe("/public/a/~user/c?q=%2F");
  });

  it("a path over 8 KiB is a 400, not a regex run", async () => {
    const r = await get("/public/" + "a".repeat(8200));
    expect(r.status).toBe(400);
  });
});

describe("ignoreUriCase deny rule in front of a catch-all (ci.example.com)", () => {
  it.each(["/admin", "/ADMIN", "/aDmIn/x", "/%41dmin", "/x/../ADMIN", "/x/%2E%2E/Admin"])("%s is 403", async (target) => {
    expect((await get(target, "ci.example.com")).status).toBe(403);
  });

  it.each(["//admin", "/%2F/admin"])("%s reaches the catch-all verbatim (Istio BASE: no slash merging, escaped slashes kept; SECURITY.md)", async (target) => {
    const e = echoed(await get(target, "ci.example.com"));
    expect(e?.path).toBe(target);
  });
});

describe("no open proxy, no SSRF", () => {
  it("an absolute-form request-target naming another server is served from the configured origin", async () => {
    const before = evil.seen.length;
    const r = await raw(`GET http://127.0.0.1:${evil.port}/public/x HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBeLessThan(500);
    expect(evil.seen.length).toBe(before);
    const e = echoed(r);
    if (e) expect([e.server, e.path]).toEqual(["origin", "/public/x"]);
  });

  it.each([
    [`127.0.0.1:${0}`, "the evil origin's address as Host"],
    ["evil.com", "an unknown host"],
    ["shop.example.com.evil.com", "a suffix trick"],
    ["shop.example.com@evil.com", "userinfo in Host"],
  ])("Host %s (%s) answers 400/404 and reaches nobody", async (hostTemplate) => {
    const host = hostTemplate.replace(":0", `:${evil.port}`);
    const before = [origin.seen.length, evil.seen.length];
    const r = await get("/public/x", host);
    expect([400, 404]).toContain(r.status);
    expect([origin.seen.length, evil.seen.length]).toEqual(before);
  });

  it.each([
    ["/rx/@127.0.0.1:EVIL/x", "/@127.0.0.1:EVIL/x"],
    ["/rx/:EVIL/x", "/:EVIL/x"],
    ["/rx/.evil.com/x", "/.evil.com/x"],
    ["/rx//127.0.0.1:EVIL/x", "/127.0.0.1:EVIL/x"],
    ["/public//127.0.0.1:EVIL/x", "/public//127.0.0.1:EVIL/x"],
    ["/public/http://127.0.0.1:EVIL/x", "/public/http://127.0.0.1:EVIL/x"],
  ])("%s stays on the configured origin as %s", async (template, want) => {
    const target = template.replaceAll("EVIL", String(evil.port));
    const before = evil.seen.length;
    const r = await get(target);
    expect(r.status, r.raw.slice(0, 300)).toBe(200);
    expect(echoed(r)).toMatchObject({ server: "origin", path: want.replaceAll("EVIL", String(evil.port)) });
    expect(evil.seen.length).toBe(before);
  });
});

describe("no header or response splitting", () => {
  it("%REQ(header)% copies a value verbatim; a bare CR or obs-fold in it is rejected or cannot split a header", async () => {
    for (const bad of ["a\rX-Injected: 1", "a\r\n X-Injected: 1", "a\nX-Injected: 1", "a\u0000b"]) {
      const r = await raw(`GET /echo-header HTTP/1.1\r\nHost: shop.example.com\r\nX-Input: ${bad}\r\nConnection: close\r\n\r\n`);
      expect(r.status, JSON.stringify(bad)).toBeLessThan(500);
      const e = echoed(r);
      if (r.status === 200 && e) {
        expect(e.headers["x-copied"] ?? "").not.toMatch(/[\r\n\0]/);
        expect(r.headers.get("x-resp-copied")?.join("") ?? "").not.toMatch(/[\r\n\0]/);
        // An x-injected header may exist only as the client's own (it sent that line itself), never
        // inside the copied value or in the response.
        expect(r.headers.has("x-injected")).toBe(false);
      }
    }
  });

  it("%REQ(:path)% with an encoded CR/LF stays encoded in the origin's header", async () => {
    const e = echoed(await get("/echo-header/%0d%0aX-Injected:%201"));
    expect(e?.headers["x-path"]).toBe("/echo-header/%0d%0aX-Injected:%201");
    expect(e?.headers["x-injected"]).toBeUndefined();
  });

  it("a redirect keeps an encoded CR/LF encoded in Location and adds no header", async () => {
    const r = await get("/go/%0d%0aSet-Cookie:%20a=1");
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toEqual(["http://shop.example.com/landing/%0d%0aSet-Cookie:%20a=1"]);
    expect(r.headers.has("set-cookie")).toBe(false);
  });

  it("client x-envoy-* control headers never reach the origin", async () => {
    const e = echoed(await get("/public/x", "shop.example.com", "x-envoy-retry-on: 5xx\r\nx-envoy-upstream-rq-timeout-ms: 1\r\nx-envoy-original-path: /admin\r\n"));
    expect(Object.keys(e?.headers ?? {}).filter((h) => h.startsWith("x-envoy-") && h !== "x-envoy-attempt-count")).toEqual([]);
  });
});

describe("oversized and odd requests", () => {
  it("a 64 KiB header is refused with a 4xx or proxied — never a 500 or a hang", async () => {
    const r = await get("/public/x", "shop.example.com", `x-big: ${"a".repeat(64 * 1024)}\r\n`);
    expect(r.status).toBeLessThan(500);
  });

  it("a 1 MiB header block is refused with a 4xx (or the connection is answered and closed), never a hang", async () => {
    const many = Array.from({ length: 1024 }, (_, i) => `x-h${i}: ${"b".repeat(1000)}\r\n`).join("");
    const r = await get("/public/x", "shop.example.com", many).catch((e: Error) => e);
    if (r instanceof Error) expect(r.message).not.toMatch(/no complete answer within/);
    else expect(r.status).toBeGreaterThanOrEqual(400);
  });

  it("a 64 KiB body to a local 403 is answered and never forwarded", async () => {
    const body = Buffer.alloc(64 * 1024, 0x61);
    const before = origin.seen.length;
    const r = await raw(Buffer.concat([Buffer.from(`POST /admin HTTP/1.1\r\nHost: shop.example.com\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
    expect(r.status).toBe(403);
    expect(origin.seen.length).toBe(before);
  });

  it("a 4 MiB body to a local 403 gets the 403 or a closed connection at once (workerd closes without reading the body), never a forward or a hang", async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 0x61);
    const before = origin.seen.length;
    const r = await raw(Buffer.concat([Buffer.from(`POST /admin HTTP/1.1\r\nHost: shop.example.com\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body])).catch((e: Error) => e);
    if (r instanceof Error) expect(r.message).toMatch(/no HTTP answer/); // reset while the client was still writing
    else expect(r.status).toBe(403);
    expect(origin.seen.length).toBe(before);
  });

  it("a 4 MiB body to the origin arrives whole", async () => {
    const body = Buffer.alloc(4 * 1024 * 1024, 0x62);
    const r = await raw(Buffer.concat([Buffer.from(`POST /public/upload HTTP/1.1\r\nHost: shop.example.com\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]));
    expect(r.status).toBe(200);
    expect(echoed(r)).toMatchObject({ path: "/public/upload", body: { size: body.length } });
  });

  it("a body shorter than its Content-Length does not hang the gateway past the deadline", async () => {
    const pending = raw(`POST /public/short HTTP/1.1\r\nHost: shop.example.com\r\nContent-Length: 100\r\nConnection: close\r\n\r\nabc`, 2_000).catch((e: Error) => e);
    // The client never finishes its body: the gateway may wait for it (it streams the body to the
    // origin); what matters is that other requests are still served meanwhile.
    expect((await get("/public/alive")).status).toBe(200);
    const r = await pending;
    if (!(r instanceof Error)) expect(r.status).toBeLessThan(500);
  });

  it("TRACE is a 405 at the edge (it would echo credentials back: cross-site tracing) and never reaches the origin", async () => {
    const before = origin.seen.length;
    const r = await raw(`TRACE /public/x HTTP/1.1\r\nHost: shop.example.com\r\nCookie: a=1\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(405);
    expect(r.headers.get("allow")?.[0]).toMatch(/GET/);
    expect(origin.seen.length).toBe(before);
  });

  it("TRACK is refused by the runtime itself (501 before the Worker runs) and never reaches the origin", async () => {
    const before = origin.seen.length;
    const r = await raw(`TRACK /public/x HTTP/1.1\r\nHost: shop.example.com\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBe(501);
    expect(origin.seen.length).toBe(before);
  });

  it("CONNECT opens no tunnel and reaches no origin (the local runtime answers it before the Worker: see SECURITY.md)", async () => {
    const before = [origin.seen.length, evil.seen.length];
    const r = await raw(`CONNECT 127.0.0.1:${evil.port} HTTP/1.1\r\nHost: 127.0.0.1:${evil.port}\r\n\r\n`).catch((e: Error) => e);
    expect([origin.seen.length, evil.seen.length]).toEqual(before);
    // workerd routes CONNECT to a connect() handler, never to fetch(); Miniflare's entry worker has
    // none and answers 500 itself. Whatever it answers, it is not the gateway's (no server header)
    // and no tunnel bytes flow: the connection is closed.
    if (!(r instanceof Error)) {
      expect(r.headers.get("server")).toBeUndefined();
      expect(r.headers.get("connection")).toEqual(["close"]);
    }
  });

  it("an unknown host is a 404 with an empty body", async () => {
    const r = await get("/public/x", "nobody.example.org");
    expect([r.status, r.body]).toEqual([404, ""]);
  });

  it("a request without Host is a 4xx", async () => {
    const r = await raw(`GET /public/x HTTP/1.1\r\nConnection: close\r\n\r\n`);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(r.status).toBeLessThan(500);
  });
});

describe("admin endpoints", () => {
  const admin = (authorization?: string, path = "/__gateway/config") =>
    get(path, "gateway.test", authorization === undefined ? "" : `Authorization: ${authorization}\r\n`);

  it("the right token is accepted (scheme case-insensitive, RFC 9110 §11.1)", async () => {
    expect((await admin(`Bearer ${ADMIN_TOKEN}`)).status).toBe(200);
    expect((await admin(`bearer ${ADMIN_TOKEN}`)).status).toBe(200);
  });

  it.each([
    ["no Authorization header", undefined],
    ["a wrong token of the same length", `Bearer ${ADMIN_TOKEN.slice(0, -1)}X`],
    ["the token with one character less", `Bearer ${ADMIN_TOKEN.slice(0, -1)}`],
    ["the token as a prefix of a longer one", `Bearer ${ADMIN_TOKEN}0`],
    ["Basic with the token", `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString("base64")}`],
    ["the bare token without a scheme", ADMIN_TOKEN],
    ["Bearer without a token", "Bearer"],
    ["Bearer and a space", "Bearer "],
    ["another scheme", `Token ${ADMIN_TOKEN}`],
  ])("%s is 401", async (_name, authorization) => {
    const r = await admin(authorization);
    expect(r.status).toBe(401);
    expect(r.body).not.toContain("version");
  });

  it.each(["/__GATEWAY/config", "/__gateway/CONFIG", "/%5F%5Fgateway/config", "/__gateway%2Fconfig", "/x/../__gateway/config", "/__gateway//config", "/__gateway/config/"])(
    "variant %s never answers the config without a token",
    async (path) => {
      const r = await admin(undefined, path);
      expect(r.status).not.toBe(200);
      expect(r.status).toBeLessThan(500);
    },
  );
});

describe("secrets never reach the logs", () => {
  it("cookie, authorization, query and header values, and the admin token, are absent from everything the Worker logged", async () => {
    const headers = `Cookie: sid=${SECRETS.cookie}\r\nAuthorization: ${SECRETS.authorization}\r\nX-Input: ${SECRETS.xInput}\r\n`;
    await get(`/public/x?token=${SECRETS.query}`, "shop.example.com", headers);
    await get(`/admin?token=${SECRETS.query}`, "shop.example.com", headers);
    await get(`/echo-header?token=${SECRETS.query}`, "shop.example.com", headers);
    await get(`/public/%zz?token=${SECRETS.query}`, "shop.example.com", headers);
    // An upstream failure: its error detail is logged, the URL's query must not be.
    await get(`/public/reset?echo-reset=before&token=${SECRETS.query}`, "shop.example.com", headers);
    await get(`/x?token=${SECRETS.query}`, "nobody.example.org", headers);
    await get("/__gateway/config", "gateway.test", `Authorization: Bearer ${ADMIN_TOKEN}\r\n${headers}`);
    await get("/__gateway/config", "gateway.test", `Authorization: Bearer wrong-${SECRETS.authorization}\r\n`);
    // Logs arrive asynchronously from workerd's stdout.
    for (let i = 0; i < 50 && !logs.some((l) => l.includes("/echo-header")); i++) await new Promise((r) => setTimeout(r, 20));
    expect(logs.some((l) => l.includes("/echo-header")), "the per-request log lines were captured").toBe(true);
    const all = logs.join("\n");
    for (const secret of [...Object.values(SECRETS), ADMIN_TOKEN, "authsecret-51d2e8"]) expect(all).not.toContain(secret);
  });
});
