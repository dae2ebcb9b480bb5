/**
 * Resident memory of the workerd process(es) that `wrangler dev` runs, from /proc (Linux only):
 * the descendants of the wrangler process whose command name is `workerd`, and their VmRSS.
 * A sampler records the peak while the load runs.
 */
import { readdirSync, readFileSync } from "node:fs";

interface Proc {
  pid: number;
  ppid: number;
  comm: string;
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // `pid (comm) state ppid …`; comm may contain spaces and parentheses: split at the last ')'.
    const close = stat.lastIndexOf(")");
    const comm = stat.slice(stat.indexOf("(") + 1, close);
    const ppid = Number(stat.slice(close + 2).split(" ")[1]);
    return { pid, ppid, comm };
  } catch {
    return null; // gone meanwhile
  }
}

/** workerd processes below `rootPid` (any depth). */
export function workerdPids(rootPid: number): number[] {
  const procs: Proc[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) procs.push(p);
  }
  const children = new Map<number, Proc[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const out: number[] = [];
  const stack = [rootPid];
  while (stack.length) {
    for (const c of children.get(stack.pop()!) ?? []) {
      if (c.comm === "workerd") out.push(c.pid);
      stack.push(c.pid);
    }
  }
  return out.sort((a, b) => a - b);
}

/** VmRSS in bytes, or 0 when the process is gone. */
export function rssBytes(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Sum of VmRSS over the given processes. */
export function totalRss(pids: readonly number[]): number {
  return pids.reduce((n, pid) => n + rssBytes(pid), 0);
}

export interface RssSampler {
  /** Highest total seen since start. */
  peak(): number;
  stop(): void;
}

export function sampleRss(pids: readonly number[], everyMs = 200): RssSampler {
  let peak = totalRss(pids);
  const timer = setInterval(() => {
    peak = Math.max(peak, totalRss(pids));
  }, everyMs);
  timer.unref();
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
