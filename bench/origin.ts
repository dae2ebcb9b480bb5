/**
 * Local origins for the end-to-end benchmarks. The origin should cost as little as possible so
 * the measured differences are the Workers': nginx (when installed) answers a static "ok" from a
 * single worker process; otherwise the minimal Node origin in bench/origin-node.ts is used. The
 * report names the origin used. Both listen on 127.0.0.1 only and are stopped by pid.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface RunningOrigin {
  kind: "nginx" | "node";
  /** e.g. "nginx/1.22.1" or "node v22.23.3 (bench/origin-node.ts)". */
  description: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

const here = path.dirname(fileURLToPath(import.meta.url));

/** A free TCP port on 127.0.0.1 (tiny race with other processes; fine for a bench). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 3000).unref();
  });
}

export function nginxBinary(): string | null {
  for (const p of ["/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx", "/usr/local/nginx/sbin/nginx"])
    if (existsSync(p)) return p;
  return null;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const { connect } = await import("node:net");
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, "127.0.0.1");
      c.once("connect", () => (c.destroy(), resolve(true)));
      c.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port} after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** nginx in the foreground with a private prefix (no root paths, no access log). */
export async function startNginx(workDir: string): Promise<RunningOrigin | null> {
  const bin = nginxBinary();
  if (!bin) return null;
  const version = spawnSync(bin, ["-v"], { encoding: "utf8" });
  const description = (version.stderr || version.stdout).trim().replace(/^nginx version:\s*/, "") || "nginx";
  const dir = path.join(workDir, "nginx");
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]
    .map((t) => `${t}_temp_path ${path.join(dir, t)};`)
    .join("\n  ");
  const conf = `
worker_processes 1;
daemon off;
pid ${path.join(dir, "nginx.pid")};
error_log ${path.join(dir, "error.log")} warn;
events { worker_connections 4096; }
http {
  access_log off;
  ${temp}
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  server {
    listen 127.0.0.1:${port} backlog=4096;
    location / { default_type text/plain; return 200 "ok\\n"; }
  }
}
`;
  const confPath = path.join(dir, "nginx.conf");
  writeFileSync(confPath, conf);
  const child = spawn(bin, ["-p", dir, "-c", confPath], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (c: Buffer) => (stderr += c.toString()));
  try {
    await Promise.race([
      waitForPort(port, 5000),
      new Promise((_, reject) => child.once("exit", (code) => reject(new Error(`nginx exited ${code}: ${stderr}`)))),
    ]);
  } catch (e) {
    await stopChild(child);
    const log = existsSync(path.join(dir, "error.log")) ? readFileSync(path.join(dir, "error.log"), "utf8") : "";
    console.warn(`nginx did not start (${(e as Error).message.trim()}) ${log.trim()}; falling back to the Node origin`);
    return null;
  }
  return { kind: "nginx", description, port, pid: child.pid!, stop: () => stopChild(child) };
}

/** The Node origin as its own process. */
export async function startNodeOrigin(): Promise<RunningOrigin> {
  const child = spawn(process.execPath, ["--experimental-strip-types", "--no-warnings", path.join(here, "origin-node.ts"), "0"], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`node origin exited ${code}`)));
  });
  return {
    kind: "node",
    description: `node ${process.version} (bench/origin-node.ts)`,
    port,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}
