/**
 * The routes CLI end to end: real YAML → loadConfig → compile → KV (wrangler's local state via
 * Miniflare, or a fake `wrangler` for the remote path). The main paths run as a subprocess exactly
 * like `npm run routes -- …`; the rest in-process through runCli for speed.
 */
import { describe, it, expect, afterAll } from "vitest";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { runCli } from "../../scripts/cli.ts";
import { memoryIo } from "../../scripts/lib/io.ts";
import { manyHosts, toYaml } from "../../bench/gen.ts";
import { ACTIVE_KEY, HISTORY_KEY, shardKey, versionKey } from "../../src/store/keys.ts";
import { shardIdsOf, type ShardIndex } from "../../src/table/shards.ts";
import { gatewayYaml, WEB_V1_V2 } from "../fixtures/istio.ts";

const exec = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const FAKE_WRANGLER = path.join(import.meta.dirname, "fake-wrangler.mjs");
const NS = "00000000000000000000000000000000";

const tmp: string[] = [];
function tempDir(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  tmp.push(d);
  return d;
}
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

interface Shape {
  v2Weight?: number;
  timeout?: string;
  withRatings?: boolean;
  invalid?: boolean;
}

/** A small shop config; each option changes one thing a diff should show. */
function writeConfig(dir: string, s: Shape = {}): string {
  const weights = s.v2Weight
    ? `        - destination: { host: web.internal.example, subset: v1 }
          weight: ${100 - s.v2Weight}
        - destination: { host: web.internal.example, subset: v2 }
          weight: ${s.v2Weight}`
    : `        - destination: { host: web.internal.example, subset: v1 }`;
  const ratings = s.withRatings
    ? `    - name: ratings
      match:
        - uri: { prefix: /ratings }
      route:
        - destination: { host: web.internal.example, subset: v2 }
`
    : "";
  const yaml = `${gatewayYaml({ hosts: ["shop.example.com"] })}---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: shop }
spec:
  hosts: [shop.example.com]
  gateways: [gw]
  http:
${ratings}    - name: web
      route:
${weights}
${s.timeout ? `      timeout: ${s.timeout}\n` : ""}${s.invalid ? "      rout: oops\n" : ""}---
${WEB_V1_V2}`;
  const file = path.join(dir, "shop.yaml");
  writeFileSync(file, yaml);
  return file;
}

