/**
 * One sample of bench/shards.ts in a fresh process (cold V8, like a new isolate), on the Worker's
 * own TableStore, prepare() and decide(), reading a KV held in memory (kv.json).
 *
 *   cold <dir> <host>        the first request for <host>: pointer + index + shard(s) → prepared → decided;
 *                            then the best warm decision of the same request (µs)
 *   heap <dir> <host>...     heap after GC once 0, 16, 64, 128, … of the hosts (one per shard) were served
 *
 * Prints one JSON line.
 */
import { readFileSync } from "node:fs";
import path from "node:path";

const [mode, dir, ...hosts] = process.argv.slice(2);
if ((mode !== "cold" && mode !== "heap") || !dir || hosts.length === 0) throw new Error("usage: shards-child.ts cold|heap <dir> <host>...");
// Modules load before timing: in a Worker they are part of the script, not of the request.
const { TableStore } = await import("../src/store/table-store.ts");
const { prepare } = await import("../src/prepare.ts");
const { decide } = await import("../src/decide.ts");
const { factsFromParts } = await import("../src/match/facts.ts");
const { headersFromObject } = await import("../src/match/headers.ts");
const kvData = new Map(Object.entries(JSON.parse(readFileSync(path.join(dir, "kv.json"), "utf8")) as Record<string, string>));
const kv = { get: async (k: string) => kvData.get(k) ?? null };
const gc = (globalThis as { gc?: () => void }).gc!;
// Settle before the timed request: what start-up leaves running (garbage of module loading,
// V8's background compile and GC threads; process.cpuUsage() counts every thread) must not land
// in the sample. Without this the 10-route sample paid that tail while the big table's, whose
// 30 MB kv.json parse came first, did not: the big table measured 0.5× the 10-route one.
gc();
gc();
await new Promise((r) => setTimeout(r, 300));

const store = new TableStore({ prepare, log: () => {} });
const noop = () => {};

async function serve(host: string): Promise<string> {
  const served = await store.get(kv, 60_000, noop);
  if (!served) throw new Error("no version loaded");
  const found = await store.forHost(kv, served, "http", null, host, noop);
  if (!found.ok) throw new Error(`${found.reason}: ${found.detail}`);
  // Every generated host's first rule is the prefix /svc0/ (bench/gen.ts mixRule); the 10-route table's too.
  const facts = factsFromParts({ method: "GET", scheme: "http", authority: host, path: "/svc0/items/42", query: "", headers: headersFromObject({ host }) });
  if ("error" in facts) throw new Error(facts.reason);
  return decide(found.prepared, facts, { rand: () => 0.5, now: 0 }).kind;
}

if (mode === "cold") {
  const host = hosts[0]!;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const kind = await serve(host);
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  let warmUs = Infinity;
  for (let i = 0; i < 2_000; i++) {
    const w0 = performance.now();
    await serve(host);
    warmUs = Math.min(warmUs, (performance.now() - w0) * 1000);
  }
  if (kind !== "forward") throw new Error(`${host}: decided ${kind}, not forward: the bench would not measure a routed request`);
  console.log(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000, warmUs }));
} else {
  // Heap is measured from the state after the first request (index loaded, one shard cached), so
  // start-up garbage and lazily compiled code do not blur the numbers; each mark is after two GCs.
  const out: Record<string, number> = {};
  const heap = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  await serve(hosts[0]!);
  const base = heap();
  out.heapBase = base;
  const marks = new Set([16, 64, 128, 256, 512, hosts.length]);
  for (let i = 1; i <= hosts.length; i++) {
    if (i < hosts.length) await serve(hosts[i]!);
    if (marks.has(i + 1) || i === hosts.length) {
      const n = Math.min(i + 1, hosts.length);
      out[`heap${n}`] = heap() - base;
      out[`cache${n}`] = store.status().shards.bytes;
    }
  }
  out.limit = store.status().shards.limitBytes;
  out.evictions = store.status().shards.evictions;
  out.hosts = hosts.length;
  console.log(JSON.stringify(out));
}
