/**
 * One build of bench/cli-memory.ts in a fresh process (run with --expose-gc, and --trace-gc by the
 * parent): `build()` of scripts/lib/build.ts called as `routes validate` or `routes push` calls
 * it, then a full GC while the BuildResult is still held; prints one JSON line:
 *
 *   {"startHeap": …, "liveAfterBuild": …, "routes": …, "errors": …, "issues": …}
 *
 * startHeap is the live heap after the modules are imported (before any file is read);
 * liveAfterBuild is the live heap once the build returned, its result held (what the command keeps
 * while it prints, shards and writes).
 *
 *   node --experimental-strip-types --expose-gc bench/cli-memory-child.ts validate|push whole|lowmem <dir>
 *
 * whole: the options the commands passed before issue #16 item 2's bounded build (validate:
 * build(paths) then analyze() of the objects; push: keepObjects false); lowmem: what they pass
 * since (`lowMemory: true`, keepObjects false; validate adds `analyze: true`, the findings come in
 * `issues`).
 */
import { build, type BuildOptions } from "../scripts/lib/build.ts";
import { analyze } from "../src/analyze/index.ts";
import { sortIssues } from "../src/config/index.ts";

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error("run with --expose-gc");
const [command, mode, dir] = process.argv.slice(2);
if ((command !== "validate" && command !== "push") || (mode !== "whole" && mode !== "lowmem") || !dir)
  throw new Error("usage: cli-memory-child.ts validate|push whole|lowmem <dir>");

const live = async (): Promise<number> => {
  await new Promise((r) => setTimeout(r, 20));
  gc!();
  gc!();
  return process.memoryUsage().heapUsed;
};

const startHeap = await live();
const options: BuildOptions =
  mode === "lowmem"
    ? { lowMemory: true, keepObjects: false, ...(command === "validate" ? { analyze: true } : {}) }
    : { lowMemory: false, ...(command === "push" ? { keepObjects: false } : {}) };
const b = await build([dir], options);
if (command === "validate" && !options.analyze && b.table && b.objects) {
  const findings = analyze(b.objects, b.table);
  b.issues = sortIssues([...b.issues, ...findings]);
  b.warnings += findings.length;
}
const liveAfterBuild = await live();
let routes = 0;
// Read after the measurement (a lazy table reads its routes back when asked).
if (b.table) for (const v of b.table.vhosts) routes += v.routes.length;
console.log(JSON.stringify({ startHeap, liveAfterBuild, routes, errors: b.errors, issues: b.issues.length, hash: b.table?.hash ?? null }));
b.close();
