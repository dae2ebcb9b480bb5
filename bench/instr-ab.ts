/**
 * A/B instruction counts per request (callgrind), faster than `npm run bench -- --instructions`:
 * only the pass-through and the small-config gateway, for one or more gateway bundles, so a change
 * to the per-request path can be measured against its parent in one run.
 *
 *   node --experimental-strip-types --no-warnings bench/instr-ab.ts [--bundle=DIR ...] \
 *     [--warmup=600] [--requests=600] [--no-passthrough] [--keep] [--single-threaded]
 *
 * Without --bundle the current tree is built (wrangler deploy --dry-run). --bundle=DIR takes a
 * directory already written by `wrangler deploy --dry-run --outdir DIR` (e.g. from another
 * worktree or commit). --keep leaves the callgrind output files (for callgrind_annotate) in the
 * printed work directory. Investigation tool; not part of `npm run bench`.
 *
 * --single-threaded runs workerd's V8 with `--single-threaded` (through Miniflare's
 * MINIFLARE_WORKERD_V8_FLAGS): optimizing compiles finish on the main thread instead of background
 * jobs that valgrind's one-thread-at-a-time scheduling starves. Without it, whether the hot
 * functions are optimized in the counted window differs from one Worker to the next, and a count
 * moves by up to ±100 k (the gateway's own JavaScript runs in the interpreter/baseline tier in
 * one window, optimized in the next); with it, every Worker is counted in the optimized steady
 * state that a workerd on a real CPU reaches, and a count moves by a few k.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { buildBundle, readCompat } from "./bundle.ts";
import { kvEntries, passthroughScript, probeTarget } from "./e2e.ts";
import { smallConfig } from "./gen.ts";
import { countInstructions, valgrindAvailable } from "./instructions.ts";
import { startNginx, startNodeOrigin } from "./origin.ts";
import { loadPipeline } from "./pipeline.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const opt = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.split("=")[1];
const bundles = argv.filter((a) => a.startsWith("--bundle=")).map((a) => path.resolve(a.slice("--bundle=".length)));
const warmup = Number(opt("warmup") ?? 600);
const requests = Number(opt("requests") ?? 600);
const keep = argv.includes("--keep");
if (argv.includes("--single-threaded")) process.env.MINIFLARE_WORKERD_V8_FLAGS = [process.env.MINIFLARE_WORKERD_V8_FLAGS, "--single-threaded"].filter(Boolean).join(" ");

if (!valgrindAvailable()) throw new Error("valgrind/callgrind_control not installed");
const work = mkdtempSync(path.join(os.tmpdir(), "edge-gateway-instr-"));
console.log(`work directory: ${work}${process.env.MINIFLARE_WORKERD_V8_FLAGS ? ` (V8 flags: ${process.env.MINIFLARE_WORKERD_V8_FLAGS})` : ""}`);
const compat = readCompat(root);
if (bundles.length === 0) {
  const out = path.join(work, "bundle");
  buildBundle(root, out);
  bundles.push(out);
}
const mainOf = (dir: string) => path.join(dir, readdirSync(dir).find((n) => /\.m?js$/.test(n))!);

const pipeline = await loadPipeline();
if ("error" in pipeline) throw new Error(pipeline.error);
const origin = (await startNginx(work)) ?? (await startNodeOrigin());
try {
  const small = smallConfig({ address: "127.0.0.1", port: origin.port });
  const table = await pipeline.compile(small.objects);
  const json = pipeline.canonicalJson ? pipeline.canonicalJson(table) : JSON.stringify(table);
  const opts = { warmup, requests };
  const results: Array<[string, number]> = [];
  if (!argv.includes("--no-passthrough")) {
    const c = await countInstructions(
      { label: "pass-through", script: passthroughScript(), ...compat, bindings: { ORIGIN: `http://127.0.0.1:${origin.port}` } },
      (b) => ({ url: `${b}/ok` }),
      work,
      opts,
    );
    results.push([c.label, c.perRequest]);
    console.log(`pass-through: ${(c.perRequest / 1e6).toFixed(3)} M/request (${c.requests} requests, ${c.errors} errors)`);
  }
  for (const [i, dir] of bundles.entries()) {
    const c = await countInstructions(
      {
        label: `gateway-${i}`,
        script: readFileSync(mainOf(dir), "utf8"),
        ...compat,
        bindings: { CONFIG_REFRESH_SECONDS: "30" },
        kv: { ROUTES: kvEntries(table, json) },
      },
      (b) => probeTarget(b, small.probes[0]!),
      work,
      opts,
    );
    results.push([`${c.label} (${dir})`, c.perRequest]);
    console.log(`gateway ${dir}: ${(c.perRequest / 1e6).toFixed(3)} M/request (${c.requests} requests, ${c.errors} errors)`);
  }
  const base = results.find(([l]) => l === "pass-through")?.[1];
  for (const [label, n] of results) console.log(`${label}\t${(n / 1e6).toFixed(3)} M${base ? `\t${(n / base).toFixed(3)}×` : ""}`);
} finally {
  await origin.stop();
  if (!keep) rmSync(work, { recursive: true, force: true });
}
