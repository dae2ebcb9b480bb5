/**
 * Workers under workerd for the end-to-end benchmarks, through Miniflare's API: one workerd
 * process per variant, no `wrangler dev` (which adds a second workerd and dev logging in front),
 * request logging off. Also finds each instance's workerd pid and reads its memory from /proc,
 * the only honest measure of what the runtime holds while it streams a body.
 */
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";

export interface WorkerSpec {
  label: string;
  /** ES module source (already JavaScript). */
  script: string;
  compatibilityDate: string;
  compatibilityFlags?: string[];
  bindings?: Record<string, string>;
  /** KV namespaces by binding, each pre-filled with these key → value pairs. */
  kv?: Record<string, Record<string, string>>;
  /** Durable Object bindings → class name exported by `script` (the state plane: STATE → GatewayState). */
  durableObjects?: Record<string, string>;
  /** Run workerd through this executable instead (a wrapper such as valgrind; gets workerd's argv). */
  workerdWrapper?: string;
}

export interface RunningWorker {
  label: string;
  /** http://127.0.0.1:<port> */
  url: string;
  /** pid of this instance's workerd process (null when it could not be identified). */
  pid: number | null;
  /** console.error output of the Worker so far (first ones kept). */
  errors: string[];
  /** With durableObjects: GET https://state<path> on the object `name` of binding `binding` (bench/state-plane.ts). */
  objectFetch?(binding: string, name: string, path: string): Promise<unknown>;
  stop(): Promise<void>;
}

/** Direct children of a process, by scanning /proc/<pid>/stat (field 4 is the parent pid). */
export function childPids(parent: number, comm?: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // comm is in parentheses and may contain spaces; the fields after the last ")" are fixed.
      const close = stat.lastIndexOf(")");
      const c = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid === parent && (comm === undefined || c === comm)) out.push(Number(name));
    } catch {
      // the process ended while we were looking
    }
  }
  return out;
}

export interface MemoryStatus {
  /** Resident set size now, KiB. */
  rssKiB: number;
  /** Peak resident set size since start or the last resetPeak(), KiB. */
  hwmKiB: number;
}

export function readMemory(pid: number): MemoryStatus {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rssKiB: field("VmRSS"), hwmKiB: field("VmHWM") };
}

/** CPU time (user + system) a process has used so far, in ms (/proc/<pid>/stat utime + stime). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // After the comm: state(0) ppid(1) … utime is field 14 of the whole line ⇒ index 11 here, stime 12.
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** USER_HZ: 100 on every Linux architecture Node supports (sysconf(_SC_CLK_TCK)). */
const CLOCK_TICKS_PER_S = 100;

/** Resets VmHWM to the current RSS (Linux ≥ 4.0, `echo 5 > /proc/pid/clear_refs`); false if not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

export async function startWorker(spec: WorkerSpec): Promise<RunningWorker> {
  const logErrors: string[] = [];
  const before = new Set(childPids(process.pid));
  // Miniflare resolves the workerd binary when it spawns it; MINIFLARE_WORKERD_PATH overrides it.
  const savedPath = process.env.MINIFLARE_WORKERD_PATH;
  if (spec.workerdWrapper) process.env.MINIFLARE_WORKERD_PATH = spec.workerdWrapper;
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      host: "127.0.0.1",
      port: 0,
      logRequests: false,
      // The gateway writes one JSON log line per request (console.log). workerd still formats
      // and writes it (a real per-request cost); here it is dropped instead of printed, so the
      // load client's process does not pay for a terminal.
      handleStructuredLogs: (log) => {
        if (log.level === "error" && logErrors.length < 20) logErrors.push(log.message);
      },
      modules: true,
      script: spec.script,
      compatibilityDate: spec.compatibilityDate,
      compatibilityFlags: spec.compatibilityFlags ?? [],
      bindings: spec.bindings ?? {},
      kvNamespaces: Object.fromEntries(Object.keys(spec.kv ?? {}).map((b) => [b, `bench-${b.toLowerCase()}`])),
      ...(spec.durableObjects
        ? { durableObjects: Object.fromEntries(Object.entries(spec.durableObjects).map(([b, className]) => [b, { className, useSQLite: true }])) }
        : {}),
    }),
  );
  let url: URL;
  try {
    url = await mf.ready;
  } finally {
    if (savedPath === undefined) delete process.env.MINIFLARE_WORKERD_PATH;
    else process.env.MINIFLARE_WORKERD_PATH = savedPath;
  }
  for (const [binding, entries] of Object.entries(spec.kv ?? {})) {
    const ns = await mf.getKVNamespace(binding);
    for (const [k, v] of Object.entries(entries)) await ns.put(k, v);
  }
  let stopped: Promise<void> | undefined;
  // The new child process: workerd itself, or the wrapper that became it (valgrind keeps the pid).
  const added = childPids(process.pid).filter((p) => !before.has(p));
  return {
    label: spec.label,
    url: url.origin,
    pid: added.length === 1 ? added[0]! : null,
    errors: logErrors,
    ...(spec.durableObjects
      ? {
          objectFetch: async (binding: string, name: string, p: string) => {
            const ns = await mf.getDurableObjectNamespace(binding);
            const res = await ns.get(ns.idFromName(name)).fetch(`https://state${p}`);
            return res.json();
          },
        }
      : {}),
    stop: () => (stopped ??= mf.dispose()),
  };
}
