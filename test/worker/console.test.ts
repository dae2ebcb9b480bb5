/**
 * The admin console inside workerd, on the real Worker (exports.default) and a real KV binding,
 * with a table compiled from YAML through the CLI's own path (loadConfig → compile →
 * canonicalJson): authentication (Bearer, login form → session cookie, CSRF on POSTs), and the
 * overview, routes, explain pages rendering the live table.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { env, exports } from "cloudflare:workers";
import { compile } from "../../src/compile/index.ts";
import { loadConfig } from "../../src/config/index.ts";
import { issueSession } from "../../src/admin/auth.ts";
import { pushVersion, readActive } from "../../src/store/release.ts";
import type { RouteTable } from "../../src/table/types.ts";

const TOKEN = "test-admin-token";
const UI = "http://gw.example/__gateway/ui";

const YAML = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ["shop.example.com", "api.example.com"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop, namespace: default }
spec:
  hosts: ["shop.example.com"]
  gateways: ["edge"]
  http:
    - name: jason
      match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: shop-v2.example.com } }]
    - name: split
      route:
        - { destination: { host: shop-v1.example.com }, weight: 90 }
        - { destination: { host: shop-v2.example.com }, weight: 10 }
      timeout: 3s
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: default }
spec:
  hosts: ["api.example.com"]
  gateways: ["edge"]
  http:
    - name: api-all
      route: [{ destination: { host: api-origin.example.com } }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: shop-v1, namespace: default }
spec:
  host: shop-v1.example.com
  trafficPolicy:
    outlierDetection: { consecutive5xxErrors: 3, interval: 10s, baseEjectionTime: 30s }
`;

let version = "";
/** The version pushed before (the split at 80/20): history, diff and rollback have two to work with. */
let older = "";

async function compiled(text: string): Promise<RouteTable> {
  const loaded = loadConfig([{ path: "routes/console.yaml", text }]);
  expect(loaded.issues.filter((i) => i.severity === "error")).toEqual([]);
  const { table } = await compile(loaded.objects, { sources: ["routes/console.yaml"] });
  if (!table) throw new Error("test config did not compile");
  return table;
}

beforeAll(async () => {
  const before = await compiled(YAML.replace("weight: 90", "weight: 80").replace("weight: 10", "weight: 20"));
  const table = await compiled(YAML);
  older = before.hash;
  version = table.hash;
  await pushVersion(env.ROUTES, { table: before, summary: "2 hosts (80/20)", sources: ["routes/console.yaml"], now: new Date("2026-12-01T00:00:00Z") });
  await pushVersion(env.ROUTES, { table, summary: "2 hosts (90/10)", sources: ["routes/console.yaml"], now: new Date("2026-12-02T00:00:00Z") });
  // Until this isolate serves the new version (CONFIG_REFRESH_SECONDS=0: re-checked on every request).
  for (let i = 0; i < 40; i++) {
    const res = await exports.default.fetch("http://gw.example/__gateway/config", { headers: { authorization: `Bearer ${TOKEN}` } });
    if (((await res.json()) as { version: string | null }).version === version) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error("the pushed table was never served");
});

const get = (path: string, headers: Record<string, string> = {}) => exports.default.fetch(`${UI}${path}`, { headers, redirect: "manual" });
const bearer = { authorization: `Bearer ${TOKEN}` };

async function login(base = UI): Promise<{ cookie: string; setCookie: string }> {
  const res = await exports.default.fetch(`${base}/login`, {
    method: "POST",
    body: new URLSearchParams({ token: TOKEN }),
    headers: { origin: new URL(base).origin },
    redirect: "manual",
  });
  expect(res.status).toBe(303);
  expect(res.headers.get("location")).toBe("/__gateway/ui/");
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0]!, setCookie };
}

/** The CSRF token the page's logout form carries. */
async function csrfOf(res: Response): Promise<string> {
  const m = /name="_csrf" value="([^"]+)"/.exec(await res.text());
  if (!m) throw new Error("no CSRF field on the page");
  return m[1]!;
}

