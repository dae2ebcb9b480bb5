/**
 * 2. Config load: how big the compiled table is, and how long a new isolate takes to go from the
 * KV bytes to a ready table (JSON.parse + prepare()), against JSON.parse of the same bytes.
 * Each sample is a fresh Node process (cold V8, like a new isolate); rounds alternate which of
 * the two runs first. workerd freezes its clock during synchronous work (Spectre mitigation),
 * so this one is measured in Node's V8 rather than inside workerd.
 */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ratios, spread, type Spread } from "./stats.ts";

export interface TableLoadResult {
  jsonBytes: number;
  gzipBytes: number;
  /** CPU ms of each cold sample. */
  parseMs: number[];
  loadMs: number[];
  /** Wall-clock ms of the same samples. */
  parseWallMs: number[];
  loadWallMs: number[];
  warmParseMs: number;
  warmLoadMs: number;
  ratio: Spread;
  heapTableBytes?: number;
  heapPreparedBytes?: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));

function child(file: string, mode: "parse" | "load"): Record<string, number> {
  const r = spawnSync(
    process.execPath,
    ["--experimental-strip-types", "--no-warnings", "--expose-gc", path.join(here, "table-load-child.ts"), file, mode],
    { encoding: "utf8", timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`table-load child (${mode}) failed: ${r.stderr.trim().split("\n").slice(-3).join(" ")}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, number>;
}

export function measureTableLoad(json: string, workDir: string, rounds: number): TableLoadResult {
  const file = path.join(workDir, "table-10k.json");
  writeFileSync(file, json);
  const parseMs: number[] = [];
  const loadMs: number[] = [];
  const parseWallMs: number[] = [];
  const loadWallMs: number[] = [];
  let warmParseMs = Infinity;
  let warmLoadMs = Infinity;
  let heap: Record<string, number> = {};
  for (let r = 0; r < rounds; r++) {
    const order: Array<"parse" | "load"> = r % 2 === 0 ? ["parse", "load"] : ["load", "parse"];
    for (const mode of order) {
      const out = child(file, mode);
      if (mode === "parse") {
        parseMs.push(out.cpuMs!);
        parseWallMs.push(out.ms!);
        warmParseMs = Math.min(warmParseMs, out.warmMs!);
      } else {
        loadMs.push(out.cpuMs!);
        loadWallMs.push(out.ms!);
        warmLoadMs = Math.min(warmLoadMs, out.warmMs!);
        heap = out;
      }
    }
  }
  const bytes = Buffer.byteLength(json);
  return {
    jsonBytes: bytes,
    gzipBytes: gzipSync(json).length,
    parseMs,
    loadMs,
    parseWallMs,
    loadWallMs,
    warmParseMs,
    warmLoadMs,
    ratio: spread(ratios(loadMs, parseMs)),
    ...(heap.heapTableBytes === undefined ? {} : { heapTableBytes: heap.heapTableBytes }),
    ...(heap.heapPreparedBytes === undefined ? {} : { heapPreparedBytes: heap.heapPreparedBytes }),
  };
}
