/**
 * The CLI half of the data flow (DESIGN.md §2): files → loadConfig → compile → RouteTable, with
 * every located issue of both stages collected before anything is printed (§8). Compilation is
 * skipped when loading found errors: the compiler expects objects the loader accepted.
 */
import { formatIssue, loadConfig, sortIssues, tally } from "../../src/config/index.ts";
import type { ConfigObjects, Issue } from "../../src/config/index.ts";
import { compileUnhashed } from "../../src/compile/index.ts";
import { streamedTableHash, type IncrementalHash } from "../../src/table/codec.ts";
import { createHash } from "node:crypto";
import { tableSummary } from "../../src/table/describe.ts";
import type { RouteTable } from "../../src/table/types.ts";
import { SourceError, readSources, type ReadOptions } from "./files.ts";
import { Spill } from "./spill.ts";
import { analyze } from "../../src/analyze/index.ts";
import { UsageError, stringFlag, type FlagSpec, type ParsedArgs } from "./args.ts";
import type { Io } from "./io.ts";

export interface BuildResult {
  /** null when there were errors. */
  table: RouteTable | null;
  issues: Issue[];
  errors: number;
  warnings: number;
  sources: string[];
  /** The loaded objects (for `analyze`); null when loading failed. */
  objects: ConfigObjects | null;
  /**
   * Lets go of the build's spill file (lowMemory): the table and the objects cannot be read after
   * it. Commands call it when done; a build nobody closes is closed when it is garbage-collected.
   */
  close(): void;
}

/** The flag of every command that reads route files. */
export const MAX_FILE_BYTES_FLAG: FlagSpec = {
  name: "max-file-bytes",
  type: "string",
  value: "N",
  description: "largest route file accepted, in bytes (default 1048576 = 1 MiB; raise it for generated configs)",
};

