/**
 * `routes push --local` and `routes validate` through the CLI (in-process), with the bounded build
 * (issue #16 item 2: `lowMemory: true`, one file at a time, a lazy table) and with the whole build
 * (`lowMemory: false`): the same exit codes, the same output, and the same KV writes — every key
 * and value in the same order, read back equal from the local state. The path is chosen by
 * wrapping scripts/lib/build.ts's `build` so it receives `lowMemory` set either way; everything
 * else the commands do is unchanged.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { runCli } from "../../scripts/cli.ts";
import { memoryIo } from "../../scripts/lib/io.ts";
import { LocalKv } from "../../scripts/lib/local-kv.ts";
import { writeEqualFiles } from "../../bench/cli-memory.ts";
import { gatewayYaml, virtualServiceYaml, WEB_V1_V2, yamlFile } from "../fixtures/istio.ts";
import { writeFiles } from "../fixtures/cli.ts";

const path_ = vi.hoisted(() => ({ lowMemory: null as boolean | null, calls: 0 }));
vi.mock("../../scripts/lib/build.ts", async (importOriginal) => {
  const m = await importOriginal<typeof import("../../scripts/lib/build.ts")>();
  return {
    ...m,
    build: (paths: string[], options: Parameters<typeof m.build>[1] = {}) => {
      if (path_.lowMemory === null) throw new Error("test: choose the build path first");
      path_.calls++;
      return m.build(paths, { ...options, lowMemory: path_.lowMemory } as Parameters<typeof m.build>[1]);
    },
  };
});

const NS = "00000000000000000000000000000000"; // wrangler.toml's placeholder id
const ROOT = path.resolve(import.meta.dirname, "../..");
const tmp = mkdtempSync(path.join(os.tmpdir(), "push-lowmem-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (name: string) => path.join(tmp, `${name}-${n++}`);

/** Every put of the local KV, in order, while `run` runs. */
async function recordingPuts<T>(run: () => Promise<T>): Promise<{ result: T; puts: Array<[string, string]> }> {
  const spy = vi.spyOn(LocalKv.prototype, "put");
  try {
    const result = await run();
    return { result, puts: spy.mock.calls.map(([k, v]) => [k, v] as [string, string]) };
  } finally {
    spy.mockRestore();
  }
}

interface Outcome {
  codes: number[];
  out: string[][];
  puts: Array<[string, string]>;
  stored: Record<string, string | null>;
}

/** `routes push --local` of each config in turn into a fresh state, on one build path; the state's values of every key written. */
async function pushAll(lowMemory: boolean, configs: string[][]): Promise<Outcome> {
  path_.lowMemory = lowMemory;
  path_.calls = 0;
  const state = fresh(lowMemory ? "bounded" : "whole");
  const at = new Date(Date.UTC(2026, 11, 4, 12, 0, 0));
  const codes: number[] = [];
  const out: string[][] = [];
  const { puts } = await recordingPuts(async () => {
    for (const [i, paths] of configs.entries()) {
      const io = memoryIo(() => new Date(at.getTime() + i * 1000));
      codes.push(await runCli(["push", "--local", "--persist-to", state, ...paths], io));
      out.push([...io.stdout, ...io.stderr].map((l) => l.replaceAll(state, "<state>")));
    }
  });
  expect(path_.calls).toBe(configs.length);
  const kv = new LocalKv(state, NS);
  const stored: Record<string, string | null> = {};
  try {
    for (const [k] of puts) stored[k] = await kv.get(k);
  } finally {
    await kv.close();
  }
  return { codes, out, puts, stored };
}

async function validate(lowMemory: boolean, paths: string[]): Promise<{ code: number; out: string[] }> {
  path_.lowMemory = lowMemory;
  const io = memoryIo();
  const code = await runCli(["validate", ...paths], io);
  return { code, out: [...io.stdout, ...io.stderr] };
}

describe("push --local and validate: the bounded build writes and prints what the whole build does", { timeout: 180_000 }, () => {
  // 200 hosts in 4 files of 50 hosts (several shards), then the repository's routes/, then a
  // config with an error (nothing written), then the first config again (already stored).
  const big = fresh("config");
  writeEqualFiles(big, 2000, 500);
  const broken = writeFiles(fresh("broken"), {
    "a.yaml": yamlFile(gatewayYaml(), WEB_V1_V2),
    "b.yaml": virtualServiceYaml("- route: [{ destination: { host: web.internal.example, subset: v9 } }]", { hosts: ["a.example.com"] }),
  });
  const configs = [[big], [path.join(ROOT, "routes")], [broken], [big]];

  it("push: same exit codes, output, KV writes in order, stored values", async () => {
    const whole = await pushAll(false, configs);
    const bounded = await pushAll(true, configs);
    expect(whole.codes).toEqual([0, 0, 1, 0]);
    expect(bounded.codes).toEqual(whole.codes);
    expect(bounded.out).toEqual(whole.out);
    // Several shards were written, so the comparison covers more than the index.
    expect(whole.puts.length).toBeGreaterThan(6);
    expect(bounded.puts.map(([k]) => k)).toEqual(whole.puts.map(([k]) => k));
    expect(bounded.puts).toEqual(whole.puts);
    expect(bounded.stored).toEqual(whole.stored);
  });

  it("validate: same exit code and output (findings, analyze's warnings, the version)", async () => {
    for (const paths of [[big], [path.join(ROOT, "routes")], [path.join(ROOT, "examples")], [broken]]) {
      const whole = await validate(false, paths);
      const bounded = await validate(true, paths);
      expect(bounded).toEqual(whole);
    }
  });
});
