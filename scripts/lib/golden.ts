/**
 * Golden routing cases for the CLI and the test suite: compile the routes under the given paths,
 * find the `*.cases.yaml` beside them, run every case through the Worker's own decide(), and
 * measure route coverage. `routes test` prints this; test/golden runs it in vitest.
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Issue } from "../../src/config/index.ts";
import type { RouteTable } from "../../src/table/types.ts";
import { prepare } from "../../src/prepare.ts";
import { coverage, type Coverage } from "../../src/cases/coverage.ts";
import { loadCases, type LocatedCase } from "../../src/cases/load.ts";
import { runCase, type CaseResult } from "../../src/cases/run.ts";
import { build } from "./build.ts";
import type { ReadOptions } from "./files.ts";

const isCases = (name: string) => /\.cases\.ya?ml$/i.test(name);

/** Case files for the inputs: `x.yaml` → sibling `x.cases.yaml`; a folder → every cases file in it (recursive). */
export async function findCaseFiles(paths: readonly string[]): Promise<string[]> {
  const out = new Set<string>();
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st) continue;
    if (st.isDirectory()) for (const f of await walk(p)) out.add(f);
    else if (isCases(basename(p))) out.add(p);
    else {
      for (const ext of [".cases.yaml", ".cases.yml"]) {
        const sibling = join(dirname(p), basename(p).replace(/\.ya?ml$/i, ext));
        if (await stat(sibling).catch(() => null)) out.add(sibling);
      }
    }
  }
  return [...out].sort();
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.name.startsWith(".") && e.name !== "node_modules") out.push(...(await walk(p)));
    else if (e.isFile() && isCases(e.name)) out.push(p);
  }
  return out;
}

export interface GoldenRun {
  table: RouteTable | null;
  /** Config and case-file problems (errors stop the run). */
  issues: Issue[];
  caseFiles: string[];
  results: Array<CaseResult & { file: string; line: number }>;
  coverage: Coverage | null;
}

export async function runGolden(paths: readonly string[], options: ReadOptions = {}): Promise<GoldenRun> {
  const configPaths = paths.filter((p) => !isCases(basename(p)));
  const built = await build(configPaths.length > 0 ? configPaths : paths.map((p) => dirname(p)), options);
  const caseFiles = await findCaseFiles(paths);
  const issues: Issue[] = [...built.issues];
  const cases: LocatedCase[] = [];
  for (const file of caseFiles) {
    const loaded = loadCases({ path: file, text: await readFile(file, "utf8") });
    issues.push(...loaded.issues);
    cases.push(...loaded.cases);
  }
  if (!built.table || issues.some((i) => i.severity === "error")) {
    return { table: built.table, issues, caseFiles, results: [], coverage: null };
  }
  const prepared = prepare(built.table);
  const results = cases.map((c) => ({ ...runCase(prepared, c.case), file: c.file, line: c.line }));
  const hits = results.flatMap((r) => (r.ruleKey ? [r.ruleKey] : []));
  return { table: built.table, issues, caseFiles, results, coverage: coverage(built.table, hits) };
}