async function routes(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await exec(process.execPath, ["--experimental-strip-types", "--no-warnings", "scripts/routes.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

async function inProcess(args: string[], now = new Date("2026-11-29T12:00:00.000Z")) {
  const io = memoryIo(() => now);
  const code = await runCli(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

// Every push/versions/diff starts Miniflare (0.5–3 s on a busy machine); subprocesses add Node startup.
describe("routes CLI", { timeout: 120_000 }, () => {
  it("push --local writes a version that `versions` then shows active (subprocess)", async () => {
    const dir = tempDir("routes-cli-");
    const state = path.join(dir, "state");
    const file = writeConfig(dir);
    const push = await routes(["push", "--local", "--persist-to", state, file]);
    expect(push.stderr).toBe("");
    expect(push.code).toBe(0);
    const hash = /compiled version ([0-9a-f]{64}): 1 host, 1 route, 1 upstream/.exec(push.stdout)?.[1];
    expect(hash).toBeDefined();
    expect(push.stdout).toContain(`uploaded: ${hash} in local KV namespace ${NS} in ${path.join(state, "v3", "kv")}`);
    expect(push.stdout).toContain(`active: ${hash!.slice(0, 12)} (was none)`);

    const versions = await routes(["versions", "--local", "--persist-to", state]);
    expect(versions.code).toBe(0);
    expect(versions.stdout).toMatch(new RegExp(`^\\* ${hash!.slice(0, 12)}  \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z  1 host, 1 route, 1 upstream  ← active since .* \\(push\\)$`, "m"));
    expect(versions.stdout).toContain(`    sources: ${file}`);
    expect(versions.stdout).toContain(`active: ${hash}`);

    // Pushing the same config again is a no-op that says so.
    const again = await routes(["push", "--local", "--persist-to", state, file]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`version ${hash!.slice(0, 12)} is already active in local KV namespace`);
    expect(again.stdout).toContain("nothing to push");
  });

  it("an invalid push exits 1, prints the located error and leaves the active version untouched (subprocess)", async () => {
    const dir = tempDir("routes-cli-");
    const state = path.join(dir, "state");
    const good = await inProcess(["push", "--local", "--persist-to", state, writeConfig(dir)]);
    expect(good.code).toBe(0);
    const before = await inProcess(["versions", "--local", "--persist-to", state]);

    const bad = await routes(["push", "--local", "--persist-to", state, writeConfig(dir, { invalid: true, v2Weight: 50 })]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/shop\.yaml:\d+:\d+: spec\.http\[0\]\.rout: .*/);
    expect(bad.stderr).toContain("push refused: the config has errors; nothing was written");
    const after = await inProcess(["versions", "--local", "--persist-to", state]);
    expect(after.out).toEqual(before.out);
  });

  it("validate prints every problem and exits 1 on errors, 0 with warnings only", async () => {
    const dir = tempDir("routes-cli-");
    const bad = await inProcess(["validate", writeConfig(dir, { invalid: true })]);
    expect(bad.code).toBe(1);
    expect(bad.out.some((l) => /shop\.yaml:\d+:\d+: spec\.http\[0\]\.rout: /.test(l))).toBe(true);
    expect(bad.out.at(-1)).toMatch(/^1 file: [1-9]\d* errors?, \d+ warnings?$/);
    expect(bad.err).toEqual(["invalid: fix the errors above"]);
    const ok = await inProcess(["validate", writeConfig(dir)]);
    expect(ok.code).toBe(0);
    expect(ok.out.at(-1)).toMatch(/^valid: 1 host, 1 route, 1 upstream \(version [0-9a-f]{12}\)$/);
    const missing = await inProcess(["validate", path.join(dir, "nope.yaml")]);
    expect(missing.code).toBe(1);
    expect(missing.out[0]).toBe(`${path.join(dir, "nope.yaml")}:1:1: no such file or folder`);
  });

  it("a generated 1.8 MiB file is refused by default with a located error, and accepted with --max-file-bytes", async () => {
    const dir = tempDir("routes-big-");
    const file = path.join(dir, "generated.yaml");
    const cfg = manyHosts({ routes: 10_000 });
    writeFileSync(file, toYaml(cfg.objects));
    const size = statSync(file).size;
    expect(size).toBeGreaterThan(1.7 * 1024 * 1024);
    const refused = await inProcess(["validate", file]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(`${file}:1:1: file is ${size} bytes; the limit is 1048576 (1 MiB) per file — split it, or raise the limit with --max-file-bytes`);
    const accepted = await inProcess(["validate", "--max-file-bytes", String(2 * 1024 * 1024), file]);
    expect(accepted.err).toEqual([]);
    expect(accepted.code).toBe(0);
    expect(accepted.out.join("\n")).toMatch(/valid: 1000 hosts, 10000 routes/);
    expect((await inProcess(["validate", "--max-file-bytes", "2MiB", file])).code).toBe(2);
  });

  it("the examples in routes/ are valid", async () => {
    const r = await inProcess(["validate", "routes/"]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
  });

  it("rollback flips to the previous version; diff shows what a push would change", async () => {
    const dir = tempDir("routes-cli-");
    const state = path.join(dir, "state");
    const local = ["--local", "--persist-to", state];
    const first = await inProcess(["push", ...local, writeConfig(dir)]);
    const second = await inProcess(["push", ...local, writeConfig(dir, { v2Weight: 10 })]);
    expect([first.code, second.code]).toEqual([0, 0]);
    const h1 = /compiled version ([0-9a-f]{64})/.exec(first.out.join("\n"))![1]!;
    const h2 = /compiled version ([0-9a-f]{64})/.exec(second.out.join("\n"))![1]!;

    const diff = await inProcess(["diff", ...local, writeConfig(dir, { v2Weight: 20, timeout: "1.5s", withRatings: true })]);
    expect(diff.code).toBe(0);
    expect(diff.out.slice(1)).toEqual([
      "~ host shop.example.com",
      "    + route ratings (position 1 of 2): uri prefix \"/ratings\" → route to web.internal.example subset v2:80",
      "    ~ route web",
      "        action: route to web.internal.example subset v1:80 90%, web.internal.example subset v2:80 10% → route to web.internal.example subset v1:80 80%, web.internal.example subset v2:80 20%",
      "        timeout: none → 1500ms",
    ]);
    expect(diff.out[0]).toBe(`active ${h2.slice(0, 12)} → new ${/new ([0-9a-f]{12})/.exec(diff.out[0]!)![1]} (local KV namespace ${NS} in ${path.join(state, "v3", "kv")})`);

    const same = await inProcess(["diff", ...local, writeConfig(dir, { v2Weight: 10 })]);
    expect(same.out.slice(1)).toEqual(["no changes"]);

    const rb = await inProcess(["rollback", ...local]);
    expect(rb.code).toBe(0);
    expect(rb.out[0]).toMatch(new RegExp(`: ${h1.slice(0, 12)} is active \\(was ${h2.slice(0, 12)}\\)$`));
    const versions = await inProcess(["versions", ...local]);
    expect(versions.out.filter((l) => l.startsWith("* "))).toEqual([expect.stringMatching(new RegExp(`^\\* ${h1.slice(0, 12)} .*\\(rollback\\)$`))]);
    // The diff now compares with the rolled-back version: only the weights differ.
    const back = await inProcess(["diff", ...local, writeConfig(dir, { v2Weight: 10 })]);
    expect(back.out[0]).toContain(`active ${h1.slice(0, 12)}`);
    expect(back.out).toContain("    ~ route web");
  });

  it("push --remote --dry-run prints the exact wrangler command lines and executes nothing (subprocess)", async () => {
    const dir = tempDir("routes-cli-");
    const log = path.join(dir, "wrangler.log");
    const r = await routes(["push", "--remote", "--env", "production", "--dry-run", writeConfig(dir)], {
      ROUTES_WRANGLER: `${process.execPath} ${FAKE_WRANGLER}`,
      FAKE_WRANGLER_LOG: log,
      FAKE_KV_FILE: path.join(dir, "kv.json"),
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync(log)).toBe(false); // not even a read was executed
    const hash = /compiled version ([0-9a-f]{64})/.exec(r.stdout)![1]!;
    const stage = /values staged in (\S+) /.exec(r.stdout)![1]!;
    const w = `${process.execPath} ${FAKE_WRANGLER}`;
    const lines = r.stdout.trimEnd().split("\n");
    const start = lines.indexOf(`dry run: nothing was written. A real run would write to remote KV namespace ${NS}, in this order:`);
    expect(start).toBeGreaterThan(-1);
    const versionBytes = readFileSync(path.join(stage, `routes__versions__${hash}.json`)).length;
    const historyBytes = readFileSync(path.join(stage, "routes__history.json")).length;
    const activeBytes = readFileSync(path.join(stage, "routes__active.json")).length;
    // The version's shards first (src/table/shards.ts), then its index, the history, the pointer last.
    const index = JSON.parse(readFileSync(path.join(stage, `routes__versions__${hash}.json`), "utf8")) as ShardIndex;
    const shards = shardIdsOf(index);
    const n = shards.length;
    expect(lines.slice(start + 1, start + 1 + 2 * n).filter((_, i) => i % 2 === 0).map((l) => l.replace(/\(\d+ bytes\)/, "(N bytes)"))).toEqual(shards.map((id, i) => `  ${i + 1}. put ${shardKey(id)} (N bytes)`));
    expect(lines.slice(start + 1 + 2 * n, start + 7 + 2 * n)).toEqual([
      `  ${n + 1}. put ${versionKey(hash)} (${versionBytes} bytes)`,
      `     ${w} kv key put ${versionKey(hash)} --namespace-id ${NS} --remote --path ${stage}/routes__versions__${hash}.json`,
      `  ${n + 2}. put ${HISTORY_KEY} (${historyBytes} bytes)`,
      `     ${w} kv key put ${HISTORY_KEY} --namespace-id ${NS} --remote --path ${stage}/routes__history.json`,
      `  ${n + 3}. put ${ACTIVE_KEY} (${activeBytes} bytes)`,
      `     ${w} kv key put ${ACTIVE_KEY} --namespace-id ${NS} --remote --path ${stage}/routes__active.json`,
    ]);
    expect(JSON.parse(readFileSync(path.join(stage, "routes__active.json"), "utf8"))).toMatchObject({ version: hash, reason: "push" });
    expect(r.stdout).toContain(`note: a dry run executes nothing remote, so ${ACTIVE_KEY}, ${versionKey(hash)}, ${HISTORY_KEY} were not read`);
    tmp.push(stage);
  });

  it("push --local --dry-run plans the writes with their sizes and leaves the local state empty", async () => {
    const dir = tempDir("routes-cli-");
    const state = path.join(dir, "state");
    const r = await inProcess(["push", "--local", "--persist-to", state, "--dry-run", writeConfig(dir)]);
    expect(r.code).toBe(0);
    const hash = /compiled version ([0-9a-f]{64})/.exec(r.out.join("\n"))![1]!;
    const at = r.out.indexOf(`dry run: nothing was written. A real run would write to local KV namespace ${NS} in ${path.join(state, "v3", "kv")}, in this order:`);
    expect(at).toBeGreaterThan(-1);
    const planned = r.out.slice(at + 1).filter((l) => /^ {2}\d+\. /.test(l)).map((l) => l.replace(/^ {2}\d+\. /, "").replace(/\(\d+ bytes\)/, "(N bytes)"));
    // The version's shards first, then its index, the history, the pointer last.
    expect(planned.slice(-3)).toEqual([`put ${versionKey(hash)} (N bytes)`, `put ${HISTORY_KEY} (N bytes)`, `put ${ACTIVE_KEY} (N bytes)`]);
    expect(planned.length).toBeGreaterThan(3);
    expect(planned.slice(0, -3).every((l) => l.startsWith(`put ${shardKey("")}`))).toBe(true);
    const versions = await inProcess(["versions", "--local", "--persist-to", state]);
    expect(versions.out).toContain("  (none: push a config first)");
  });

  it("push --remote runs the same steps through wrangler, pointer last, and rollback/versions read them back", async () => {
    const dir = tempDir("routes-cli-");
    const log = path.join(dir, "wrangler.log");
    const env = { ROUTES_WRANGLER: `${process.execPath} ${FAKE_WRANGLER}`, FAKE_WRANGLER_LOG: log, FAKE_KV_FILE: path.join(dir, "kv.json") };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const p1 = await inProcess(["push", "--remote", writeConfig(dir)]);
      expect(p1.err).toEqual([]);
      const hash = /compiled version ([0-9a-f]{64})/.exec(p1.out.join("\n"))![1]!;
      const calls = readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as string[]);
      const ops = calls.map((c) => `${c[2]} ${c[3]}`);
      // Reads, then the version's shards, its index, the history, the pointer last.
      expect(ops.slice(0, 3)).toEqual([`get ${ACTIVE_KEY}`, `get ${versionKey(hash)}`, `get ${HISTORY_KEY}`]);
      expect(ops.slice(-3)).toEqual([`put ${versionKey(hash)}`, `put ${HISTORY_KEY}`, `put ${ACTIVE_KEY}`]);
      expect(ops.slice(3, -3).length).toBeGreaterThan(0);
      expect(ops.slice(3, -3).every((o) => o.startsWith(`put ${shardKey("")}`))).toBe(true);
      expect(calls.every((c) => c.includes("--remote") && c[c.indexOf("--namespace-id") + 1] === NS)).toBe(true);
      const p2 = await inProcess(["push", "--remote", writeConfig(dir, { v2Weight: 30 })]);
      expect(p2.code).toBe(0);
      const rb = await inProcess(["rollback", "--remote"]);
      expect(rb.out[0]).toMatch(new RegExp(`^rolled back in remote KV namespace ${NS}: ${hash.slice(0, 12)} is active`));
      const kv = JSON.parse(readFileSync(env.FAKE_KV_FILE, "utf8")) as Record<string, string>;
      expect(JSON.parse(kv[`${NS}/${ACTIVE_KEY}`]!)).toMatchObject({ version: hash, reason: "rollback" });
    } finally {
      for (const k of Object.keys(env)) if (!(k in saved)) delete process.env[k];
    }
  });

  it.each([
    { name: "no command", argv: [], code: 2, stream: "stderr", text: "usage: npm run routes -- <command> [options]" },
    { name: "an unknown command", argv: ["pusj"], code: 2, stream: "stderr", text: 'unknown command "pusj"' },
    { name: "an unknown flag", argv: ["push", "--lcoal", "routes/"], code: 2, stream: "stderr", text: "routes push: unknown option --lcoal" },
    { name: "push without files", argv: ["push", "--local"], code: 2, stream: "stderr", text: "routes push: missing <file|dir>" },
    { name: "--local with --remote", argv: ["versions", "--local", "--remote"], code: 2, stream: "stderr", text: "--local and --remote exclude each other" },
    { name: "--persist-to without --local", argv: ["versions", "--persist-to", "x"], code: 2, stream: "stderr", text: "--persist-to needs --local" },
    { name: "an environment without a ROUTES namespace", argv: ["versions", "--local", "--env", "nope"], code: 2, stream: "stderr", text: 'no [[env.nope.kv_namespaces]] entry with binding = "ROUTES"' },
    { name: "--help of a command", argv: ["push", "--help"], code: 0, stream: "stdout", text: "--dry-run" },
  ])("exits $code for $name", async ({ argv, code, stream, text }) => {
    const io = memoryIo();
    expect(await runCli(argv, io)).toBe(code);
    expect((stream === "stdout" ? io.stdout : io.stderr).join("\n")).toContain(text);
  });

  it("exits 2 for a usage error as a process too", async () => {
    const r = await routes(["validate"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("routes validate: missing <file|dir>");
  });
});
