/**
 * The real Workers KV namespace, through the wrangler CLI (it owns the login / API token, so the
 * routes CLI never handles credentials). Wrangler 4's `kv key` commands default to LOCAL storage,
 * so every command carries `--remote` explicitly (DESIGN.md §5).
 *
 * Values are handed over as files (`--path`), never as arguments: a compiled table can be far
 * larger than a command line may be. The files are staged in a temporary directory, which a dry
 * run keeps so the printed commands can be inspected or run by hand.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { KvWriter } from "./kv-writer.ts";

/** Command that runs wrangler; `ROUTES_WRANGLER="node fake-wrangler.mjs"` substitutes it (tests). */
export function wranglerCommand(env: NodeJS.ProcessEnv = process.env): string[] {
  const custom = env.ROUTES_WRANGLER?.trim();
  return custom ? custom.split(/\s+/) : ["npx", "wrangler"];
}

export interface CommandResult {
  code: number;
  stdout: Buffer;
  stderr: string;
}

export type CommandRunner = (argv: string[]) => Promise<CommandResult>;

export const runCommand: CommandRunner = (argv) =>
  new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    let err = "";
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => (err += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, stdout: Buffer.concat(out), stderr: err }));
  });

/** POSIX-shell quoting for printing a command line someone can paste. */
export function shellQuote(arg: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function formatCommand(argv: readonly string[]): string {
  return argv.map(shellQuote).join(" ");
}

export interface RemoteKvOptions {
  namespaceId: string;
  /** Passed on as `--config` (wrangler reads the account from it) when the user named one. */
  configPath?: string;
  command?: string[];
  run?: CommandRunner;
  /** Directory for staged value files (default: a fresh temporary directory). */
  stageDir?: string;
  /** Keep the staged files on close (dry runs). */
  keepStaged?: boolean;
}

export class RemoteKv implements KvWriter {
  /** Reading runs `wrangler … --remote`: a dry run must not execute it. */
  readonly readsInDryRun = false;
  readonly target: string;
  private readonly command: string[];
  private readonly run: CommandRunner;
  private stageDir: string | null;
  private readonly ownsStageDir: boolean;

  private readonly opts: RemoteKvOptions;

  constructor(opts: RemoteKvOptions) {
    this.opts = opts;
    this.target = `remote KV namespace ${opts.namespaceId}`;
    this.command = opts.command ?? wranglerCommand();
    this.run = opts.run ?? runCommand;
    this.stageDir = opts.stageDir ?? null;
    this.ownsStageDir = opts.stageDir === undefined;
  }

  private base(verb: string, key: string): string[] {
    const config = this.opts.configPath ? ["--config", this.opts.configPath] : [];
    return [...this.command, "kv", "key", verb, key, "--namespace-id", this.opts.namespaceId, "--remote", ...config];
  }

  getCommand(key: string): string[] {
    return this.base("get", key);
  }

  putCommand(key: string, file: string): string[] {
    return [...this.base("put", key), "--path", file];
  }

  deleteCommand(key: string): string[] {
    return this.base("delete", key);
  }

  /** Writes the value to `<stage>/<key with / as __>.json` and returns that path. */
  stage(key: string, value: string): string {
    if (this.stageDir === null) this.stageDir = mkdtempSync(path.join(os.tmpdir(), "routes-kv-"));
    mkdirSync(this.stageDir, { recursive: true });
    const file = path.join(this.stageDir, `${key.replace(/[^A-Za-z0-9._-]/g, "__")}.json`);
    writeFileSync(file, value);
    return file;
  }

  async get(key: string): Promise<string | null> {
    const argv = this.getCommand(key);
    const r = await this.run(argv);
    // Remote: wrangler throws "Failed to fetch …/values/<key> - 404: Not Found".
    if (r.code !== 0) {
      if (/ - 404\b/.test(r.stderr)) return null;
      throw new Error(`${formatCommand(argv)} failed (exit ${r.code}): ${lastLines(r.stderr)}`);
    }
    const text = r.stdout.toString("utf8");
    // Local mode prints this line instead of failing; our values are JSON, so it cannot be a value.
    if (text === "Value not found\n") return null;
    return text;
  }

  async put(key: string, value: string): Promise<void> {
    const argv = this.putCommand(key, this.stage(key, value));
    await this.check(argv);
  }

  async delete(key: string): Promise<void> {
    await this.check(this.deleteCommand(key));
  }

  async describePut(key: string, value: string): Promise<string> {
    return formatCommand(this.putCommand(key, this.stage(key, value)));
  }

  describeDelete(key: string): string {
    return formatCommand(this.deleteCommand(key));
  }

  private async check(argv: string[]): Promise<void> {
    const r = await this.run(argv);
    if (r.code !== 0) throw new Error(`${formatCommand(argv)} failed (exit ${r.code}): ${lastLines(r.stderr)}`);
  }

  /** The staging directory, if anything was staged. */
  get staged(): string | null {
    return this.stageDir;
  }

  async close(): Promise<void> {
    if (this.stageDir && this.ownsStageDir && !this.opts.keepStaged) rmSync(this.stageDir, { recursive: true, force: true });
  }
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-3).join(" / ") || "no output";
}
