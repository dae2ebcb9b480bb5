import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { MAX_SOURCE_BYTES, readSources, SourceError } from "../../../scripts/lib/files.ts";

let root: string;
const rel = (p: string) => relative(process.cwd(), join(root, p));

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), "sources-"));
  await mkdir(join(root, "routes/sub"), { recursive: true });
  await writeFile(join(root, "routes/b.yaml"), "b");
  await writeFile(join(root, "routes/a.yml"), "a");
  await writeFile(join(root, "routes/sub/c.yaml"), "c");
  await writeFile(join(root, "routes/a.cases.yaml"), "cases");
  await writeFile(join(root, "routes/readme.md"), "no");
  await writeFile(join(root, "big.yaml"), "x".repeat(MAX_SOURCE_BYTES + 1));
});
afterAll(() => rm(root, { recursive: true, force: true }));

describe("readSources", () => {
  it("reads folders recursively, keeps only *.yaml/*.yml, skips *.cases.yaml, sorts the paths", async () => {
    const files = await readSources([rel("routes")]);
    expect(files.map((f) => f.path)).toEqual([rel("routes/a.yml"), rel("routes/b.yaml"), rel("routes/sub/c.yaml")]);
    expect(files.map((f) => f.text)).toEqual(["a", "b", "c"]);
  });

  it("reads a file given by name once even when its folder is given too", async () => {
    const files = await readSources([rel("routes/b.yaml"), rel("routes")]);
    expect(files.filter((f) => f.path === rel("routes/b.yaml"))).toHaveLength(1);
  });

  it("reports every missing path and oversized file as located errors", async () => {
    const err = await readSources([rel("big.yaml"), rel("nope.yaml")]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    const issues = (err as SourceError).issues;
    expect(issues.map((i) => [i.file, i.line, i.col])).toEqual([[rel("nope.yaml"), 1, 1], [rel("big.yaml"), 1, 1]]);
    expect(issues[1]!.message).toMatch(/limit is 1048576 \(1 MiB\)/);
    expect(issues[1]!.message).toMatch(/--max-file-bytes/);
  });

  it("accepts a file over 1 MiB when maxFileBytes allows it, and applies a lower cap too", async () => {
    const files = await readSources([rel("big.yaml")], { maxFileBytes: MAX_SOURCE_BYTES + 1 });
    expect(files[0]!.text.length).toBe(MAX_SOURCE_BYTES + 1);
    const err = await readSources([rel("routes/b.yaml")], { maxFileBytes: 0.5 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceError);
    expect((err as SourceError).issues[0]!.message).toMatch(/file is 1 bytes; the limit is 0.5 per file/);
  });
});
