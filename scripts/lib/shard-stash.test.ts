import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FileStash } from "./shard-stash.ts";

const dir = mkdtempSync(path.join(tmpdir(), "stash-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("FileStash (a push's shards between planning and writing)", () => {
  it("gives back every text it kept, in any order, leaving no file behind", () => {
    const stash = new FileStash(dir);
    expect(readdirSync(dir)).toEqual([]);
    const texts = ["", '{"a":1}', "wé\u{1f600}".repeat(5000), "x".repeat(300_000), '{"b":[null]}'];
    const handles = texts.map((t) => stash.keep(t));
    for (const i of [3, 0, 4, 2, 1, 2]) expect(stash.take(handles[i]!)).toBe(texts[i]);
    expect(() => stash.take(99)).toThrow(RangeError);
    stash.close();
    expect(() => stash.take(handles[1]!)).toThrow(/closed/);
    expect(() => stash.keep("x")).toThrow(/closed/);
  });

  it("says where and what to do when its file cannot be created", () => {
    expect(() => new FileStash(path.join(dir, "missing", "deeper"))).toThrow(/could not be created.*TMPDIR/);
  });
});
