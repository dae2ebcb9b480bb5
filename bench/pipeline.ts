/**
 * The project's own pipeline as the benchmarks use it: YAML → loadConfig → compile → RouteTable
 * → prepare → decide, plus the naive reference matcher. Modules are imported dynamically so a
 * missing or broken piece turns into "not run: <why>" in the report instead of a crash, and the
 * harness keeps working while the pieces are being written.
 */
import type { RouteTable } from "../src/table/types.ts";
import type { DecideOptions, Decision, RequestFacts } from "../src/decision.ts";
import { type IstioObject, type Probe, toYaml } from "./gen.ts";

export type Prepared = unknown;

export interface Pipeline {
  /** Istio objects → compiled table (through the YAML text users write). Throws on errors. */
  compile(objects: IstioObject[]): Promise<RouteTable>;
  /** YAML files (path + text) → loadConfig → compile, as `routes validate` reads a routes/ folder. Throws on errors. */
  compileFiles(files: Array<{ path: string; text: string }>): Promise<RouteTable>;
  prepare(table: RouteTable): Prepared;
  decide(prepared: Prepared, facts: RequestFacts, opts: DecideOptions): Decision;
  facts(probe: Probe): RequestFacts;
  canonicalJson?: (table: RouteTable) => string;
}

/** The naive reference: same Istio semantics, scans every VirtualService in order. */
export interface NaiveReference {
  /** Whatever the reference needs, built once per config (outside the timed loop). */
  build(objects: IstioObject[], table: RouteTable): Promise<unknown>;
  decide(built: unknown, facts: RequestFacts, opts: DecideOptions): Decision;
  description: string;
}

type AnyModule = Record<string, unknown>;

async function tryImport(specs: string[]): Promise<{ mod: AnyModule; spec: string } | { error: string }> {
  const errors: string[] = [];
  for (const spec of specs) {
    try {
      return { mod: (await import(new URL(spec, import.meta.url).href)) as AnyModule, spec };
    } catch (e) {
      errors.push(`${spec}: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  return { error: errors.join("; ") };
}

function fn<T>(mod: AnyModule, name: string, where: string): T {
  const f = mod[name];
  if (typeof f !== "function") throw new Error(`${where} does not export ${name}()`);
  return f as T;
}

/** A Map-backed HeaderReader (what the CLI uses): lower-case names. */
export function headerReader(headers: Record<string, string>): RequestFacts["headers"] {
  const m = new Map(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { get: (n) => m.get(n.toLowerCase()) ?? null, has: (n) => m.has(n.toLowerCase()) };
}

export async function loadPipeline(): Promise<Pipeline | { error: string }> {
  const config = await tryImport(["../src/config/index.ts"]);
  const compileMod = await tryImport(["../src/compile/index.ts", "../src/compile/compile.ts"]);
  const prepareMod = await tryImport(["../src/prepare.ts"]);
  const decideMod = await tryImport(["../src/decide.ts"]);
  const factsMod = await tryImport(["../src/match/facts.ts"]);
  const missing = [config, compileMod, prepareMod, decideMod, factsMod].filter((m) => "error" in m) as Array<{ error: string }>;
  if (missing.length > 0) return { error: missing.map((m) => m.error).join("; ") };
  const ok = (m: typeof config) => m as { mod: AnyModule; spec: string };
  try {
    const loadConfig = fn<(files: Array<{ path: string; text: string }>) => { objects: unknown; issues: Array<{ severity: string; message: string; path: string; file: string; line: number }> }>(
      ok(config).mod, "loadConfig", "src/config");
    const compile = fn<(objects: unknown) => Promise<{ table: RouteTable | null; issues: Array<{ severity: string; message: string }> }>>(
      ok(compileMod).mod, "compile", ok(compileMod).spec);
    const prepare = fn<(t: RouteTable) => Prepared>(ok(prepareMod).mod, "prepare", "src/prepare.ts");
    const decide = fn<Pipeline["decide"]>(ok(decideMod).mod, "decide", "src/decide.ts");
    const factsFromParts = fn<(p: unknown) => RequestFacts | { error: number; reason: string }>(ok(factsMod).mod, "factsFromParts", "src/match/facts.ts");
    const canonicalJson = ok(compileMod).mod["canonicalJson"] as Pipeline["canonicalJson"];
    const compileFiles: Pipeline["compileFiles"] = async (files) => {
      const loaded = loadConfig(files);
      const errs = loaded.issues.filter((i) => i.severity === "error");
      if (errs.length > 0)
        throw new Error(`generated config rejected by loadConfig: ${errs.slice(0, 3).map((i) => `${i.file}:${i.line} ${i.path}: ${i.message}`).join("; ")}`);
      const { table, issues } = await compile(loaded.objects);
      const cerrs = issues.filter((i) => i.severity === "error");
      if (!table || cerrs.length > 0) throw new Error(`compile failed: ${cerrs.slice(0, 3).map((i) => i.message).join("; ")}`);
      return table;
    };
    return {
      compile: (objects) => compileFiles([{ path: "bench.yaml", text: toYaml(objects) }]),
      compileFiles,
      prepare,
      decide,
      facts(probe) {
        const r = factsFromParts({
          method: probe.method,
          scheme: "https",
          authority: probe.host,
          path: probe.path,
          query: "",
          headers: headerReader(probe.headers),
        });
        if ("error" in r) throw new Error(`facts rejected probe ${probe.host}${probe.path}: ${r.reason}`);
        return r;
      },
      ...(typeof canonicalJson === "function" ? { canonicalJson } : {}),
    };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/**
 * The naive reference matcher written for the tests (test/reference/naive-decide.ts). Its
 * export names are probed so this adapter does not need to change when it lands.
 */
export async function loadNaive(pipeline: Pipeline): Promise<NaiveReference | { error: string }> {
  const m = await tryImport(["../test/reference/naive-decide.ts"]);
  if ("error" in m) return { error: `naive reference not available (${m.error})` };
  return adaptNaive(m.mod, pipeline);
}

function adaptNaive(mod: AnyModule, pipeline: Pipeline): NaiveReference | { error: string } {
  const decideName = ["naiveDecide", "decideNaive", "decide", "default"].find((n) => typeof mod[n] === "function");
  if (!decideName) return { error: `test/reference/naive-decide.ts exports none of naiveDecide/decideNaive/decide (has: ${Object.keys(mod).join(", ")})` };
  const naiveDecide = mod[decideName] as (input: unknown, facts: RequestFacts, opts: DecideOptions) => Decision;
  return {
    description: `test/reference/naive-decide.ts ${decideName}()`,
    // naiveDecide(prepared, facts, opts): it reads the plain table through the prepared one and
    // scans the vhost's routes in order without the index.
    build: async (_objects, table) => pipeline.prepare(table),
    decide: (built, facts, opts) => naiveDecide(built, facts, opts),
  };
}
