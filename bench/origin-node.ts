/**
 * The minimal Node origin (fallback when nginx is not installed, and always the origin of the
 * streaming-memory test because it reads a request body completely before answering).
 * Runs as its own process so it never shares an event loop with the load client.
 *
 *   GET  /big?bytes=N  → N bytes (default 50 MiB), streamed in 64 KiB chunks
 *   POST /upload       → reads the whole body, answers its length
 *   anything else      → 200 "ok\n"
 *
 * Usage: node --experimental-strip-types bench/origin-node.ts [port]   (prints "listening <port>")
 */
import http from "node:http";
import type { AddressInfo } from "node:net";

const CHUNK = Buffer.alloc(64 * 1024, 0x61);
const DEFAULT_BIG = 50 * 1024 * 1024;

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://origin");
  if (url.pathname === "/big") {
    let left = Number(url.searchParams.get("bytes") ?? DEFAULT_BIG);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(left) });
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) return void res.once("drain", pump);
      }
      res.end();
    };
    return pump();
  }
  if (url.pathname === "/upload") {
    let total = 0;
    req.on("data", (c: Buffer) => (total += c.length));
    req.on("end", () => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end(`${total}\n`);
    });
    return;
  }
  req.resume();
  res.writeHead(200, { "content-type": "text/plain", "content-length": "3" });
  res.end("ok\n");
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`listening ${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
