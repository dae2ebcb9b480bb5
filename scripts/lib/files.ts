/**
 * readSources: the CLI's file input. Files and folders (recursive, *.yaml / *.yml), skipping
 * golden test cases (*.cases.yaml), sorted so every run loads objects in the same order; paths
 * stay as the user gave them (relative to cwd). Files over MAX_SOURCE_BYTES become a located error
 * instead of being read (a config that large is a mistake, and it would not fit a KV value).
 */
import { readFileSync } from "node:fs";
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Issue, SourceFile } from "../../src/config/index.ts";

/**
 * 1 MiB per file by default: the CLI parses and validates one file at a time, so its memory
 * follows the largest file (a YAML parse and zod's validation of it take many times the file's
 * bytes while they run), and a hand-written route file of that size is almost always a mistake
 * (a generated or concatenated file, a wrong folder). Generated configs may be larger:
 * `--max-file-bytes N` raises the cap.
 */
export const MAX_SOURCE_BYTES = 1024 * 1024;

export interface ReadOptions {
  /** Largest file accepted, in bytes (default MAX_SOURCE_BYTES). */
  maxFileBytes?: number;
  /**
   * Read each file's text when the loader asks for it (a getter) instead of all of them up front:
   * the texts of every file are not in memory together (issue #16 item 2). Sizes are still
   * checked before anything is loaded.
   */
  lazyText?: boolean;
}

/** Every unreadable or oversized input at once (errors are collected, not thrown one by one). */
export class SourceError extends Error {
  readonly issues: Issue[];
  constructor(issues: Issue[]) {
    super(issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`).join("\n"));
    this.issues = issues;
  }
  /** The first problem (kept for callers that report one). */
  get issue(): Issue {
    return this.issues[0]!;
  }
}

const isConfig = (name: string) => /\.ya?ml$/i.test(name) && !/\.cases\.ya?ml$/i.test(name);

export async function readSources(paths: string[], options: ReadOptions = {}): Promise<SourceFile[]> {
  const max = options.maxFileBytes ?? MAX_SOURCE_BYTES;
  const found: string[] = [];
  const problems: Issue[] = [];
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st) {
      problems.push(issue(p, "no such file or folder"));
      continue;
    }
    if (st.isDirectory()) found.push(...(await walk(p)));
    else found.push(p);
  }
  const unique = [...new Set(found)].sort(compare);
  const out: SourceFile[] = [];
  for (const path of unique) {
    const st = await stat(path);
    if (st.size > max) problems.push(issue(path, `file is ${st.size} bytes; the limit is ${max}${max === MAX_SOURCE_BYTES ? " (1 MiB)" : ""} per file — split it, or raise the limit with --max-file-bytes`));
    // `reread`: loaded objects find positions in the text read again, so the texts of every file
    // need not stay in memory (issue #16 item 2).
    else if (options.lazyText) out.push({ path, bytes: st.size, get text() { return readFileSync(path, "utf8"); }, reread: () => readFileSync(path, "utf8") });
    else out.push({ path, bytes: st.size, text: await readFile(path, "utf8"), reread: () => readFileSync(path, "utf8") });
  }
  if (problems.length) throw new SourceError(problems);
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name === "node_modules" || e.name.startsWith(".")) continue;
      out.push(...(await walk(p)));
    } else if (e.isFile() && isConfig(e.name)) out.push(p);
  }
  return out;
}

/** Code-unit order, independent of locale (deterministic across machines). */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function issue(file: string, message: string): Issue {
  return { severity: "error", file, line: 1, col: 1, path: "", message, code: "source" };
}
