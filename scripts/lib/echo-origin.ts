/**
 * Echo origin for end-to-end tests and the `npm start` demo: an HTTP server on 127.0.0.1 that
 * answers JSON describing what it received, and can be told (per request, by header or by query)
 * to misbehave.
 *
 * Answer: {server, method, path (raw request-target as received), headers (lower-cased, arrays for
 * repeats), rawHeaders, body: {size, sha256}}.
 *
 * Controls (header `x-echo-<name>` or query `echo-<name>`; headers win):
 *   delay=<ms>           wait before sending response headers
 *   status=<code>        answer this status
 *   fail-times=<n>,key=<k>  answer 503 for the first n requests with that key, then normally
 *   fail-status=<code>   the status of those failures instead of 503 (the conformance retry
 *                        simulator's `responseCode`: 500, 502, 504…)
 *   reset=before|mid     destroy the socket before headers, or halfway through the body
 *   hang=1               never send headers (until the client goes away)
 *   gzip=1               gzip the JSON answer (content-encoding: gzip)
 *   size=<bytes>         answer a streamed body of this many bytes (pattern), not JSON
 *   set-header=<n>:<v>   add a response header (repeatable in the query)
 * WebSocket upgrades are accepted and every text/binary message is echoed back.
 *
 * The whole origin can be made to fail, as an origin that breaks in production does (the canary
 * walkthrough in docs/canary.md): `POST /__echo/fail[?status=503][&delay=MS]` makes every later
 * request answer that status (after that delay) until `POST /__echo/recover`; `fail()` and
 * `recover()` do the same in tests. Only these two exact paths with POST are controls.
 */
import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { gzipSync } from "node:zlib";

export interface EchoOrigin {
  name: string;
  url: string;
  port: number;
  server: Server;
  /** Requests seen, newest last (method, path, headers) — for assertions at the origin. */
  seen: EchoRecord[];
  /** From now on every request answers `status` (after `delayMs`), until recover(). */
  fail(status?: number, delayMs?: number): void;
  recover(): void;
  close(): Promise<void>;
}

/** The origin-wide failure mode (POST /__echo/fail), or null when healthy. */
interface Failing {
  status: number;
  delayMs: number;
}

export interface EchoRecord {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  rawHeaders: string[];
  body: { size: number; sha256: string };
}

function control(req: IncomingMessage, url: URL, name: string): string | null {
  const h = req.headers[`x-echo-${name}`];
  if (typeof h === "string") return h;
  return url.searchParams.get(`echo-${name}`);
}

const PATTERN = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz\n");

async function streamBody(res: ServerResponse, size: number): Promise<void> {
  let left = size;
  const chunk = Buffer.alloc(64 * 1024);
  for (let i = 0; i < chunk.length; i++) chunk[i] = PATTERN[i % PATTERN.length]!;
  while (left > 0) {
    const n = Math.min(left, chunk.length);
    const ok = res.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    left -= n;
    if (!ok) await new Promise((r) => res.once("drain", r));
  }
  res.end();
}

/** The bytes `size=<n>` produces, for checking a streamed download at the client. */
export function patternBytes(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = PATTERN[(i % (64 * 1024)) % PATTERN.length]!;
  return out;
}

function acceptWebSocket(name: string, req: IncomingMessage, socket: Duplex): void {
  const key = req.headers["sec-websocket-key"];
  if (typeof key !== "string") return void socket.destroy();
  const accept = createHash("sha1").update(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest("base64");
  socket.write(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
      `Sec-WebSocket-Accept: ${accept}\r\nx-echo-server: ${name}\r\n\r\n`,
  );
  let buf = Buffer.alloc(0);
  socket.on("data", (data: Buffer) => {
    buf = Buffer.concat([buf, data]);
    // RFC 6455 §5.2 frames from a client are masked; echo unmasked frames back (server → client).
    while (buf.length >= 2) {
      const opcode = buf[0]! & 0x0f;
      let len = buf[1]! & 0x7f;
      let off = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        off = 10;
      }
      const masked = (buf[1]! & 0x80) !== 0;
      const need = off + (masked ? 4 : 0) + len;
      if (buf.length < need) return;
      const mask = masked ? buf.subarray(off, off + 4) : null;
      const payload = Buffer.from(buf.subarray(off + (masked ? 4 : 0), need));
      if (mask) for (let i = 0; i < payload.length; i++) payload[i]! ^= mask[i % 4]!;
      buf = buf.subarray(need);
      if (opcode === 0x8) {
        socket.end(Buffer.from([0x88, 0]));
        return;
      }
      if (opcode === 0x1 || opcode === 0x2) {
        const header =
          payload.length < 126
            ? Buffer.from([0x80 | opcode, payload.length])
            : Buffer.from([0x80 | opcode, 126, payload.length >> 8, payload.length & 0xff]);
        socket.write(Buffer.concat([header, payload]));
      }
    }
  });
  socket.on("error", () => {});
}

