/**
 * Where does a Worker spend its CPU under load? Samples the V8 CPU profiler inside workerd
 * (through Miniflare's inspector proxy, Chrome DevTools protocol) while the bench load client
 * drives one variant, then prints self time by function and by source module (the bundle's
 * source map names the src/ file).
 *
 *   node --experimental-strip-types --no-warnings bench/profile-workerd.ts [small|large|split|passthrough] [seconds]
 *
 * Investigation tool for misses in RESULTS.md; not part of `npm run bench`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { buildBundle } from "./bundle.ts";
import { kvEntries, passthroughScript, probeTarget } from "./e2e.ts";
import { lastRouteProbe, manyHosts, smallConfig, splitConfig } from "./gen.ts";
import { runLoad } from "./load-client.ts";
import { freePort, startNginx, startNodeOrigin } from "./origin.ts";
import { loadPipeline } from "./pipeline.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const variant = process.argv[2] ?? "small";
const seconds = Number(process.argv[3] ?? 5);
const work = mkdtempSync(path.join(os.tmpdir(), "edge-gateway-profile-"));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}

/** Bundle line:col → original source file, from the esbuild source map (VLQ segments). */
function sourceResolver(mapPath: string): (line: number, col: number) => string {
  let map: { sources: string[]; mappings: string };
  try {
    map = JSON.parse(readFileSync(mapPath, "utf8"));
  } catch {
    return () => "?";
  }
  const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const lines: Array<Array<[number, number]>> = []; // per generated line: [genCol, sourceIndex]
  let src = 0;
  for (const lineText of map.mappings.split(";")) {
    const segs: Array<[number, number]> = [];
    let col = 0;
    for (const seg of lineText.split(",")) {
      if (!seg) continue;
      const vals: number[] = [];
      let shift = 0;
      let value = 0;
      for (const ch of seg) {
        const d = B64.indexOf(ch);
        value += (d & 31) << shift;
        if (d & 32) shift += 5;
        else {
          vals.push(value & 1 ? -(value >>> 1) : value >>> 1);
          value = 0;
          shift = 0;
        }
      }
      col += vals[0]!;
      if (vals.length > 1) src += vals[1]!;
      segs.push([col, src]);
      // fields 2,3 (orig line/col) and 4 (name) are relative too but not needed beyond the file
      if (vals.length > 2) void 0;
    }
    lines.push(segs);
  }
  return (line, col) => {
    const segs = lines[line];
    if (!segs || segs.length === 0) return "?";
    let best = segs[0]!;
    for (const s of segs) if (s[0] <= col) best = s;
    return (map.sources[best[1]] ?? "?").replace(/^(\.\.\/)+/, "");
  };
}

async function main(): Promise<void> {
  const bundle = buildBundle(root, path.join(work, "dist"));
  const origin = (await startNginx(work)) ?? (await startNodeOrigin());
  const pipeline = await loadPipeline();
  if ("error" in pipeline) throw new Error(pipeline.error);
  const addr = { address: "127.0.0.1", port: origin.port };
  const inspectorPort = await freePort();
  let script = readFileSync(bundle.mainPath, "utf8");
  let bindings: Record<string, string> = { CONFIG_REFRESH_SECONDS: "30" };
  let kv: Record<string, string> | undefined;
  let target = { url: "/ok" } as { url: string; headers?: Record<string, string>; method?: string };
  if (variant === "passthrough") {
    script = passthroughScript();
    bindings = { ORIGIN: `http://127.0.0.1:${origin.port}` };
  } else {
    const cfg = variant === "large" ? manyHosts({ routes: 10_000, origin: addr }) : variant === "split" ? splitConfig(addr) : smallConfig(addr);
    const table = await pipeline.compile(cfg.objects);
    const json = pipeline.canonicalJson ? pipeline.canonicalJson(table) : JSON.stringify(table);
    kv = kvEntries(table, json);
    const probe = variant === "large" ? lastRouteProbe({ routes: 10_000 }) : cfg.probes[0]!;
    target = probeTarget("", probe);
  }
  process.once("SIGINT", () => void origin.stop().finally(() => process.exit(130)));
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      inspectorPort,
      logRequests: false,
      handleStructuredLogs: () => {},
      name: "profiled",
      modules: true,
      script,
      compatibilityDate: bundle.compatibilityDate,
      compatibilityFlags: bundle.compatibilityFlags,
      bindings,
      ...(kv ? { kvNamespaces: { ROUTES: "profile" } } : {}),
    }),
  );
  try {
    const url = await mf.ready;
    if (kv) {
      const ns = await mf.getKVNamespace("ROUTES");
      for (const [k, v] of Object.entries(kv)) await ns.put(k, v);
    }
    const full = { ...target, url: url.origin + target.url };
    await runLoad(full, { concurrency: 8, durationMs: 1000 }); // warm-up
    const list = (await (await fetch(`http://127.0.0.1:${inspectorPort}/json`)).json()) as Array<{ webSocketDebuggerUrl: string; title?: string }>;
    const entry = list.find((e) => e.webSocketDebuggerUrl.includes("profiled")) ?? list[0];
    if (!entry) throw new Error("no inspector target");
    const ws = new WebSocket(entry.webSocketDebuggerUrl);
    await new Promise<void>((resolve, reject) => {
      ws.addEventListener("open", () => resolve());
      ws.addEventListener("error", () => reject(new Error("inspector websocket failed")));
    });
    let nextId = 1;
    const pending = new Map<number, (v: unknown) => void>();
    ws.addEventListener("message", (ev) => {
      const msg = JSON.parse(String(ev.data)) as { id?: number; result?: unknown };
      if (msg.id !== undefined) pending.get(msg.id)?.(msg.result);
    });
    const call = (method: string, params: Record<string, unknown> = {}) =>
      new Promise<unknown>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        ws.send(JSON.stringify({ id, method, params }));
      });
    await call("Profiler.enable");
    await call("Profiler.setSamplingInterval", { interval: 100 });
    await call("Profiler.start");
    const load = await runLoad(full, { concurrency: 8, durationMs: seconds * 1000 });
    const { profile } = (await call("Profiler.stop")) as { profile: { nodes: ProfileNode[]; startTime: number; endTime: number } };
    ws.close();
    const saved = path.join(os.tmpdir(), `edge-gateway-${variant}.cpuprofile`);
    writeFileSync(saved, JSON.stringify(profile));
    const resolve = variant === "passthrough" ? () => "bench/passthrough.ts" : sourceResolver(bundle.mainPath + ".map");
    const total = profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0);
    const byFn = new Map<string, number>();
    const byFile = new Map<string, number>();
    for (const n of profile.nodes) {
      const hits = n.hitCount ?? 0;
      if (!hits) continue;
      const f = n.callFrame;
      const file = f.url ? resolve(f.lineNumber, f.columnNumber) : `(${f.functionName || "native"})`;
      const key = `${f.functionName || "(anonymous)"}  ${file}`;
      byFn.set(key, (byFn.get(key) ?? 0) + hits);
      byFile.set(file, (byFile.get(file) ?? 0) + hits);
    }
    const pct = (h: number) => `${((100 * h) / total).toFixed(1).padStart(5)}%`;
    console.log(`${variant}: ${Math.round(load.rps)} req/s under the profiler, ${total} samples (${saved}: open in Chrome DevTools)`);
    console.log("\nself time by source module:");
    for (const [k, v] of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(`  ${pct(v)}  ${k}`);
    console.log("\nself time by function:");
    for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`  ${pct(v)}  ${k}`);
  } finally {
    await mf.dispose();
    await origin.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
