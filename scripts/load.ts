/**
 * `npm run load`: a bounded load run against the real gateway under `wrangler dev`, on 127.0.0.1
 * only; it stops by itself (default 25 s of load) and exits non-zero when a target is missed.
 *
 *   1. origins: two healthy echo origins (app a/b), a mirror, a raw broken origin
 *      (scripts/lib/load/bad-origin.ts) and a refused port
 *   2. config v1 (scripts/lib/load/config.ts) pushed with the routes CLI into a temp local state
 *   3. `wrangler dev` on that state with CONFIG_REFRESH_SECONDS=0, until it serves v1
 *   4. load: `--concurrency` loops on one keep-alive agent, a seeded mix of healthy and failing
 *      routes; config v2 is pushed with the CLI in the middle of the run
 *   5. summary: sent / answered / lost, answers the config did not ask for (gateway-originated vs
 *      other), latency p50/p99, which table answered, workerd RSS before / peak / after
 *
 * Targets: no request lost; no unexpected answer; v2 served after the push and v1 no longer served
 * 2 s after it; workerd RSS after the run near its baseline.
 *
 * Memory under `wrangler dev`: the local tooling itself keeps ≈ 50 KiB per request that it does
 * not give back (measured with a one-line Worker under the same wrangler dev and load: 243 → 830
 * MiB over 11k requests, both workerd processes growing; the same one-line Worker under plain
 * Miniflare levels off near 465 MiB, and so does the gateway). So "near the baseline" allows
 * 64 MiB + 64 KiB per request sent (--rss-slack-mib overrides): a gateway leak on top of the
 * tooling's retention shows; the tooling's own retention does not fail the run.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "./lib/build.ts";
import { startEchoOrigin, type EchoOrigin } from "./lib/echo-origin.ts";
import { startBadOrigin, type BadOrigin } from "./lib/load/bad-origin.ts";
import { runLoad } from "./lib/load/client.ts";
import { LOAD_HOST, REQUEST_CLASSES, loadConfigYaml } from "./lib/load/config.ts";
import { newTally, percentile, record, totals, type SwitchWatch } from "./lib/load/tally.ts";
import { mib, rssBytes, sampleRss, totalRss, workerdPids } from "./lib/load/workerd-memory.ts";
import { startWrangler, type WranglerProcess } from "./lib/wrangler-dev.ts";
import { freePort } from "./lib/ports.ts";

const USAGE = `usage: npm run load -- [--duration 25] [--concurrency 64] [--switch-at SECONDS] [--timeout-ms 10000]
                     [--seed 1] [--settle 5] [--rss-slack-mib N] [--port 0] [--keep]

  --duration       seconds of load (the run stops by itself)
  --concurrency    requests in flight at once (one keep-alive agent)
  --switch-at      when to push config v2 (default: half of --duration)
  --timeout-ms     client bound per request: no response headers by then = lost
  --seed           seed of the request mix
  --settle         seconds to wait after the load before the "after" memory sample
  --rss-slack-mib  allowed growth of workerd RSS after the run (default: 64 MiB + 64 KiB per
                   request, wrangler dev's own retention; see the comment at the top)
  --port           wrangler dev port (0: a free one)
  --classes        comma-separated request classes to send (default: the whole mix)
  --keep           keep the temp dir (state, configs, wrangler.log)
Everything listens on 127.0.0.1. Exits 1 when a target is missed.`;

const { values: args } = parseArgs({
  options: {
    duration: { type: "string", default: "25" },
    concurrency: { type: "string", default: "64" },
    "switch-at": { type: "string" },
    "timeout-ms": { type: "string", default: "10000" },
    seed: { type: "string", default: "1" },
    settle: { type: "string", default: "5" },
    "rss-slack-mib": { type: "string" },
    port: { type: "string", default: "0" },
    classes: { type: "string" },
    keep: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
  strict: true,
});
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
function num(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name}: expected a number in [${min}, ${max}], got ${JSON.stringify(raw)}\n\n${USAGE}`);
    process.exit(2);
  }
  return n;
}
const durationS = num("duration", args.duration, 1, 600);
const concurrency = num("concurrency", args.concurrency, 1, 1024);
const switchAtS = num("switch-at", args["switch-at"] ?? String(durationS / 2), 0, durationS);
const timeoutMs = num("timeout-ms", args["timeout-ms"], 100, 120_000);
const seed = num("seed", args.seed, 0, 2 ** 32 - 1);
const settleS = num("settle", args.settle, 0, 120);
const rssSlackArg = args["rss-slack-mib"] === undefined ? undefined : num("rss-slack-mib", args["rss-slack-mib"], 0, 1 << 20);
const wantedPort = num("port", args.port, 0, 65535);
const mix = args.classes === undefined ? REQUEST_CLASSES : REQUEST_CLASSES.filter((c) => args.classes!.split(",").includes(c.name));
if (mix.length === 0) {
  console.error(`--classes: none of ${JSON.stringify(args.classes)}; known: ${REQUEST_CLASSES.map((c) => c.name).join(", ")}`);
  process.exit(2);
}

const ROOT = path.resolve(import.meta.dirname, "..");
const READY_TIMEOUT_MS = 120_000;
const SWITCH_GRACE_MS = 2000;
const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `routes push --local` as a user would run it; returns the pushed version. */
function pushWithCli(stateDir: string, configDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ["--experimental-strip-types", "--no-warnings", "scripts/routes.ts", "push", "--local", "--persist-to", stateDir, configDir],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (out += c));
    child.on("exit", (code) => {
      const m = /compiled version (\S+):/.exec(out);
      if (code === 0 && m) resolve(m[1]!);
      else reject(new Error(`routes push exited ${code}:\n${out}`));
    });
  });
}

