/**
 * Bundles the Worker once per e2e run, exactly as `wrangler deploy` would (dry run), and hands the
 * bundle path to the tests (inject("workerScript")).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    workerScript: string;
  }
}

export default function setup(project: TestProject): () => void {
  const outdir = mkdtempSync(join(tmpdir(), "gateway-e2e-"));
  execFileSync("npx", ["wrangler", "deploy", "--dry-run", "--outdir", outdir, "--env="], {
    cwd: project.config.root,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", WRANGLER_LOG: "error" },
  });
  const script = join(outdir, "worker.js");
  if (!existsSync(script)) throw new Error(`wrangler did not produce ${script}`);
  project.provide("workerScript", script);
  return () => rmSync(outdir, { recursive: true, force: true });
}
