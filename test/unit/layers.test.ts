/**
 * The import rules of DESIGN.md §2, checked on the source text: data flows one way,
 *   config → compile → table → store / match / select → decide → respond / forward → pipeline → worker,
 * and a module imports only from its own layer or the layers before it. No import cycle, neither
 * between files nor between folders (two folders importing each other are one tangled layer).
 * The routes CLI (scripts/) uses the pure half only: never pipeline, worker or forward's I/O; src/
 * never imports scripts/ (nor test/ or bench/), and scripts/ has no import cycle either.
 *
 * The one import against the arrows' order is the table contract: `table/` (types, version,
 * codec) imports nothing and is imported by its producer, compile/, as by every consumer, so it
 * ranks before compile.
 *
 * Where a module sits when its folder is not one of the arrows:
 *  - `decision.ts` (RequestFacts, Decision) is the contract match/select/decide share: table layer;
 *  - `actions/` (what a matched route does: CORS, rewrite, redirect, header operations) after
 *    match/select, then `prepare.ts` (the table compiled for decide: matchers + actions) and
 *    decide; `analyze/` reads config + table and runs decide() on sample requests (redirect
 *    loops), so it comes after decide;
 *  - `env.ts` (bindings + settings), `state/` (Durable Objects) and `admin/` sit with the
 *    pipeline, `cases/` (golden cases, `routes route`) after respond: the CLI's decide + respond.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** Layer of a module (path relative to the repository, with `/`): lower may not import higher. */
