/**
 * What the numbers were measured on. Ratios travel between machines far better than absolute
 * numbers, but a reader still needs the CPU, memory, load and runtime versions to judge them.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import path from "node:path";

export type Machine = Record<string, string>;

export function describeMachine(root: string, origin: string): Machine {
  const cpus = os.cpus();
  const workerd = spawnSync(path.join(root, "node_modules", ".bin", "workerd"), ["--version"], { encoding: "utf8" });
  return {
    cpus: `${cpus.length} × ${cpus[0]?.model.trim() ?? "unknown"}`,
    memory: `${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    "load average at start": os.loadavg().map((l) => l.toFixed(2)).join(" "),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    workerd: (workerd.stdout || workerd.stderr || "unknown").trim(),
    origin,
  };
}