// ---------------------------------------------------------------- set up
const work = mkdtempSync(path.join(tmpdir(), "gateway-load-"));
const stateDir = path.join(work, "state");
const wranglerLog = path.join(work, "wrangler.log");
const echoes: EchoOrigin[] = [];
let bad: BadOrigin | null = null;
let wrangler: WranglerProcess | null = null;
let failed = false;

async function cleanup(): Promise<void> {
  await wrangler?.stop();
  await Promise.all([...echoes.map((e) => e.close()), bad?.close()]);
  if (args.keep || failed) log(`kept ${work} (state, configs, wrangler.log)`);
  else rmSync(work, { recursive: true, force: true });
}
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    failed = true;
    void cleanup().then(() => process.exit(130));
  });
}

try {
  const [appA, appB, mirror] = await Promise.all([startEchoOrigin("app-a"), startEchoOrigin("app-b"), startEchoOrigin("mirror")]);
  echoes.push(appA, appB, mirror);
  // The echo origins remember every request for tests; a load run must not grow them without bound.
  const forget = setInterval(() => echoes.forEach((e) => (e.seen.length = 0)), 1000);
  forget.unref();
  bad = await startBadOrigin();
  const deadOrigin = await startEchoOrigin("dead");
  const dead = deadOrigin.url;
  await deadOrigin.close();
  const origins = { appA: appA.url, appB: appB.url, mirror: mirror.url, bad: bad.url, dead };
  log(`origins: app-a ${appA.url}, app-b ${appB.url}, mirror ${mirror.url}, broken ${bad.url}, refused ${dead}`);

  for (const v of [1, 2] as const) {
    mkdirSync(path.join(work, `v${v}`));
    writeFileSync(path.join(work, `v${v}`, "load.yaml"), loadConfigYaml(origins, v));
  }
  // The v2 hash is known before its push (same compiler as the CLI), so an answer by v2 that
  // arrives before the CLI has exited is recognised.
  const v2Build = await build([path.join(work, "v2")]);
  if (!v2Build.table) throw new Error("config v2 does not compile (scripts/lib/load/config.ts)");
  const v2 = v2Build.table.hash;
  const v1 = await pushWithCli(stateDir, path.join(work, "v1"));
  log(`pushed v1 ${v1.slice(0, 12)} with \`routes push --local --persist-to ${stateDir}\``);

  const port = wantedPort || (await freePort());
  wrangler = startWrangler(
    ["dev", "--port", String(port), "--ip", "127.0.0.1", "--persist-to", stateDir, "--var", "CONFIG_REFRESH_SECONDS:0", "--show-interactive-dev-session=false"],
    ["ignore", openSync(wranglerLog, "a"), openSync(wranglerLog, "a")],
  );
  log(`wrangler dev on http://127.0.0.1:${port} (log: ${wranglerLog}); waiting for v1 …`);

  const probe = REQUEST_CLASSES.find((c) => c.name === "healthz-direct")!;
  const readyBy = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    let version = null as string | null; // set in the callback
    await runLoad({
      port, host: LOAD_HOST, concurrency: 1, durationMs: 1, timeoutMs: 5000, seed, classes: [probe],
      onOutcome: (o) => (version = o.answer?.version ?? null),
    }).catch(() => undefined);
    if (version === v1) break;
    if (Date.now() > readyBy || wrangler.child.exitCode !== null) {
      throw new Error(`wrangler dev did not serve ${v1.slice(0, 12)} within ${READY_TIMEOUT_MS / 1000} s; last lines of ${wranglerLog}:\n` +
        readFileSync(wranglerLog, "utf8").trim().split("\n").slice(-15).join("\n"));
    }
    await sleep(500);
  }
  const pids = workerdPids(wrangler.child.pid!);
  if (pids.length === 0) throw new Error("no workerd process found below wrangler (is /proc readable?)");

  // Warm-up (not counted): the isolate, the connection pools and the JIT, then the baseline.
  await runLoad({ port, host: LOAD_HOST, concurrency: 8, durationMs: 2000, timeoutMs, seed: seed + 1, classes: mix, onOutcome: () => {} });
  await sleep(1000);
  const rssBefore = totalRss(pids);
  log(`workerd pid(s) ${pids.join(", ")}: RSS ${mib(rssBefore)} after warm-up (${pids.map((p) => `${p} ${mib(rssBytes(p))}`).join(", ")})`);

  // ---------------------------------------------------------------- the run
  const classes = new Map(REQUEST_CLASSES.map((c) => [c.name, c]));
  const tally = newTally();
  const sw: SwitchWatch = { versions: { v1, v2 }, doneAt: null, graceMs: SWITCH_GRACE_MS };
  const sampler = sampleRss(pids);
  log(`load: ${durationS} s, concurrency ${concurrency}, seed ${seed}; config v2 pushed at ${switchAtS} s …`);
  const ticker = setInterval(() => {
    const t = totals(tally);
    log(`  … ${t.sent} done, ${t.lost} lost, ${t.unexpectedGateway + t.unexpectedOther} unexpected, RSS ${mib(totalRss(pids))}`);
  }, 5000);
  let pushMs = 0;
  const run = await runLoad({
    port, host: LOAD_HOST, concurrency, durationMs: durationS * 1000, timeoutMs, seed, classes: mix,
    onOutcome: (o) => record(tally, classes, o, sw),
    midRun: {
      atMs: switchAtS * 1000,
      run: async () => {
        const t = performance.now();
        const pushed = await pushWithCli(stateDir, path.join(work, "v2"));
        if (pushed !== v2) throw new Error(`the CLI pushed ${pushed}, expected ${v2}`);
        pushMs = performance.now() - t;
        sw.doneAt = switchAtS * 1000 + pushMs;
        log(`  pushed v2 ${sw.versions.v2.slice(0, 12)} at ${(sw.doneAt / 1000).toFixed(1)} s (CLI took ${pushMs.toFixed(0)} ms)`);
      },
    },
  });
  clearInterval(ticker);
  sampler.stop();
  const rssPeak = Math.max(sampler.peak(), totalRss(pids));
  await sleep(settleS * 1000);
  const rssAfter = totalRss(pids);

  // ---------------------------------------------------------------- summary
  const t = totals(tally);
  // Set by the mid-run callback (TypeScript cannot see that assignment).
  const pushDoneAt = sw.doneAt as number | null;
  const all = [...tally.latencies].sort((a, b) => a - b);
  const healthy = [...tally.healthyLatencies].sort((a, b) => a - b);
  const WRANGLER_DEV_RETENTION_PER_REQUEST = 64 * 1024;
  const slack = rssSlackArg !== undefined ? rssSlackArg * 1024 * 1024 : 64 * 1024 * 1024 + t.sent * WRANGLER_DEV_RETENTION_PER_REQUEST;
  const ms = (x: number) => `${x.toFixed(1)} ms`;
  log(`\n== load summary (${(run.elapsedMs / 1000).toFixed(1)} s, ${(t.sent / (run.elapsedMs / 1000)).toFixed(0)} req/s, concurrency ${concurrency}) ==`);
  log(`requests sent ${t.sent}, answered ${t.answered}, lost ${t.lost}`);
  log(`answers the config asks for ${t.allowed}; unexpected: gateway-originated ${t.unexpectedGateway}, other ${t.unexpectedOther}`);
  log(`latency (to the last body byte): all p50 ${ms(percentile(all, 50))} p99 ${ms(percentile(all, 99))}; healthy route p50 ${ms(percentile(healthy, 50))} p99 ${ms(percentile(healthy, 99))}`);
  log(`tables: v1 ${v1.slice(0, 12)} answered ${tally.byVersion.get(v1) ?? 0}, v2 ${sw.versions.v2.slice(0, 12)} answered ${tally.byVersion.get(sw.versions.v2) ?? 0}` +
    (tally.firstNewVersionAt !== null && pushDoneAt !== null ? `; first v2 answer ${(tally.firstNewVersionAt - pushDoneAt).toFixed(0)} ms after the push finished` : "") +
    `; v1 answers to requests sent > ${SWITCH_GRACE_MS} ms after the push: ${tally.staleAfterSwitch}`);
  log(`workerd RSS: before ${mib(rssBefore)}, peak ${mib(rssPeak)}, after ${mib(rssAfter)} (${settleS} s later; ${((rssAfter - rssBefore) / 1024 / Math.max(1, t.sent)).toFixed(1)} KiB per request; allowed growth ${mib(slack)})`);
  log(`  per process after: ${pids.map((p) => `${p} ${mib(rssBytes(p))}`).join(", ")}; connections open at the broken origin: ${bad.openSockets()}`);
  log("\nper class:                 sent  answered  lost  as-asked  gateway-err  other");
  for (const [name, c] of [...tally.byClass].sort()) {
    log(`  ${name.padEnd(22)} ${String(c.sent).padStart(7)} ${String(c.answered).padStart(9)} ${String(c.lost).padStart(5)} ${String(c.allowed).padStart(9)} ${String(c.unexpectedGateway).padStart(12)} ${String(c.unexpectedOther).padStart(6)}`);
  }
  for (const [key, list] of tally.samples) log(`\n${key}:\n    ${list.join("\n    ")}`);

  const targets: Array<[string, boolean]> = [
    ["every request answered (0 lost)", t.lost === 0 && t.answered === t.sent],
    ["no gateway-originated error the config did not ask for", t.unexpectedGateway === 0],
    ["no other unexpected answer", t.unexpectedOther === 0],
    ["config v2 served after the mid-run push", tally.firstNewVersionAt !== null],
    [`v1 no longer served ${SWITCH_GRACE_MS} ms after the push`, tally.staleAfterSwitch === 0],
    ["workerd memory back near its baseline", rssAfter - rssBefore <= slack],
  ];
  log("\ntargets:");
  for (const [name, ok] of targets) log(`  ${ok ? "PASS" : "MISS"}  ${name}`);
  failed = targets.some(([, ok]) => !ok);
  log(failed ? "\nload: a target was missed" : "\nload: all targets met");
} catch (err) {
  failed = true;
  console.error(`load: ${err instanceof Error ? err.message : String(err)}`);
} finally {
  await cleanup();
}
process.exit(failed ? 1 : 0);
