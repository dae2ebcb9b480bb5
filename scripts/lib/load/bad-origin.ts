/**
 * A deliberately broken HTTP/1.1 origin on a raw `net` server, for the hardening tests and the
 * load run: things node:http refuses to produce (an invalid status line, a Content-Length that
 * lies, garbage instead of HTTP, a TCP RST in the middle of the body, headers dripped one byte at
 * a time). The behaviour is chosen by the first path segment of the request, so one origin serves
 * every fault and a route (or a test) picks its fault by path:
 *
 *   /ok/...            a correct 200 (text/plain "ok <path>"), keep-alive
 *   /garbage/...       non-HTTP bytes, then close
 *   /bad-status/...    `HTTP/1.1 abc Broken`, then close
 *   /bad-header/...    a header line without a colon
 *   /short-body/...    Content-Length: 1000, 10 bytes, then close (body shorter than promised)
 *   /short-stall/...   Content-Length: 1000, 10 bytes, then silence with the socket open
 *   /long-body/...     Content-Length: 5, then 40 bytes (more than promised), then close
 *   /close/...         reads the request, closes without a byte (FIN before headers)
 *   /rst/...           reads the request, resets the connection (RST before headers)
 *   /rst-mid/...       headers + half the body, then RST
 *   /stall/...         reads the request, never answers (socket stays open)
 *   /drip/...          a valid response whose bytes arrive one per DRIP_INTERVAL_MS (≈ 1.5 s in
 *                      all), then close
 *
 * Every socket is tracked and destroyed on close(), so a test never leaves a stalled connection.
 */
import { createServer, type Server, type Socket } from "node:net";
import type { AddressInfo } from "node:net";

export type BadMode =
  | "ok"
  | "garbage"
  | "bad-status"
  | "bad-header"
  | "short-body"
  | "short-stall"
  | "long-body"
  | "close"
  | "rst"
  | "rst-mid"
  | "stall"
  | "drip";

export interface BadOrigin {
  url: string;
  port: number;
  /** Requests seen per mode (the first path segment). */
  seen: Map<string, number>;
  /** Connections currently open (to check that the gateway lets go of abandoned ones). */
  openSockets(): number;
  close(): Promise<void>;
}

/** Bytes promised by Content-Length in the short-body modes. */
export const SHORT_BODY_PROMISED = 1000;
export const SHORT_BODY_SENT = 10;
/** Gap between dripped header bytes. */
export const DRIP_INTERVAL_MS = 15;

/** The body of a correct answer: `ok <path>` (so a client can tell its answer from another's). */
export function okBody(path: string): string {
  return `ok ${path}`;
}

function okResponse(path: string, close = false): string {
  const body = okBody(path);
  const connection = close ? "connection: close\r\n" : "";
  return `HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${connection}server: bad-origin\r\n\r\n${body}`;
}

/** Answers one parsed request head on `socket`; returns false when the connection is finished. */
function answer(socket: Socket, path: string, timers: Set<NodeJS.Timeout>): boolean {
  const mode = path.split("/")[1] ?? "";
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  switch (mode as BadMode) {
    case "ok":
      socket.write(okResponse(path));
      return true;
    case "garbage":
      socket.end("\x00\x01\x02 this is not HTTP at all \xff\xfe\r\n\r\n");
      return false;
    case "bad-status":
      socket.end("HTTP/1.1 abc Broken\r\ncontent-length: 2\r\n\r\nno");
      return false;
    case "bad-header":
      socket.end("HTTP/1.1 200 OK\r\nthis line has no colon\r\ncontent-length: 2\r\n\r\nno");
      return false;
    case "short-body":
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${SHORT_BODY_PROMISED}\r\n\r\n`);
      socket.end("x".repeat(SHORT_BODY_SENT));
      return false;
    case "short-stall":
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${SHORT_BODY_PROMISED}\r\n\r\n`);
      socket.write("x".repeat(SHORT_BODY_SENT));
      return false; // stays open, silent
    case "long-body":
      socket.end("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\n" + "y".repeat(40));
      return false;
    case "close":
      socket.end();
      return false;
    case "rst":
      socket.resetAndDestroy();
      return false;
    case "rst-mid":
      socket.write(`HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: ${SHORT_BODY_PROMISED}\r\n\r\n`);
      socket.write("z".repeat(SHORT_BODY_PROMISED / 2));
      later(20, () => socket.resetAndDestroy());
      return false;
    case "stall":
      return false;
    case "drip": {
      // Closes after the last byte: this socket answers no further request.
      const bytes = Buffer.from(okResponse(path, true));
      let i = 0;
      const tick = () => {
        if (socket.destroyed) return;
        socket.write(bytes.subarray(i, i + 1));
        if (++i < bytes.length) later(DRIP_INTERVAL_MS, tick);
        else socket.end();
      };
      tick();
      return false;
    }
    default:
      socket.end("HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n");
      return false;
  }
}

export async function startBadOrigin(port = 0): Promise<BadOrigin> {
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const seen = new Map<string, number>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => {});
    let buf = "";
    let open = true;
    socket.on("data", (chunk: Buffer) => {
      if (!open) return;
      buf += chunk.toString("latin1");
      // Request heads only (the tests and the load run send bodiless GETs); pipelined heads are
      // answered in order while the mode keeps the connection.
      for (let end = buf.indexOf("\r\n\r\n"); end >= 0 && open; end = buf.indexOf("\r\n\r\n")) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const path = head.split("\r\n")[0]?.split(" ")[1] ?? "/";
        const mode = path.split("/")[1] ?? "";
        seen.set(mode, (seen.get(mode) ?? 0) + 1);
        open = answer(socket, path, timers);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const actual = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${actual}`,
    port: actual,
    seen,
    openSockets: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
