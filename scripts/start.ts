/**
 * `npm start`: the whole gateway on one machine, in one command.
 *   1. compile the examples in routes/, or the files given with `--routes` (any error: stop,
 *      nothing started)
 *   2. an echo origin per local endpoint of their ServiceEntries (each answers with its name,
 *      e.g. "reviews v2", in `x-echo-server` and the JSON body) on the documented port, or on a
 *      free port when that one is taken (the pushed table is patched, routes/ is untouched)
 *   3. push into the local KV state .dev-state/start, then `wrangler dev` on it with
 *      CONFIG_REFRESH_SECONDS=0 (a push into that state shows on the next request) and
 *      ACCESS_LOG=all (while you try it, every request's line is worth seeing)
 *   4. wait until the gateway serves that version, try a few requests, print curl lines (for
 *      `--routes`: the requests of the golden cases beside those files)
 *   5. Ctrl-C / SIGTERM stops wrangler (and workerd) and the origins.
 */
import { randomBytes } from "node:crypto";
import { request } from "node:http";
import { appendFileSync, mkdirSync, openSync, readFileSync } from "node:fs";
import path from "node:path";
import { build, summaryLine } from "./lib/build.ts";
import { startEchoOrigin, type EchoOrigin } from "./lib/echo-origin.ts";
import { localEndpoints, moveEndpoints } from "./lib/demo-overlay.ts";
import { LocalKv } from "./lib/local-kv.ts";
import { pushVersion } from "../src/store/release.ts";
import { routesNamespaceId } from "./lib/wrangler-toml.ts";
import { startWrangler, type WranglerProcess } from "./lib/wrangler-dev.ts";
import { tableHash } from "../src/compile/index.ts";
import { freePort } from "./lib/ports.ts";
import { startArgs } from "./lib/start-args.ts";
import { findCaseFiles } from "./lib/golden.ts";
import { loadCases } from "../src/cases/load.ts";

let args;
try {
  args = startArgs(process.argv.slice(2));
} catch (e) {
  console.error(`npm start: ${(e as Error).message}\nusage: npm start [-- --routes <file|dir> ...]`);
  process.exit(2);
}
const ROUTES = args.paths;
const ROUTES_DIR = ROUTES.join(" ");
const STATE_DIR = ".dev-state/start";
const PREFERRED_GATEWAY_PORT = 8787;
/** Generous: wrangler bundles the Worker and starts workerd (10–30 s on a busy machine). */
const READY_TIMEOUT_MS = 120_000;

const log = (line: string) => console.log(line);

const origins: EchoOrigin[] = [];
let wrangler: WranglerProcess | null = null;
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log("\nstopping: wrangler dev, echo origins …");
    await wrangler?.stop();
    await Promise.all(origins.map((o) => o.close()));
  }
  process.exit(code);
}

for (const sig of ["SIGINT", "SIGTERM"] as const) process.on(sig, () => void stop(0));

// 1. compile
const built = await build(ROUTES);
if (!built.table) {
  for (const i of built.issues.filter((x) => x.severity === "error")) console.error(`${i.file}:${i.line}:${i.col}: ${i.path}: ${i.message}`);
  console.error(`npm start: ${ROUTES_DIR} has errors; run \`npm run routes -- validate ${ROUTES_DIR}\``);
  process.exit(1);
}
log(`compiled ${ROUTES_DIR}: ${summaryLine(built.table)} (${built.warnings} warnings, see \`npm run routes -- validate ${ROUTES_DIR}\`)`);

// 2. origins
const moved = new Map<string, string>();
for (const ep of localEndpoints(built.table)) {
  const port = await freePort(ep.port);
  const origin = await startEchoOrigin(ep.name, port);
  origins.push(origin);
  if (port !== ep.port) moved.set(ep.url, origin.url);
  log(`  origin ${ep.name.padEnd(20)} ${origin.url}${port !== ep.port ? `   (port ${ep.port} is taken)` : ""}`);
}

// 3. push + wrangler dev
const table = moved.size ? moveEndpoints(built.table, moved) : built.table;
table.hash = await tableHash({ ...table, hash: "" });
mkdirSync(STATE_DIR, { recursive: true });
const kv = new LocalKv(STATE_DIR, routesNamespaceId("wrangler.toml", undefined));
try {
  const out = await pushVersion(kv, {
    table,
    summary: summaryLine(table) + (moved.size ? " (npm start: moved ports)" : ""),
    sources: built.sources,
    now: new Date(),
  });
  log(`pushed version ${table.hash.slice(0, 12)} into ${kv.target}${out.kind === "already-active" ? " (already active)" : ""}`);
} finally {
  await kv.close();
}

const port = await freePort(PREFERRED_GATEWAY_PORT);
const base = `http://127.0.0.1:${port}`;
const wranglerLog = path.join(STATE_DIR, "wrangler.log");
appendFileSync(wranglerLog, `\n--- npm start ${new Date().toISOString()} ---\n`);
const logFd = openSync(wranglerLog, "a");
log(`starting wrangler dev on ${base} (log: ${wranglerLog}) …`);
// A fresh admin token per run for the console (never a well-known default, even on 127.0.0.1).
const adminToken = `demo-${randomBytes(12).toString("base64url")}`;
wrangler = startWrangler(
  [
    "dev",
    "--port",
    String(port),
    "--ip",
    "127.0.0.1",
    "--persist-to",
    STATE_DIR,
    "--var",
    "CONFIG_REFRESH_SECONDS:0",
    "--var",
    "ACCESS_LOG:all",
    "--var",
    `ADMIN_TOKEN:${adminToken}`,
    "--show-interactive-dev-session=false",
  ],
  ["ignore", logFd, logFd],
);
void wrangler.exited.then((code) => {
  if (stopping) return;
  console.error(`wrangler dev exited (${code}); last lines of ${wranglerLog}:`);
  console.error(readFileSync(wranglerLog, "utf8").trim().split("\n").slice(-15).join("\n"));
  void stop(1);
});

