/**
 * The deployable Worker bundle, built exactly as `wrangler deploy --dry-run` builds it (the same
 * esbuild settings and wrangler.toml). Its gzip size is what counts against the Workers script
 * size limit; the same file is what the end-to-end benchmark runs under workerd.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { gzipSync } from "node:zlib";

export interface Bundle {
  /** Main module (ES module source). */
  mainPath: string;
  /** Every emitted module (not source maps, not wrangler's README): bytes raw and gzip (level 9, what wrangler reports ~). */
  files: Array<{ name: string; bytes: number; gzipBytes: number }>;
  totalBytes: number;
  totalGzipBytes: number;
  /** The "Total Upload: … / gzip: …" line wrangler printed, if any. */
  wranglerSummary?: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
}

/** compatibility_date / compatibility_flags from wrangler.toml (top level), without a TOML parser. */
export function readCompat(root: string): { compatibilityDate: string; compatibilityFlags: string[] } {
  const toml = readFileSync(path.join(root, "wrangler.toml"), "utf8").split(/^\[/m)[0]!;
  const date = /^compatibility_date\s*=\s*"([^"]+)"/m.exec(toml)?.[1];
  const flags = /^compatibility_flags\s*=\s*\[([^\]]*)\]/m.exec(toml)?.[1];
  if (!date) throw new Error("wrangler.toml has no compatibility_date");
  return {
    compatibilityDate: date,
    compatibilityFlags: flags ? [...flags.matchAll(/"([^"]+)"/g)].map((m) => m[1]!) : [],
  };
}

export function buildBundle(root: string, outdir: string): Bundle {
  // Run wrangler's entry with this Node (22+), not through the .bin shim: outside `npm run`, the
  // shim's `#!/usr/bin/env node` may find an older system Node that wrangler refuses.
  const wrangler = path.join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  const r = spawnSync(process.execPath, [wrangler, "deploy", "--dry-run", "--outdir", outdir, "--env="], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", NO_COLOR: "1" },
    timeout: 120_000,
  });
  if (r.status !== 0) throw new Error(`wrangler deploy --dry-run failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  const summary = /Total Upload:[^\n]*/.exec(r.stdout + r.stderr)?.[0]?.trim();
  const files = readdirSync(outdir)
    .filter((n) => /\.(m?js|wasm|txt|bin)$/.test(n) && statSync(path.join(outdir, n)).isFile())
    .map((name) => {
      const buf = readFileSync(path.join(outdir, name));
      return { name, bytes: buf.length, gzipBytes: gzipSync(buf, { level: 9 }).length };
    });
  const main = files.find((f) => f.name.endsWith(".js"));
  if (!main) throw new Error(`wrangler wrote no .js file to ${outdir}`);
  return {
    mainPath: path.join(outdir, main.name),
    files,
    totalBytes: files.reduce((s, f) => s + f.bytes, 0),
    totalGzipBytes: files.reduce((s, f) => s + f.gzipBytes, 0),
    ...(summary === undefined ? {} : { wranglerSummary: summary }),
    ...readCompat(root),
  };
}