describe("console: who gets in", () => {
  it.each(["/", "/routes", "/explain?url=http://shop.example.com/", "/versions"])("%s without credentials redirects to the login form and shows no route data", async (path) => {
    const res = await get(path);
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/__gateway/ui/login");
    expect(await res.text()).not.toContain("shop.example.com");
  });

  it("a wrong Bearer token is 401 on a page, and a valid session cookie does not rescue it", async () => {
    const { cookie } = await login();
    const res = await get("/routes", { authorization: "Bearer wrong", cookie });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain("shop.example.com");
  });

  it("the login form is open, with the security headers and no data", async () => {
    const res = await get("/login");
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get("cache-control")).toBe("no-store");
    const html = await res.text();
    expect(html).toContain('<label for="token">Admin token</label>');
    expect(html).not.toContain(version);
  });

  it("a wrong token at the login form is 401 and sets no cookie", async () => {
    const res = await exports.default.fetch(`${UI}/login`, { method: "POST", body: new URLSearchParams({ token: "nope" }), redirect: "manual" });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
    expect(await res.text()).toContain("not the admin token");
  });

  it("a login body larger than a form, or not a form, is refused without reading it all", async () => {
    const big = await exports.default.fetch(`${UI}/login`, { method: "POST", body: new URLSearchParams({ token: TOKEN, pad: "x".repeat(20_000) }), redirect: "manual" });
    expect(big.status).toBe(413);
    expect(big.headers.get("set-cookie")).toBeNull();
    const json = await exports.default.fetch(`${UI}/login`, { method: "POST", body: JSON.stringify({ token: TOKEN }), headers: { "content-type": "application/json" }, redirect: "manual" });
    expect(json.status).toBe(413);
  });

  it("a login form posted from another site is refused even with the right token", async () => {
    const res = await exports.default.fetch(`${UI}/login`, { method: "POST", body: new URLSearchParams({ token: TOKEN }), headers: { origin: "https://evil.example" }, redirect: "manual" });
    expect(res.status).toBe(401);
    expect(res.headers.get("set-cookie")).toBeNull();
  });

  it("the right token gives a short, HttpOnly, SameSite=Strict session scoped to the admin path", async () => {
    const { setCookie } = await login();
    expect(setCookie).toMatch(/^gateway-session=v1\.\d+\.[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain("Max-Age=1800");
    expect(setCookie).toContain("Path=/__gateway/");
    expect(setCookie).toContain("HttpOnly");
    expect(setCookie).toContain("SameSite=Strict");
    expect(setCookie).not.toContain("Secure");
  });

  it("over https the cookie is Secure and __Secure- prefixed", async () => {
    const { setCookie } = await login("https://gw.example/__gateway/ui");
    expect(setCookie).toMatch(/^__Secure-gateway-session=/);
    expect(setCookie).toContain("; Secure");
  });

  it("an expired or tampered session is sent back to the login form", async () => {
    const expired = await issueSession(TOKEN, Date.now() - 3_600_000);
    expect((await get("/", { cookie: `gateway-session=${expired}` })).status).toBe(303);
    const { cookie } = await login();
    const tampered = cookie.replace(/\.(\d+)\./, (_m, exp: string) => `.${Number(exp) + 1000}.`);
    expect((await get("/", { cookie: tampered })).status).toBe(303);
    expect((await get("/", { cookie })).status).toBe(200);
  });

  it("a Bearer token works for every page without a cookie", async () => {
    for (const path of ["/", "/routes", "/explain"]) {
      const res = await get(path, bearer);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toContain("signed in with a Bearer token");
    }
  });

  it("logout needs the page's CSRF token and the same origin, then clears the cookie", async () => {
    const { cookie } = await login();
    const page = await get("/", { cookie });
    const csrf = await csrfOf(page);
    const post = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      exports.default.fetch(`${UI}/logout`, { method: "POST", body: new URLSearchParams(body), headers: { cookie, ...headers }, redirect: "manual" });
    expect((await post({})).status).toBe(403);
    expect((await post({ _csrf: "x".repeat(43) })).status).toBe(403);
    expect((await post({ _csrf: csrf }, { origin: "https://evil.example" })).status).toBe(403);
    expect((await post({ _csrf: csrf }, { "sec-fetch-site": "cross-site" })).status).toBe(403);
    const out = await post({ _csrf: csrf }, { origin: "http://gw.example", "sec-fetch-site": "same-origin" });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe("/__gateway/ui/login");
    expect(out.headers.get("set-cookie")).toMatch(/^gateway-session=; Max-Age=0; Path=\/__gateway\//);
  });

  it("a session's CSRF token does not fit another session", async () => {
    const a = await login();
    const csrfA = await csrfOf(await get("/", { cookie: a.cookie }));
    const other = `gateway-session=${await issueSession(TOKEN, Date.now() + 1000)}`;
    expect(other).not.toBe(a.cookie);
    const res = await exports.default.fetch(`${UI}/logout`, { method: "POST", body: new URLSearchParams({ _csrf: csrfA }), headers: { cookie: other }, redirect: "manual" });
    expect(res.status).toBe(403);
  });

  it("serves its own stylesheet and script (no third-party assets) without a session", async () => {
    const css = await get("/assets/app.css");
    expect(css.status).toBe(200);
    expect(css.headers.get("content-type")).toContain("text/css");
    const js = await get("/assets/app.js");
    expect(js.headers.get("content-type")).toContain("javascript");
    const page = await (await get("/routes", bearer)).text();
    expect(page).not.toMatch(/(src|href)="https?:/);
    expect(page).not.toMatch(/<script>|style="/);
  });
});

describe("console: pages", () => {
  it("overview names the version this isolate serves and KV's pointer", async () => {
    const html = await (await get("/", bearer)).text();
    expect(html).toContain(version.slice(0, 12));
    expect(html).toContain("No refresh errors.");
    expect(html).toContain("answering");
    expect(html).toMatch(/<dt>routes<\/dt><dd>3<\/dd>/);
  });

  it("routes lists hosts → rules → destinations, a bar per weighted split, policies", async () => {
    const html = await (await get("/routes", bearer)).text();
    expect(html).toContain('data-host="shop.example.com"');
    expect(html).toContain('data-host="api.example.com"');
    expect(html).toContain("header end-user = &quot;jason&quot;");
    expect(html).toContain("route to shop-v2.example.com");
    expect(html).toMatch(/<svg class="split"[^>]*aria-label="split of split: shop-v1.example.com 90%, shop-v2.example.com 10%"/);
    expect(html).toMatch(/<rect class="c0" x="0" y="0" width="90" height="10"/);
    expect(html).toContain("3000ms");
    expect(html).toContain("default/shop http[1]");
  });

  it("routes filters by host, server-side (works without JavaScript)", async () => {
    const html = await (await get("/routes?host=api.", bearer)).text();
    expect(html).toContain('data-host="api.example.com"');
    expect(html).not.toContain('data-host="shop.example.com"');
    expect(html).toContain("1 of 2 hosts");
  });

  it("explain runs the CLI's decision for the live table", async () => {
    const q = new URLSearchParams({ method: "GET", url: "http://shop.example.com/cart", headers: "end-user: jason" });
    const html = await (await get(`/explain?${q}`, bearer)).text();
    expect(html).toMatch(/<th scope="row">route<\/th><td class="mono">jason /);
    expect(html).toMatch(/<th scope="row">destination<\/th><td class="mono">shop-v2.example.com/);
    const split = await (await get(`/explain?${new URLSearchParams({ url: "http://shop.example.com/", random: "0.95" })}`, bearer)).text();
    expect(split).toMatch(/<th scope="row">route<\/th><td class="mono">split /);
  });

  it("explain answers a bad form with 400 and says which field", async () => {
    const res = await get(`/explain?${new URLSearchParams({ url: "not a url" })}`, bearer);
    expect(res.status).toBe(400);
    expect(await res.text()).toContain("URL: an absolute http(s) URL");
  });

  it("explain of a request the gateway refuses shows the 400 reason", async () => {
    const html = await (await get(`/explain?${new URLSearchParams({ url: "http://shop.example.com/a/..%2fb" })}`, bearer)).text();
    expect(html).toContain("400 bad request: ambiguous dot segment");
  });
});

describe("console: health", () => {
  it("shows the state plane's view of each upstream with outlier detection", async () => {
    const res = await get("/health", bearer);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<code>shop-v1.example.com||</code>");
    // Nothing was forwarded to it in this test: the object knows the upstream but no endpoint results yet.
    expect(html).toContain("outlier detection: no isolate has reported a request to this upstream yet");
    expect(html).not.toContain("api-origin.example.com||");
  });
});

describe("console: versions", () => {
  it("lists the history newest first with the active version marked", async () => {
    const html = await (await get("/versions", bearer)).text();
    expect(html.indexOf(version.slice(0, 12))).toBeLessThan(html.indexOf(older.slice(0, 12)));
    expect(html).toMatch(new RegExp(`<tr class="active"><td><code title="${version}">`));
    expect(html).toContain(`aria-label="Roll back to ${older.slice(0, 12)}"`);
  });

  it("diffs any two versions with the CLI's diff", async () => {
    const html = await (await get(`/versions?from=${older}&to=${version}`, bearer)).text();
    expect(html).toContain('<span class="chg">    ~ route split</span>');
    expect(html).toContain("action: route to shop-v1.example.com 80%, shop-v2.example.com 20% → route to shop-v1.example.com 90%, shop-v2.example.com 10%");
    const missing = await (await get(`/versions?from=nope&to=${version}`, bearer)).text();
    expect(missing).toContain("version nope is no longer stored in KV");
  });

  it("asks for confirmation, showing what the rollback changes", async () => {
    const res = await get(`/versions/rollback?to=${older}`, bearer);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain(`Roll back to ${older.slice(0, 12)}?`);
    expect(html).toContain("shop-v2.example.com 10% → route to shop-v1.example.com 80%, shop-v2.example.com 20%");
    expect((await get("/versions/rollback?to=unknown", bearer)).status).toBe(400);
  });

  it("a session's rollback needs the page's CSRF token; then only the pointer moves", async () => {
    const { cookie } = await login();
    const confirm = await get(`/versions/rollback?to=${older}`, { cookie });
    const csrf = await csrfOf(confirm);
    const post = (body: Record<string, string>) =>
      exports.default.fetch(`${UI}/versions/rollback`, { method: "POST", body: new URLSearchParams(body), headers: { cookie }, redirect: "manual" });
    expect((await post({ to: older })).status).toBe(403);
    expect((await readActive(env.ROUTES))?.version).toBe(version);
    const res = await post({ to: older, _csrf: csrf });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Rolled back: ${older.slice(0, 12)} is active (was ${version.slice(0, 12)})`);
    expect(await readActive(env.ROUTES)).toMatchObject({ version: older, reason: "rollback" });
  });

  it("a Bearer rollback needs no CSRF token; an unknown version is refused with the CLI's reason", async () => {
    const post = (to: string) => exports.default.fetch(`${UI}/versions/rollback`, { method: "POST", body: new URLSearchParams({ to }), headers: bearer, redirect: "manual" });
    const refused = await post("0123456789ab");
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain("rollback refused: no version 0123456789ab in the history");
    const back = await post(version);
    expect(back.status).toBe(200);
    expect((await readActive(env.ROUTES))?.version).toBe(version);
    const again = await post(version);
    expect(await again.text()).toContain("is already active: nothing to do");
  });
});