// 4. ready = the gateway answers with the version we pushed
interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
}
/** node:http, not fetch: fetch does not let us choose the Host header, and Host is how the gateway routes. */
function get(pathname: string, headers: Record<string, string>, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path: pathname, method, headers, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers }));
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end();
  });
}
const deadline = Date.now() + READY_TIMEOUT_MS;
for (;;) {
  // Every response carries the version header, a 404 too: any path shows which version is live.
  const res = await get("/productpage", { host: "bookinfo.example.com" }).catch(() => null);
  if (res?.headers["x-gateway-config-version"] === table.hash) break;
  if (Date.now() > deadline) {
    console.error(`the gateway did not serve version ${table.hash.slice(0, 12)} within ${READY_TIMEOUT_MS / 1000} s; see ${wranglerLog}`);
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 500));
}

log(`\ngateway ready on ${base}, serving ${table.hash.slice(0, 12)}.`);
log(`console: ${base}/__gateway/ui/  (admin token for this run: ${adminToken})\n`);
log("Try:\n");
async function show(title: string, curl: string, pathname: string, headers: Record<string, string>, method = "GET"): Promise<void> {
  const res = await get(pathname, headers, method);
  const who = res.headers["x-echo-server"];
  const where = res.headers["location"];
  log(`# ${title}`);
  log(`curl -si ${curl} ${base}${pathname}`);
  log(`#   → ${res.status}${who ? ` from "${who}"` : ""}${where ? ` location: ${where}` : ""}\n`);
}
if (args.custom) {
  await tourOfCases();
  log("Ctrl-C stops everything.");
} else {
  await tourOfExamples();
}

/** `--routes`: replay the golden cases beside the given files against the live gateway. */
async function tourOfCases(): Promise<void> {
  const shown = [];
  for (const file of await findCaseFiles(ROUTES)) shown.push(...loadCases({ path: file, text: readFileSync(file, "utf8") }).cases);
  for (const { case: c } of shown.slice(0, 8)) {
    const url = new URL(c.request.url);
    const headers: Record<string, string> = { host: url.host, ...(c.request.headers ?? {}) };
    const extra = Object.entries(c.request.headers ?? {}).map(([k, v]) => ` -H '${k}: ${v}'`).join("");
    await show(c.name, `-X ${c.request.method} -H 'host: ${url.host}'${extra}`, url.pathname + url.search, headers, c.request.method);
  }
  if (!shown.length) log(`curl -si -H 'host: example.com' ${base}/`);
  log(`Push changes while this runs: npm run routes -- push --local --persist-to ${STATE_DIR} ${ROUTES_DIR}`);
}

async function tourOfExamples(): Promise<void> {
await show("request routing by header: everyone gets reviews v1 …", "-H 'host: bookinfo.example.com'", "/reviews/1", { host: "bookinfo.example.com" });
await show("… and end-user jason gets reviews v2", "-H 'host: bookinfo.example.com' -H 'end-user: jason'", "/reviews/1", { host: "bookinfo.example.com", "end-user": "jason" });
await show("a redirect", "-H 'host: bookinfo.example.com'", "/", { host: "bookinfo.example.com" });
await show("a canary forced by a header", "-H 'host: app.example.com' -H 'x-canary: always'", "/", { host: "app.example.com", "x-canary": "always" });
await show("fault injection: abort for testers", "-H 'host: shop.example.com' -H 'x-chaos: abort'", "/checkout", { host: "shop.example.com", "x-chaos": "abort" });

// The 90/10 split, counted over a bounded number of requests.
const counts = new Map<string, number>();
const N = 50;
for (let i = 0; i < N; i++) {
  const res = await get("/v1/items", { host: "api.example.com" });
  const who = String(res.headers["x-echo-server"] ?? res.status);
  counts.set(who, (counts.get(who) ?? 0) + 1);
}
log("# a 90/10 traffic split (each request rolls the dice)");
log(`for i in $(seq ${N}); do curl -s -o /dev/null -D - -H 'host: api.example.com' ${base}/v1/items | grep -i x-echo-server; done | sort | uniq -c`);
log(`#   → ${[...counts].map(([k, v]) => `${v} × "${k}"`).join(", ")}\n`);

// The sticky A/B split: the first answer sets the visitor cookie, which keeps the variant.
const first = await get("/", { host: "www.example.com" });
const cookie = String(first.headers["set-cookie"] ?? "").split(";")[0] ?? "";
const variants = new Set<string>();
for (let i = 0; i < 10 && cookie; i++) variants.add(String((await get("/", { host: "www.example.com", cookie })).headers["x-echo-server"]));
log("# a sticky A/B test: the first visit sets a visitor cookie …");
log(`curl -si -H 'host: www.example.com' ${base}/ | grep -i -e set-cookie -e x-echo-server`);
log(`#   → ${first.status} from "${first.headers["x-echo-server"]}", ${cookie || "no cookie"}`);
log("# … and that visitor keeps the variant");
log(`curl -si -H 'host: www.example.com' -H 'cookie: ${cookie}' ${base}/ | grep -i x-echo-server`);
log(`#   → 10 requests, variants seen: ${[...variants].map((v) => `"${v}"`).join(", ")}\n`);

log(`Change routes/ and push while this runs (ports as in routes/${moved.size ? "; note: some were taken and moved here, so a push of routes/ would point at the taken ports" : ""}):`);
log(`  npm run routes -- push --local --persist-to ${STATE_DIR} routes/`);
log("Ctrl-C stops everything.");
}