const LAYERS: Array<[RegExp, number, string]> = [
  [/^src\/config\//, 0, "config"],
  [/^src\/table\//, 0.5, "table"],
  [/^src\/compile\//, 1, "compile"],
  [/^src\/decision\.ts$/, 2, "table"],
  [/^src\/store\//, 3, "store"],
  [/^src\/match\//, 3, "match"],
  [/^src\/select\//, 3, "select"],
  // The admin contract of rollouts (status types, a table's Canaries): pure, used by admin/ and the CLI.
  [/^src\/rollout\/status\.ts$/, 3, "select"],
  [/^src\/rollout\//, 3, "select"],
  [/^src\/actions\//, 3.5, "actions"],
  [/^src\/prepare\.ts$/, 3.8, "decide"],
  [/^src\/decide\.ts$/, 4, "decide"],
  [/^src\/analyze\//, 4.5, "analyze"],
  [/^src\/respond\.ts$/, 5, "respond"],
  [/^src\/forward\//, 5, "forward"],
  [/^src\/cases\//, 5.5, "cases"],
  [/^src\/env\.ts$/, 5.8, "pipeline"],
  [/^src\/access-log\.ts$/, 5.85, "pipeline"],
  [/^src\/state\//, 5.9, "pipeline"],
  [/^src\/pipeline\.ts$/, 6, "pipeline"],
  [/^src\/admin\//, 6.5, "admin"],
  [/^src\/worker\.ts$/, 7, "worker"],
];

/** forward/ modules without I/O, which the CLI may use (header values, retry rules, URLs). */
const PURE_FORWARD = new Set(["header-ops.ts", "retry-policy.ts", "authority.ts", "hop-by-hop.ts", "proxy-headers.ts", "upstream-request.ts"]);

function layerOf(file: string): { rank: number; name: string } | null {
  for (const [re, rank, name] of LAYERS) if (re.test(file)) return { rank, name };
  return null;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = `${dir}/${e.name}`;
    if (e.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) && !e.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

/** Relative imports of a file (static, re-exports, dynamic), resolved to repository paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(path.join(ROOT, file), "utf8");
  const specs = [
    ...text.matchAll(/^\s*(?:import|export)\s[^;]*?\sfrom\s+["']([^"']+)["']/gms),
    ...text.matchAll(/^\s*import\s+["']([^"']+)["']/gm),
    ...text.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith(".")).map((s) => path.posix.normalize(path.posix.join(path.posix.dirname(file), s)));
}

const SRC = sourceFiles("src");
const GRAPH = new Map(SRC.map((f) => [f, importsOf(f)]));
/** The routes CLI and the repository's other Node tools (tests excluded). */
const SCRIPTS = sourceFiles("scripts");

/** Strongly connected components with more than one member (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const c: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        c.push(w);
      } while (w !== v);
      if (c.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(c.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** `src/match/find.ts` → `src/match`; a top-level file is its own unit. */
const unitOf = (file: string) => (file.split("/").length > 2 ? file.split("/").slice(0, 2).join("/") : file);

describe("module layering (DESIGN.md §2)", () => {
  it("finds the modules and their imports", () => {
    expect(SRC.length).toBeGreaterThan(50);
    expect(GRAPH.get("src/worker.ts")).toContain("src/pipeline.ts");
  });

  it("puts every module under src/ in a layer", () => {
    expect(SRC.filter((f) => layerOf(f) === null)).toEqual([]);
  });

  it("has no import cycle between files", () => {
    expect(cycles(GRAPH)).toEqual([]);
  });

  it("has no import cycle between folders", () => {
    const units = new Map<string, string[]>();
    for (const [f, deps] of GRAPH) {
      const u = unitOf(f);
      const list = units.get(u) ?? [];
      for (const d of deps) if (unitOf(d) !== u) list.push(unitOf(d));
      units.set(u, list);
    }
    expect(cycles(units)).toEqual([]);
  });

  it("imports only from the module's own layer or the layers before it", () => {
    const upstream: string[] = [];
    for (const [f, deps] of GRAPH) {
      const from = layerOf(f);
      for (const d of deps) {
        const to = layerOf(d);
        if (from && to && to.rank > from.rank) upstream.push(`${f} (${from.name}) imports ${d} (${to.name})`);
      }
    }
    expect(upstream).toEqual([]);
  });

  it("keeps src/ to itself: no module imports the tools around it (scripts/, test/, bench/) or anything outside src/", () => {
    const outside: string[] = [];
    for (const [f, deps] of GRAPH) for (const d of deps) if (!d.startsWith("src/")) outside.push(`${f} imports ${d}`);
    expect(outside).toEqual([]);
  });

  it("has no import cycle in the routes CLI (scripts/ with the src/ modules it uses)", () => {
    const graph = new Map([...GRAPH, ...SCRIPTS.map((f) => [f, importsOf(f)] as const)]);
    expect(SCRIPTS).toContain("scripts/cli.ts");
    expect(cycles(graph)).toEqual([]);
  });

  it("keeps the routes CLI on the pure half: never pipeline, worker, admin, state or forward's I/O", () => {
    const bad: string[] = [];
    for (const f of SCRIPTS) {
      for (const d of importsOf(f)) {
        const forwardIo = d.startsWith("src/forward/") && !PURE_FORWARD.has(d.slice("src/forward/".length));
        if (forwardIo || /^src\/(pipeline|worker)\.ts$|^src\/(admin|state)\//.test(d)) bad.push(`${f} imports ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("lets tests share fixtures only through test/fixtures, never another suite's folder (docs/development.md)", () => {
    const testFiles = (dir: string): string[] =>
      readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? (e.name === "node_modules" ? [] : testFiles(`${dir}/${e.name}`)) : /\.test\.tsx?$/.test(e.name) ? [`${dir}/${e.name}`] : [],
      );
    const bad: string[] = [];
    for (const f of [...testFiles("src"), ...testFiles("scripts")]) {
      for (const d of importsOf(f)) if (d.startsWith("test/") && !d.startsWith("test/fixtures/")) bad.push(`${f} imports ${d}`);
    }
    // A suite under test/ (unit, e2e, …) and the benches: their own folder, fixtures, and the shared
    // data and reference matcher (test/conformance, test/reference), never another suite's files.
    const shared = /^test\/(fixtures|conformance|reference)\//;
    const tsFiles = (dir: string): string[] =>
      readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? (e.name === "node_modules" ? [] : tsFiles(`${dir}/${e.name}`)) : /\.tsx?$/.test(e.name) ? [`${dir}/${e.name}`] : [],
      );
    for (const f of [...tsFiles("test"), ...tsFiles("bench")]) {
      const own = f.startsWith("test/") ? f.split("/").slice(0, 2).join("/") + "/" : null;
      for (const d of importsOf(f)) if (d.startsWith("test/") && !shared.test(d) && !(own && d.startsWith(own))) bad.push(`${f} imports ${d}`);
    }
    expect(bad).toEqual([]);
  });

  it("detects a cycle and an upstream import when there is one (the checks can fail)", () => {
    const g = new Map([
      ["src/a.ts", ["src/b.ts"]],
      ["src/b.ts", ["src/a.ts"]],
      ["src/c.ts", []],
    ]);
    expect(cycles(g)).toEqual([["src/a.ts", "src/b.ts"]]);
    expect(layerOf("src/match/x.ts")!.rank).toBeLessThan(layerOf("src/decide.ts")!.rank);
  });
});
