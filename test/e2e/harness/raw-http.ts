/**
 * Exactly these bytes to a gateway on 127.0.0.1, and its answer as written: for requests a fetch
 * client would refuse or normalise (odd targets, duplicate headers, smuggling attempts).
 */
import { connect } from "node:net";

export interface RawAnswer {
  status: number;
  /** Lower-cased names; every line of a repeated header, in order. */
  headers: Map<string, string[]>;
  /** The body, de-chunked when the answer is chunked. */
  body: string;
  /** Everything the server wrote (latin1). */
  raw: string;
}

/** Sends `request` to `url`'s host and port and reads until the server closes (send Connection: close); fails after `deadlineMs`. */
export function rawHttp(url: URL, request: string | Buffer, deadlineMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${deadlineMs} ms to ${JSON.stringify(String(request).slice(0, 80))}`));
    }, deadlineMs);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", () => {}); // a reset after the answer is fine; "close" decides
    socket.on("close", () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString("latin1");
      const end = text.indexOf("\r\n\r\n");
      if (end < 0) return reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
      const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
      const headers = new Map<string, string[]>();
      for (const l of lines) {
        const i = l.indexOf(":");
        const name = l.slice(0, i).trim().toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), l.slice(i + 1).trim()]);
      }
      let body = text.slice(end + 4);
      if (headers.get("transfer-encoding")?.[0]?.toLowerCase() === "chunked") body = dechunk(body);
      resolve({ status: Number(statusLine!.split(" ")[1]), headers, body, raw: text });
    });
    socket.write(request);
  });
}

function dechunk(s: string): string {
  let out = "";
  let i = 0;
  while (i < s.length) {
    const nl = s.indexOf("\r\n", i);
    if (nl < 0) break;
    const size = parseInt(s.slice(i, nl), 16);
    if (!size) break;
    out += s.slice(nl + 2, nl + 2 + size);
    i = nl + 2 + size + 2;
  }
  return out;
}
