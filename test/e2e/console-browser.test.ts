/**
 * The admin console in a real browser: Debian's headless Chromium driven by playwright-core,
 * against the real bundled Worker under Miniflare (the e2e harness) with two versions pushed
 * through the CLI's release code. One browser, one flow: no token and a wrong token see no route
 * data; log in, filter routes, explain a request, diff the two versions, roll back (the data path
 * then serves the older version), watch the split's canary rollout and pause then abort it (the
 * gateway runs with its state plane, so the rollout is a real object), log out. Screenshots go to
 * test-artifacts/console/ (gitignored).
 *
 * Needs /usr/bin/chromium (`apt-get install -y chromium`; .ci/run installs it) or CHROMIUM_PATH.
 */
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium, type Browser, type Page } from "playwright-core";
import { compile } from "../../src/compile/index.ts";
import { loadConfig } from "../../src/config/index.ts";
import type { RouteTable } from "../../src/table/types.ts";
import { pushVersion } from "../../src/store/release.ts";
import { startGateway, type Gateway } from "./harness/gateway.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = "test-artifacts/console";
const TOKEN = "e2e-admin";

/** Two versions of one config: v2 moves the split to 50/50 and adds a host. */
function yaml(version: "v1" | "v2"): string {
  const weights = version === "v1" ? [90, 10] : [50, 50];
  const hosts = version === "v1" ? `["shop.example.com"]` : `["shop.example.com", "api.example.com"]`;
  const api =
    version === "v2"
      ? `---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: api, namespace: default }
spec:
  hosts: ["api.example.com"]
  gateways: ["edge"]
  http:
    - name: api-all
      directResponse: { status: 200, body: { string: "api" } }
`
      : "";
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: edge, namespace: default }
spec:
  servers:
    - port: { number: 80, name: http, protocol: HTTP }
      hosts: ${hosts}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop, namespace: default }
spec:
  hosts: ["shop.example.com"]
  gateways: ["edge"]
  http:
    - name: home
      match: [{ uri: { exact: / } }]
      directResponse: { status: 200, body: { string: "${version}" } }
    - name: jason
      match: [{ headers: { end-user: { exact: jason } } }]
      route: [{ destination: { host: shop-v2.example.com } }]
    - name: split
      route:
        - { destination: { host: shop-v1.example.com }, weight: ${weights[0]} }
        - { destination: { host: shop-v2.example.com }, weight: ${weights[1]} }
${api}---
apiVersion: edge-gateway.dev/v1alpha1
kind: Canary
metadata: { name: shop-v2, namespace: default }
spec:
  target: { virtualService: shop, rule: split }
  primary: { host: shop-v1.example.com }
  canary: { host: shop-v2.example.com }
  analysis: { interval: 1h, stepWeights: [10, 50], threshold: 2, successRate: { min: 99 } }
`;
}

async function compiled(version: "v1" | "v2"): Promise<RouteTable> {
  const files = [{ path: `routes/console-${version}.yaml`, text: yaml(version) }];
  const loaded = loadConfig(files);
  const { table } = await compile(loaded.objects, { sources: files.map((f) => f.path) });
  if (!table) throw new Error(`${version} did not compile`);
  return table;
}

let gw: Gateway;
let browser: Browser;
let page: Page;
let ui: string;
let v1: RouteTable;
let v2: RouteTable;

/** Which version the data path serves (the home route answers with its version's name). */
async function servedBody(): Promise<string> {
  return (await gw.fetch("http://shop.example.com/")).text();
}

async function until(what: string, check: () => Promise<boolean>, tries = 100): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${what}`);
}

