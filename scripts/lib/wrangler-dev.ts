/**
 * Runs `wrangler dev` as a child process we can stop cleanly. Wrangler's bin script re-spawns
 * Node without forwarding SIGTERM, and workerd runs below that, so we start wrangler's CLI
 * entry directly with our Node (the pinned Node 22) in its own process group, and stop the
 * whole group: no workerd is left behind.
 */
import { spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

export function wranglerCliPath(): string {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve("wrangler/package.json")), "wrangler-dist", "cli.js");
}

export interface WranglerProcess {
  child: ChildProcess;
  /** Resolves with the exit code (signal exits map to 128 + n, as shells do). */
  exited: Promise<number>;
  /** SIGTERM to the process group, SIGKILL after `graceMs`. */
  stop(graceMs?: number): Promise<number>;
}

const SIGNALS: Record<string, number> = { SIGINT: 2, SIGTERM: 15, SIGKILL: 9 };

export function startWrangler(args: string[], stdio: StdioOptions = "inherit"): WranglerProcess {
  const child = spawn(process.execPath, ["--no-warnings", wranglerCliPath(), ...args], { stdio, detached: true });
  const exited = new Promise<number>((resolve) => {
    child.on("exit", (code, signal) => resolve(code ?? 128 + (signal ? (SIGNALS[signal] ?? 1) : 1)));
    child.on("error", () => resolve(127));
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  return {
    child,
    exited,
    async stop(graceMs = 5000) {
      if (child.exitCode !== null || child.signalCode !== null) return exited;
      signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      const code = await exited;
      clearTimeout(timer);
      // workerd may outlive wrangler by a moment; make sure the group is gone.
      signalGroup("SIGKILL");
      return code;
    },
  };
}

/** Value of `--name X` or `--name=X` in a pass-through argument list. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === `--${name}`) return args[i + 1];
    if (a.startsWith(`--${name}=`)) return a.slice(name.length + 3);
  }
  return undefined;
}
