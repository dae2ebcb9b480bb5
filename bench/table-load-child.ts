/**
 * One cold table load, in a fresh process (a fresh V8 heap and no JIT feedback, like a new
 * isolate): KV bytes → string → JSON.parse (→ prepare()). Run by table-load.ts, once per sample.
 *
 * Usage: node --experimental-strip-types --expose-gc bench/table-load-child.ts <table.json> <parse|load>
 * Prints one JSON line: { ms, cpuMs, warmMs (CPU, best of 5 more in the same process), heapTableBytes?, heapPreparedBytes? }.
 */
import { readFileSync } from "node:fs";
import { inflateTable } from "../src/table/codec.ts";

const [file, mode] = process.argv.slice(2);
if (!file || (mode !== "parse" && mode !== "load")) throw new Error("usage: table-load-child.ts <table.json> <parse|load>");
// The module is loaded before timing: in a Worker it is part of the script, not of the table load.
const { prepare } = (await import("../src/prepare.ts")) as { prepare: (t: unknown) => unknown };
const bytes = readFileSync(file);
const gc = (globalThis as { gc?: () => void }).gc;

/** Wall-clock and CPU time (this process, user + system) of one load. */
function once(): { ms: number; cpuMs: number; table: unknown; prepared: unknown } {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const table = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  // "load" = what the Worker does with KV bytes (src/store/read.ts): parse, inflate, prepare.
  const prepared = mode === "load" ? (inflateTable(table), prepare(table as never)) : null;
  const ms = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { ms, cpuMs: (c.user + c.system) / 1000, table, prepared };
}

const cold = once();
let warmMs = Infinity;
for (let i = 0; i < 5; i++) warmMs = Math.min(warmMs, once().cpuMs);

const out: Record<string, number> = { ms: cold.ms, cpuMs: cold.cpuMs, warmMs };
if (gc && mode === "load") {
  gc();
  const h0 = process.memoryUsage().heapUsed;
  const table = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
  inflateTable(table);
  gc();
  const h1 = process.memoryUsage().heapUsed;
  const prepared = prepare(table);
  gc();
  const h2 = process.memoryUsage().heapUsed;
  out.heapTableBytes = h1 - h0;
  out.heapPreparedBytes = h2 - h1;
  if (prepared === null) console.error("unreachable");
}
if (cold.table === undefined) console.error("unreachable");
console.log(JSON.stringify(out));
