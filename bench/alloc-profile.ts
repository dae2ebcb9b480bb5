/**
 * Which gateway code allocates per request? Runs pipeline.handle in-process (Node) on the small
 * bench config with an in-memory KV and a fetcher that answers like the bench origin, under V8's
 * sampling heap profiler with objects collected by minor/major GC included, and prints bytes
 * allocated per request by function (src/ only, then the top of everything).
 *
 *   node --experimental-strip-types --no-warnings [--max-opt=1] bench/alloc-profile.ts [requests]
 *
 * Why: under workerd most of the gateway's extra instructions per request over a pass-through
 * are runtime calls and young-generation GC (scavenges plus workerd's per-GC wrapper tracing),
 * and the GC share scales with bytes allocated per request. Investigation tool; not part of
 * `npm run bench`. Node's Request/Headers/Response are JavaScript (undici), so their allocations
 * show up here but not in workerd; read the src/ rows.
 */
import { Session } from "node:inspector/promises";
import { createPipeline } from "../src/pipeline.ts";
import type { Env } from "../src/env.ts";
import { kvEntries } from "./e2e.ts";
import { smallConfig } from "./gen.ts";
import { loadPipeline } from "./pipeline.ts";

const N = Number(process.argv[2] ?? 20_000);
const bench = await loadPipeline();
if ("error" in bench) throw new Error(bench.error);
const small = smallConfig({ address: "127.0.0.1", port: 8080 });
const table = await bench.compile(small.objects);
const entries = kvEntries(table, bench.canonicalJson ? bench.canonicalJson(table) : JSON.stringify(table));
const env = { ROUTES: { get: async (k: string) => entries[k] ?? null }, CONFIG_REFRESH_SECONDS: "30" } as unknown as Env;
const ctx = { waitUntil: () => undefined, passThroughOnException: () => undefined } as unknown as ExecutionContext;
const originHeaders = { server: "nginx/1.22.1", date: "Thu, 03 Dec 2026 19:00:00 GMT", "content-type": "text/plain", "content-length": "3", connection: "keep-alive" };
const pipeline = createPipeline({ fetcher: async () => new Response("ok\n", { status: 200, headers: originHeaders }), log: () => undefined });
const probe = small.probes[0]!;
const request = () => new Request(`http://${probe.host}${probe.path}`, { headers: { host: probe.host, "cf-connecting-ip": "127.0.0.1", accept: "*/*", "user-agent": "bench" } });

for (let i = 0; i < 1000; i++) await (await pipeline.handle(request(), env, ctx)).text();

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: Node[];
}
const session = new Session();
session.connect();
await session.post("HeapProfiler.enable");
await session.post("HeapProfiler.startSampling", { samplingInterval: 128, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true });
for (let i = 0; i < N; i++) await (await pipeline.handle(request(), env, ctx)).text();
const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as { profile: { head: Node } };

const byFn = new Map<string, number>();
const walk = (n: Node) => {
  const url = n.callFrame.url.replace(/^.*\/(src|bench|node_modules)\//, "$1/");
  const key = `${n.callFrame.functionName || "(anonymous)"} ${url}:${n.callFrame.lineNumber + 1}`;
  byFn.set(key, (byFn.get(key) ?? 0) + n.selfSize);
  n.children.forEach(walk);
};
walk(profile.head);
const rows = [...byFn.entries()].sort((a, b) => b[1] - a[1]);
const total = rows.reduce((s, [, v]) => s + v, 0);
const srcRows = rows.filter(([k]) => k.includes(" src/"));
const srcTotal = srcRows.reduce((s, [, v]) => s + v, 0);
console.log(`bytes allocated per request (sampled): all ${(total / N).toFixed(0)}, src/ ${(srcTotal / N).toFixed(0)}`);
console.log("\nsrc/ by function (bytes/request):");
for (const [k, v] of srcRows.slice(0, 40)) console.log(`${(v / N).toFixed(0).padStart(8)}  ${k}`);
console.log("\nall by function (bytes/request):");
for (const [k, v] of rows.slice(0, 25)) console.log(`${(v / N).toFixed(0).padStart(8)}  ${k}`);