/** The read options a command's `--max-file-bytes` asks for. */
export function readOptions(args: ParsedArgs): ReadOptions {
  const text = stringFlag(args, "max-file-bytes");
  if (text === undefined) return {};
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--max-file-bytes takes a whole number of bytes, got ${text}`);
  return { maxFileBytes: n };
}

export interface BuildOptions extends ReadOptions {
  /**
   * false: the loaded objects (their values, locators and the files' text) are let go before the
   * table is hashed, and `objects` is null (push, diff: no `analyze`). Default true.
   */
  keepObjects?: boolean;
  /**
   * Bounded memory (issue #16 item 2): files are read one at a time, and the rules of every
   * VirtualService, as loaded and as compiled, are kept in a spill file on disk (spill.ts) and read
   * back when a step needs them; the table's routes are expanded again on each read. Same issues,
   * same table bytes as without it (test/unit/commands/build-lowmem.test.ts), at the cost of
   * reading the spilled rules again (about one JSON.parse of them per pass over the table).
   * "auto" (the commands): only when the route files total LOW_MEMORY_FROM_BYTES or more; a
   * smaller config builds faster, and with less garbage, all in memory.
   */
  lowMemory?: boolean | "auto";
  /** The size from which "auto" spills (default LOW_MEMORY_FROM_BYTES). */
  lowMemoryFromBytes?: number;
  /** lowMemory: how many spilled values stay parsed for a repeat read (spill.ts; 0 in tests). */
  spillCacheEntries?: number;
  /** Add `analyze`'s findings (warnings) to the issues, as `routes validate` prints them. */
  analyze?: boolean;
}

/**
 * Route files of 4 MiB in all (about 22,000 generated routes) and more build with the spill file
 * under `lowMemory: "auto"`: below it the whole build's memory is small (≈ 40 MiB of heap at
 * 10,000 routes) and it takes about half the CPU.
 */
export const LOW_MEMORY_FROM_BYTES = 4 * 1024 * 1024;

export async function build(paths: string[], options: BuildOptions = {}): Promise<BuildResult> {
  const made: { spill: Spill | null } = { spill: null };
  const spillFor = (bytes: number): Spill | null => {
    const on = options.lowMemory === true || (options.lowMemory === "auto" && bytes >= (options.lowMemoryFromBytes ?? LOW_MEMORY_FROM_BYTES));
    made.spill = on ? new Spill(options.spillCacheEntries) : null;
    return made.spill;
  };
  try {
    const b = await buildWith(paths, options, spillFor);
    const spill = made.spill;
    if (spill) b.close = () => spill.close();
    return b;
  } catch (e) {
    made.spill?.close();
    throw e;
  }
}

async function buildWith(paths: string[], options: BuildOptions, spillFor: (bytes: number) => Spill | null): Promise<BuildResult> {
  let files;
  try {
    files = await readSources(paths, { ...options, lazyText: options.lowMemory !== undefined && options.lowMemory !== false });
  } catch (e) {
    if (e instanceof SourceError) return result(null, e.issues, [], null);
    throw e;
  }
  const spill = spillFor(files.reduce((n, f) => n + (f.bytes ?? 0), 0));
  const sources = files.map((f) => f.path);
  // Issue #16 item 2 (memory): `files` and `loaded` are dropped as soon as they are no longer
  // needed, so that what the command keeps is the table and, when asked, the objects.
  let loaded: { objects: ConfigObjects | null; issues: Issue[] } = loadConfig(files, spill ? { offload: spill } : {});
  files = null;
  if (loaded.issues.some((i) => i.severity === "error")) return result(null, loaded.issues, sources, null);
  const keepObjects = options.keepObjects !== false;
  const compiled = await compileUnhashed(loaded.objects!, spill ? { sources, ruleStore: spill.ruleStore() } : { sources, consumeObjects: !keepObjects && !options.analyze });
  // The loader and the compiler both notice a mesh-only VirtualService (the compiler must, for
  // objects that skipped the loader); print the loader's finding once.
  const loaderSaid = new Set(loaded.issues.map((i) => `${i.file}\u0000${i.code}`));
  const compiledIssues = compiled.issues.filter((i) => !(i.code === "mesh-only" && loaderSaid.has(`${i.file}\u0000${i.code}`)));
  const issues = [...loaded.issues, ...compiledIssues];
  const objects = keepObjects ? loaded.objects : null;
  const analyzed = options.analyze ? loaded.objects : null;
  loaded = { objects: null, issues: [] };
  // The version: the content hash of the whole table, streamed (equal to tableHash, without the
  // whole canonical string in memory).
  if (compiled.table) compiled.table.hash = streamedTableHash(compiled.table, sha256());
  const b = result(compiled.table, issues, sources, objects);
  // `routes validate` prints analyze's findings as warnings too (they never make a config invalid).
  if (options.analyze && b.table && analyzed) {
    const findings = analyze(analyzed, b.table);
    b.issues = sortIssues([...b.issues, ...findings]);
    b.warnings += findings.length;
  }
  return b;
}

function sha256(): IncrementalHash {
  const h = createHash("sha256");
  return { update: (text) => void h.update(text, "utf8"), digest: () => h.digest("hex") };
}

function result(table: RouteTable | null, issues: Issue[], sources: string[], objects: ConfigObjects | null): BuildResult {
  const sorted = sortIssues(dedupe(issues));
  const errors = sorted.filter((i) => i.severity === "error").length;
  const ok = errors === 0 && table !== null;
  return {
    table: ok ? table : null,
    issues: sorted,
    errors,
    warnings: sorted.length - errors,
    sources,
    objects,
    close: () => {},
  };
}

/** The loader and the compiler may both report one finding; print it once. */
function dedupe(issues: Issue[]): Issue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = formatIssue(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** "3 hosts, 12 routes, 5 upstreams" — stored in the history and printed by versions. */
export function summaryLine(table: RouteTable): string {
  const s = tableSummary(table);
  const n = (count: number, word: string) => `${count} ${word}${count === 1 ? "" : "s"}`;
  return `${n(s.vhosts, "host")}, ${n(s.routes, "route")}, ${n(s.clusters, "upstream")}`;
}

/**
 * Prints every issue in file/line order, warnings too, then a one-line tally — all on stdout, in
 * one stream so they stay in order; the command prints its verdict on failure to stderr.
 */
export function printIssues(io: Io, b: BuildResult): void {
  for (const i of b.issues) io.out(formatIssue(i));
  const files = `${b.sources.length} file${b.sources.length === 1 ? "" : "s"}`;
  io.out(`${files}: ${tally(b.issues)}`);
}