const shot = (name: string) => page.screenshot({ path: `${ARTIFACTS}/${name}.png`, fullPage: true });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  gw = await startGateway({}, { state: true });
  ui = new URL("/__gateway/ui", gw.url).href;
  const kv = Object.assign(await gw.mf.getKVNamespace("ROUTES"), { target: "e2e KV" }) as unknown as KVNamespace & { target: string };
  [v1, v2] = await Promise.all([compiled("v1"), compiled("v2")]);
  await pushVersion(kv, { table: v1, summary: "1 host", sources: ["routes/console-v1.yaml"], now: new Date("2026-12-01T10:00:00Z") });
  await pushVersion(kv, { table: v2, summary: "2 hosts", sources: ["routes/console-v2.yaml"], now: new Date("2026-12-02T10:00:00Z") });
  await until("v2 served", async () => (await servedBody()) === "v2");
  // The flags headless Chromium needs on this kind of machine (root, no GPU, closed network).
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  page = await (await browser.newContext({ viewport: { width: 1366, height: 768 } })).newPage();
  // Every step is a local page load: a missing element is a failure, not something to wait 30 s for.
  page.setDefaultTimeout(10_000);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await gw?.close();
});

describe("the console in Chromium", () => {
  it("without a token: the login form, and no route data anywhere", async () => {
    await page.goto(`${ui}/routes`);
    expect(new URL(page.url()).pathname).toBe("/__gateway/ui/login");
    expect(await page.content()).not.toContain("shop.example.com");
    await shot("01-login");
  });

  it("a wrong token: an error on the form, still no route data", async () => {
    await page.getByLabel("Admin token").fill("not-the-token");
    await page.getByRole("button", { name: "Log in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent()).toContain("not the admin token");
    expect(await page.content()).not.toContain("shop.example.com");
    await page.goto(`${ui}/`);
    expect(new URL(page.url()).pathname).toBe("/__gateway/ui/login");
    await shot("02-wrong-token");
  });

  it("logs in and the overview names the active version", async () => {
    await page.getByLabel("Admin token").fill(TOKEN);
    await page.getByRole("button", { name: "Log in" }).click();
    await page.waitForURL(`${ui}/`);
    const main = page.locator("main");
    await expect.poll(() => main.textContent()).toContain(v2.hash.slice(0, 12));
    expect(await main.textContent()).toContain("No refresh errors.");
    await shot("03-overview");
  });

  it("routes: filtering by host as you type (script) and by the form (no script)", async () => {
    await page.getByRole("link", { name: "Routes" }).click();
    await page.waitForURL(`${ui}/routes`);
    const shop = page.locator('[data-host="shop.example.com"]');
    const api = page.locator('[data-host="api.example.com"]');
    expect(await shop.isVisible()).toBe(true);
    expect(await api.isVisible()).toBe(true);
    expect(await page.getByRole("img", { name: /split of split: shop-v1.example.com 50%, shop-v2.example.com 50%/ }).count()).toBe(1);
    await page.getByLabel("Filter hosts").pressSequentially("api.");
    await expect.poll(() => shop.isVisible()).toBe(false);
    expect(await api.isVisible()).toBe(true);
    expect(await page.locator("#host-count").textContent()).toBe("1 of 2 hosts");
    await shot("04-routes-filtered");
    await page.getByRole("button", { name: "Filter" }).click();
    await page.waitForURL(/routes\?host=api\./);
    expect(await page.locator("[data-host]").count()).toBe(1);
  });

  it("explain: a request → the decision of the live table", async () => {
    await page.getByRole("link", { name: "Explain" }).click();
    await page.getByLabel("URL").fill("http://shop.example.com/cart");
    await page.getByLabel("Headers").fill("end-user: jason");
    await page.getByRole("button", { name: "Explain" }).click();
    await page.waitForURL(/explain\?/);
    const row = (label: string) => page.locator("table.explain tr", { has: page.locator(`th:text-is("${label}")`) }).locator("td");
    expect(await row("route").textContent()).toMatch(/^jason /);
    expect(await row("destination").textContent()).toBe("shop-v2.example.com");
    await shot("05-explain");
  });

  it("versions: both pushes listed, the active one marked, and their diff as `routes diff` prints it", async () => {
    await page.getByRole("link", { name: "Versions" }).click();
    const active = page.locator("tr.active");
    expect(await active.textContent()).toContain(v2.hash.slice(0, 12));
    await page.getByLabel("From (before)").selectOption(v1.hash);
    await page.getByLabel("To (after)").selectOption(v2.hash);
    await page.getByRole("button", { name: "Diff" }).click();
    const diff = await page.locator("pre.diff").textContent();
    expect(diff).toContain("+ host api.example.com");
    expect(diff).toMatch(/~ route split\n\s+action: route to shop-v1.example.com 90%, shop-v2.example.com 10% → route to shop-v1.example.com 50%, shop-v2.example.com 50%/);
    await shot("06-diff");
  });

  it("rollback: a confirmation page with what changes, then the older version is active and served", async () => {
    await page.getByRole("link", { name: `Roll back to ${v1.hash.slice(0, 12)}` }).click();
    expect(await page.locator("h1").textContent()).toBe(`Roll back to ${v1.hash.slice(0, 12)}?`);
    expect(await page.locator("pre.diff").textContent()).toContain("- host api.example.com");
    await shot("07-rollback-confirm");
    await page.getByRole("button", { name: `Roll back to ${v1.hash.slice(0, 12)}` }).click();
    expect(await page.getByRole("status").textContent()).toContain(`Rolled back: ${v1.hash.slice(0, 12)} is active`);
    expect(await page.locator("tr.active").textContent()).toContain(v1.hash.slice(0, 12));
    await until("v1 served after the rollback", async () => (await servedBody()) === "v1");
    await shot("08-rolled-back");
  });

  it("canaries: the split's rollout, paused then aborted through confirmation pages", async () => {
    await page.getByRole("link", { name: "Canaries" }).click();
    await page.waitForURL(`${ui}/canaries`);
    const row = page.locator('tr[data-rollout="default/shop-v2"]');
    // The requests above started the rollout at its first step (10 %).
    expect(await row.textContent()).toContain("progressing step 1 of 2 (10%)");
    expect(await page.getByRole("img", { name: "weights of default/shop-v2: primary 90%, canary 10%" }).count()).toBe(1);
    await shot("10-canaries");
    await page.getByRole("link", { name: "default/shop-v2" }).click();
    expect(await page.locator("h1").textContent()).toBe("Canary default/shop-v2");
    expect(await page.locator("#last-decision").textContent()).toMatch(/^start at .*: started at 10%$/);
    await page.getByRole("link", { name: "Pause default/shop-v2…" }).click();
    expect(await page.locator("h1").textContent()).toBe("Pause default/shop-v2?");
    expect(await page.locator("#effect").textContent()).toContain("intervals are not judged until you resume");
    await shot("11-canary-pause-confirm");
    await page.getByRole("button", { name: "Pause default/shop-v2" }).click();
    expect(await page.getByRole("status").textContent()).toBe("pause: default/shop-v2 is paused at step 1 of 2 (10%), primary 90%, canary 10%.");
    expect(await page.locator('table.history tr[data-kind="pause"]').count()).toBe(1);
    await page.getByRole("link", { name: "Abort default/shop-v2…" }).click();
    expect(await page.locator("#effect").textContent()).toContain("every visitor returns to the primary shop-v1.example.com");
    await page.getByRole("button", { name: "Abort default/shop-v2" }).click();
    expect(await page.getByRole("status").textContent()).toBe("abort: default/shop-v2 is aborted, primary 100%, canary 0%.");
    expect(await page.getByRole("img", { name: "weights of default/shop-v2: primary 100%, canary 0%" }).count()).toBe(1);
    // The admin API agrees: the object holds the abort.
    const api = await gw.fetch("http://shop.example.com/__gateway/rollouts/default%2Fshop-v2", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(api.json()).toMatchObject({ source: "object", state: { phase: "aborted", canaryWeight: 0 } });
    await shot("12-canary-aborted");
  });

  it("logs out: the cookie is gone and pages ask for the token again", async () => {
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${ui}/login`);
    expect(await page.context().cookies()).toEqual([]);
    await page.goto(`${ui}/versions`);
    expect(new URL(page.url()).pathname).toBe("/__gateway/ui/login");
    expect(await page.content()).not.toContain(v1.hash.slice(0, 12));
    await shot("09-logged-out");
  });
});