export async function startEchoOrigin(name: string, port = 0): Promise<EchoOrigin> {
  const failures = new Map<string, number>();
  const seen: EchoRecord[] = [];
  let failing: Failing | null = null;
  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://origin.invalid");
    if (req.method === "POST" && (url.pathname === "/__echo/fail" || url.pathname === "/__echo/recover")) {
      req.resume();
      if (url.pathname === "/__echo/recover") failing = null;
      else {
        const status = Number(url.searchParams.get("status") ?? 503);
        const delayMs = Number(url.searchParams.get("delay") ?? 0);
        if (!Number.isInteger(status) || status < 200 || status > 599 || !Number.isFinite(delayMs) || delayMs < 0) {
          return void res.writeHead(400, { "content-type": "text/plain" }).end("status: 200-599, delay: milliseconds\n");
        }
        failing = { status, delayMs };
      }
      res.writeHead(200, { "content-type": "application/json", "x-echo-server": name });
      return void res.end(JSON.stringify({ server: name, failing }) + "\n");
    }
    const hash = createHash("sha256");
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    const record: EchoRecord = {
      method: req.method ?? "",
      path: req.url ?? "",
      headers: { ...req.headers },
      rawHeaders: req.rawHeaders,
      body: { size, sha256: hash.digest("hex") },
    };
    seen.push(record);

    const delay = Number(control(req, url, "delay") ?? 0) + (failing?.delayMs ?? 0);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if (control(req, url, "hang")) return; // headers never come; the client gives up
    const reset = control(req, url, "reset");
    if (reset === "before") return void req.socket.destroy();

    let status = failing?.status ?? Number(control(req, url, "status") ?? 200);
    const failTimes = Number(control(req, url, "fail-times") ?? 0);
    if (failTimes > 0) {
      const key = control(req, url, "key") ?? "default";
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      if (n < failTimes) status = Number(control(req, url, "fail-status") ?? 503);
    }
    res.setHeader("x-echo-server", name);
    res.setHeader("server", "echo-origin");
    for (const sh of url.searchParams.getAll("echo-set-header")) {
      const i = sh.indexOf(":");
      if (i > 0) res.appendHeader(sh.slice(0, i), sh.slice(i + 1));
    }
    const setHeader = req.headers["x-echo-set-header"];
    if (typeof setHeader === "string" && setHeader.includes(":")) {
      res.appendHeader(setHeader.slice(0, setHeader.indexOf(":")), setHeader.slice(setHeader.indexOf(":") + 1));
    }

    const streamSize = control(req, url, "size");
    if (streamSize !== null) {
      res.writeHead(status, { "content-type": "application/octet-stream", "content-length": String(Number(streamSize)) });
      if (reset === "mid") {
        res.write(patternBytes(Math.floor(Number(streamSize) / 2)));
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      return streamBody(res, Number(streamSize));
    }

    const json = Buffer.from(JSON.stringify({ server: name, ...record }));
    if (reset === "mid") {
      res.writeHead(status, { "content-type": "application/json", "content-length": String(json.length * 2) });
      res.write(json);
      setTimeout(() => req.socket.destroy(), 20);
      return;
    }
    if (control(req, url, "gzip")) {
      const gz = gzipSync(json);
      res.writeHead(status, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(gz.length) });
      return void res.end(gz);
    }
    res.writeHead(status, { "content-type": "application/json", "content-length": String(json.length) });
    res.end(json);
  });
  // Upgraded sockets leave the HTTP server's bookkeeping (closeAllConnections does not end them),
  // yet server.close waits for them: close() ends them itself, or a WebSocket the gateway keeps
  // open would hold close() for ever.
  const upgraded = new Set<Duplex>();
  server.on("upgrade", (req, socket) => {
    upgraded.add(socket);
    socket.once("close", () => upgraded.delete(socket));
    seen.push({ method: req.method ?? "", path: req.url ?? "", headers: { ...req.headers }, rawHeaders: req.rawHeaders, body: { size: 0, sha256: "" } });
    acceptWebSocket(name, req, socket);
  });
  // Idle keep-alive connections stay open 30 s, as real origins keep them (nginx: 75 s). With 1 s, a
  // loaded machine often let workerd reuse a pooled connection at the moment Node closed it
  // ("Network connection lost", one 503 in thousands on routes with retries off). close() still
  // ends every connection at once (closeAllConnections), so tests do not wait for this.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    name,
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    server,
    seen,
    fail: (status = 503, delayMs = 0) => {
      failing = { status, delayMs };
    },
    recover: () => {
      failing = null;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        for (const s of upgraded) s.destroy();
        server.close(() => resolve());
      }),
  };
}
