/**
 * Where `routes validate` / `push` keep their heap (issue #16 item 2): runs the CLI's build in
 * this process, stage by stage, and prints the live heap after a full GC at each step, i.e. what
 * each stage's product holds. A measurement, not a test.
 *
 *   node --experimental-strip-types --expose-gc bench/cli-heap.ts --routes=50000
 */
import os from "node:os";
import path from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { writeConfig } from "./cli-scale.ts";
import { readSources } from "../scripts/lib/files.ts";
import { loadConfig } from "../src/config/index.ts";
import { compile } from "../src/compile/index.ts";
import { shardTable } from "../src/table/shards.ts";
import { canonicalJson } from "../src/table/codec.ts";
import { analyze } from "../src/analyze/index.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const routes = Number(arg("routes") ?? 50000);
const dir = mkdtempSync(path.join(os.tmpdir(), "cli-heap-"));
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
let last = 0;
const live = async (label: string) => {
  // A turn of the event loop first: what a stage leaves for its last microtasks is not its product.
  await new Promise((r) => setTimeout(r, 50));
  gc!();
  gc!();
  const h = process.memoryUsage().heapUsed;
  console.log(`${label.padEnd(48)} live ${mib(h).padStart(7)} MiB  (${h - last >= 0 ? "+" : ""}${mib(h - last)})`);
  last = h;
};
try {
  const g = writeConfig(dir, routes);
  console.log(`${g.routes} routes / ${g.hosts} hosts: ${g.files} files, ${mib(g.bytes)} MiB YAML, largest ${mib(g.largestFile)} MiB`);
  await live("start");
  let files: Awaited<ReturnType<typeof readSources>> | null = await readSources([dir]);
  await live("files read (texts)");
  const loaded = loadConfig(files);
  await live("loadConfig (objects + locators)");
  const sources = files.map((f) => f.path);
  const compiled = await compile(loaded.objects, { sources });
  await live("compile (RouteTable)");
  if (process.argv.includes("--analyze")) {
    const findings = analyze(loaded.objects, compiled.table!);
    await live(`analyze (${findings.length} findings kept)`);
  }
  const sharded = await shardTable(compiled.table!);
  await live(`shardTable (${sharded.shards.length} shards)`);
  let bytes = 0;
  for (const s of sharded.shards) bytes += s.json.length;
  console.log(`  shards' JSON ${mib(bytes)} MiB; whole canonical JSON ${mib(canonicalJson(compiled.table!).length)} MiB`);
  for (const s of sharded.shards) (s as { table: unknown }).table = null;
  await live("shards without their table objects");
  files = null;
  (loaded as { objects: unknown }).objects = null;
  await live("files + objects dropped");
  (compiled as { table: unknown }).table = null;
  await live("table dropped (shards JSON only)");
} finally {
  rmSync(dir, { recursive: true, force: true });
}
