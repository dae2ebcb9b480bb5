/**
 * What one Headers / Request / Response operation costs inside workerd, in instructions
 * (callgrind): a Worker repeats the operation N times per request, one counted window per
 * operation in the same workerd process, minus a Worker doing nothing (`empty`, counted first and
 * last; the lower is used). Built for issue #16 to decide between copying a `Headers` object and
 * building the header list in JavaScript (bench/ANALYSIS.md, "After issue #16, part 5").
 *
 *   node --experimental-strip-types --no-warnings bench/header-ops-instr.ts [op ...]
 *
 * `inc` is the request's own headers (what the bench's load client sends); `rich` a browser-like
 * set of 12; `h8` / `list8` / `rec8` the same 8 response headers as a Headers object, a list of
 * pairs and a record. A window moves by up to ±0.2 M per request between runs (GC), i.e. ±5 k per
 * operation at N = 50: read the large differences only. Investigation tool; not part of `npm run bench`.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runLoad } from "./load-client.ts";
import { startWorker } from "./workerd.ts";
import { workerdBinary } from "./instructions.ts";

const N = 50;
const ops: Record<string, string> = {
  empty: ``,
  copy: `new Headers(inc);`,
  keys: `for (const k of inc.keys()) sink += k.length;`,
  entries: `for (const [k, v] of inc) sink += k.length + v.length;`,
  copyRich: `new Headers(rich);`,
  keysRich: `for (const k of rich.keys()) sink += k.length;`,
  entriesRich: `for (const [k, v] of rich) sink += k.length + v.length;`,
  set1: `h8.set("x-forwarded-proto", "http");`,
  del1absent: `h8.delete("proxy-connection");`,
  del1present: `h8.delete("x-a"); h8.set("x-a", "1");`,
  get1: `sink += (h8.get("connection") ?? "").length;`,
  has1: `sink += h8.has("connection") ? 1 : 0;`,
  fromList8: `new Headers(list8);`,
  fromRecord8: `new Headers(rec8);`,
  fromHeaders8: `new Headers(h8);`,
  respHeaders8: `new Response(null, { status: 200, headers: h8 });`,
  respList8: `new Response(null, { status: 200, headers: list8 });`,
  respRecord8: `new Response(null, { status: 200, headers: rec8 });`,
  reqHeaders8: `new Request("http://127.0.0.1/x", { headers: h8 });`,
  reqList8: `new Request("http://127.0.0.1/x", { headers: list8 });`,
  reqRecord8: `new Request("http://127.0.0.1/x", { headers: rec8 });`,
  reqHeaders8respHdr: `new Request("http://127.0.0.1/x", { headers: h8 }).headers;`,
};
const script = `
const list8 = [["date","Fri, 04 Dec 2026 03:00:00 GMT"],["content-type","text/plain"],["content-length","3"],["connection","keep-alive"],["server","nginx"],["x-a","1"],["x-envoy-upstream-service-time","3"],["x-gateway-config-version","abcdef0123456789"]];
const rec8 = Object.fromEntries(list8);
const h8 = new Headers(list8);
const rich = new Headers([["host","shop.example.com"],["user-agent","Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120"],["accept","text/html,application/xhtml+xml"],["accept-language","en-US,en;q=0.9"],["accept-encoding","gzip, deflate, br"],["cookie","a=1; b=2"],["referer","https://shop.example.com/"],["cf-connecting-ip","203.0.113.9"],["cf-ray","8abc"],["x-forwarded-proto","https"],["cf-ipcountry","DE"],["cdn-loop","cloudflare"]]);
let sink = 0;
export default { async fetch(req) {
  const u = new URL(req.url);
  const inc = req.headers;
  if (u.pathname === "/names") return new Response(JSON.stringify([...inc]));
  switch (u.pathname) {
${Object.entries(ops).map(([k, body]) => `    case "/${k}": for (let i = 0; i < ${N}; i++) { ${body} } break;`).join("\n")}
  }
  return new Response("ok\\n");
}};`;
const work = mkdtempSync(path.join(os.tmpdir(), "micro-"));
const out = path.join(work, "cg");
const wrapper = path.join(work, "wrap.sh");
writeFileSync(wrapper, `#!/bin/sh\nexec valgrind --tool=callgrind --cache-sim=no --smc-check=all-non-file --instr-atstart=no --callgrind-out-file=${out}.%p ${workerdBinary()} "$@" 2>>${out}.log\n`);
chmodSync(wrapper, 0o755);
const w = await startWorker({ label: "micro", script, compatibilityDate: "2026-11-01", workerdWrapper: wrapper });
const only = process.argv.slice(2);
try {
  const names = await fetch(w.url + "/names", { headers: { host: "h0.bench.example.com" } }).then((r) => r.text());
  console.log("incoming:", names);
  const ctl = (...a: string[]) => execFileSync("callgrind_control", [...a, String(w.pid)], { encoding: "utf8" });
  const results: Record<string, number> = {};
  const list = Object.keys(ops).filter((op) => !only.length || only.includes(op) || op === "empty");
  for (const op of list) await runLoad({ url: `${w.url}/${op}`, headers: { host: "h0.bench.example.com" } }, { concurrency: 4, durationMs: 600_000, maxRequests: 400 });
  ctl("-i", "on");
  const files = () => readdirSync(work).filter((f) => /^cg\.\d+\.\d+$/.test(f));
  for (const op of [...list, "empty"]) {
    const t = { url: `${w.url}/${op}`, headers: { host: "h0.bench.example.com" } };
    await runLoad(t, { concurrency: 4, durationMs: 600_000, maxRequests: 100 });
    const before = new Set(files());
    ctl("-z");
    const r = await runLoad(t, { concurrency: 4, durationMs: 600_000, maxRequests: 300 });
    ctl("-d");
    let f: string | undefined;
    for (let i = 0; i < 200 && !f; i++) { await new Promise((res) => setTimeout(res, 100)); f = files().find((x) => !before.has(x)); }
    await new Promise((res) => setTimeout(res, 1000));
    const m = /^totals:\s*(\d+)/m.exec(readFileSync(path.join(work, f!), "utf8"));
    const v = Number(m![1]) / r.requests;
    if (op === "empty" && results.empty !== undefined) results.empty = Math.min(results.empty, v); else results[op] = v;
    const per = (results[op]! - (results.empty ?? 0)) / N;
    console.log(`${op}\t${(v / 1e6).toFixed(3)} M/request\t${op === "empty" ? "" : (per / 1e3).toFixed(2) + " k/op"}\t(${r.requests} req, ${r.errors} err)`);
  }
  console.log(`\nper operation (minus the lower empty window, ${((results.empty ?? 0) / 1e6).toFixed(3)} M/request):`);
  for (const [op, v] of Object.entries(results)) if (op !== "empty") console.log(`${op}\t${((v - results.empty!) / N / 1e3).toFixed(2)} k`);
} finally {
  await w.stop();
}
