/**
 * Where `routes validate` / `push` keep their heap (issue #16 item 2): the stages of the CLI's
 * build (scripts/lib/build.ts) run in this process, and the live heap after a full GC is printed
 * after each, i.e. what each stage's product holds. A measurement, not a test.
 *
 *   node --experimental-strip-types --expose-gc bench/cli-heap.ts --routes=50000 [--command=validate|push] [--low-memory]
 *
 * --low-memory: the build as the commands run it now (build() with lowMemory: rules in a spill
 * file, the table's routes read from it on each access), one stage, then push's steps.
 *
 * The peak of a run (what `--trace-gc` in bench/cli-scale.ts reports) is set by V8's heap growth:
 * the heap is let grow to a multiple of the live set of the last mark-compact before the next
 * one, so it follows these live figures at a distance.
 */
import os from "node:os";
import path from "node:path";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { writeConfig } from "./cli-scale.ts";
import { readSources } from "../scripts/lib/files.ts";
import { loadConfig } from "../src/config/index.ts";
import { compileUnhashed } from "../src/compile/index.ts";
import { HOSTS_PER_SHARD, planShards, shardTable } from "../src/table/shards.ts";
import { FileStash } from "../scripts/lib/shard-stash.ts";
import { storeVersion } from "../src/store/release.ts";
import { streamedTableHash } from "../src/table/codec.ts";
import { analyze } from "../src/analyze/index.ts";
import { build } from "../scripts/lib/build.ts";
import type { RouteTable } from "../src/table/types.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const routes = Number(arg("routes") ?? 50000);
const push = arg("command") === "push";
const lowMemory = process.argv.includes("--low-memory");
const dir = mkdtempSync(path.join(os.tmpdir(), "cli-heap-"));
const mib = (b: number) => (b / 1024 / 1024).toFixed(1);
let last = 0;
let base = 0;
const live = async (label: string) => {
  // A turn of the event loop first: what a stage leaves for its last microtasks is not its product.
  await new Promise((r) => setTimeout(r, 50));
  gc!();
  gc!();
  const h = process.memoryUsage().heapUsed;
  if (!base) base = h;
  console.log(`${label.padEnd(52)} live ${mib(h).padStart(7)} MiB  (${h - last >= 0 ? "+" : ""}${mib(h - last)}; ${Math.round((h - base) / routes)} B/route above the start)`);
  last = h;
};
try {
  const g = writeConfig(dir, routes);
  console.log(`${g.routes} routes / ${g.hosts} hosts: ${g.files} files, ${mib(g.bytes)} MiB YAML, largest ${mib(g.largestFile)} MiB; ${push ? "push" : "validate"}`);
  await live("start");
  let table: RouteTable;
  let close = () => {};
  if (lowMemory) {
    const b = await build([dir], { keepObjects: false, lowMemory: true, analyze: !push });
    if (!b.table) throw new Error(`the config did not build: ${b.errors} errors`);
    table = b.table;
    close = b.close;
    await live(`build, lowMemory (table: routes on disk; hashed${push ? "" : ", analyzed"})`);
  } else table = await stagedBuild();
  if (push) {
    // What push does (src/store/release.ts, scripts/commands/push.ts): the plan (shard ids and the
    // index; the shards' bytes wait in a temporary file), then each shard read back right before
    // it is written. The live heap is sampled inside the KV's put, i.e. with the shard being
    // written alive, every 8th put (a full GC each).
    const stash = new FileStash();
    let plan: Awaited<ReturnType<typeof planShards>> | null = await planShards(table, HOSTS_PER_SHARD, stash);
    await live(`planShards (${plan.ids.length} shard ids, index ${(plan.indexJson.length / 1024).toFixed(1)} KiB)`);
    let puts = 0;
    let written = 0;
    let largest = 0;
    const kv = {
      get: async () => null,
      delete: async () => {},
      put: async (_key: string, value: string) => {
        written += value.length;
        if (puts++ % 8 === 0) {
          gc!();
          gc!();
          largest = Math.max(largest, process.memoryUsage().heapUsed);
        }
      },
    };
    await storeVersion(kv, table, plan, [], true);
    plan = null;
    stash.close();
    console.log(`${`storeVersion, streamed (${puts} puts, ${mib(written)} MiB)`.padEnd(52)} live ${mib(largest).padStart(7)} MiB  (largest at a put; ${mib(largest - last)} above the step before; ${Math.round((largest - base) / routes)} B/route above the start)`);
    await live("storeVersion done");
  }
  // For comparison: every shard at once (what push held before it streamed; tests still use it).
  const sharded = await shardTable(table);
  let bytes = 0;
  for (const s of sharded.shards) bytes += s.json.length;
  await live(`shardTable (${sharded.shards.length} shards, ${mib(bytes)} MiB of JSON)`);
  close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** The whole build, stage by stage (the heap after each). */
async function stagedBuild(): Promise<RouteTable> {
  let files: Awaited<ReturnType<typeof readSources>> | null = await readSources([dir]);
  await live("files read (texts)");
  let loaded: ReturnType<typeof loadConfig> | null = loadConfig(files);
  const sources = files.map((f) => f.path);
  files = null;
  await live("loadConfig, texts let go (objects + locators)");
  const compiled = await compileUnhashed(loaded.objects, { sources, consumeObjects: push });
  await live(push ? "compile (table; rules consumed)" : "compile (table)");
  if (push) loaded = null;
  else await live(`analyze (${analyze(loaded.objects, compiled.table!).length} findings kept)`);
  const h = createHash("sha256");
  compiled.table!.hash = streamedTableHash(compiled.table!, { update: (t) => void h.update(t, "utf8"), digest: () => h.digest("hex") });
  await live(push ? "objects let go, table hashed" : "table hashed");
  return compiled.table!;
}

