/**
 * 4. Memory while streaming: a 50 MiB response body and a 50 MiB request body through a Worker,
 * measured as the workerd process's peak resident memory over its resident memory just before
 * (after a warm-up of small requests). Peak = max of VmRSS sampled every few ms and VmHWM
 * (reset before each transfer where the kernel allows). A Worker that streams holds a few
 * chunks at a time; one that buffers grows by the body size.
 */
import http from "node:http";
import { readMemory, resetPeak } from "./workerd.ts";

export const BODY_BYTES = 50 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x62);
const SAMPLE_MS = 2;

export interface TransferResult {
  direction: "response" | "request";
  baselineKiB: number;
  peakKiB: number;
  /** Bytes the far side saw (response: bytes read by the client; request: length the origin reported). */
  bytes: number;
  ms: number;
  hwmReset: boolean;
}

function transfer(url: URL, direction: "response" | "request", headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: url.hostname,
        port: url.port,
        path: direction === "response" ? `/big?bytes=${BODY_BYTES}` : "/upload",
        method: direction === "response" ? "GET" : "POST",
        headers: direction === "request" ? { ...headers, "content-length": String(BODY_BYTES), "content-type": "application/octet-stream" } : headers,
        agent: false,
      },
      (res) => {
        let n = 0;
        let text = "";
        res.on("data", (c: Buffer) => {
          n += c.length;
          if (direction === "request") text += c.toString();
        });
        res.on("end", () => {
          if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}: ${text.slice(0, 200)}`));
          resolve(direction === "response" ? n : Number(text.trim()));
        });
        res.on("error", reject);
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    if (direction === "response") return void req.end();
    let left = BODY_BYTES;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, CHUNK.length);
        left -= n;
        const more = req.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n));
        if (left === 0) return void req.end();
        if (!more) return void req.once("drain", pump);
      }
    };
    pump();
  });
}

/** One 50 MiB transfer through the Worker at `base`, with memory sampling of `pid`. */
export async function measureTransfer(
  base: string,
  pid: number,
  direction: "response" | "request",
  headers: Record<string, string>,
): Promise<TransferResult> {
  const url = new URL(base);
  // Let the previous transfer's garbage settle, then take the baseline.
  await new Promise((r) => setTimeout(r, 300));
  const hwmReset = resetPeak(pid);
  const baselineKiB = readMemory(pid).rssKiB;
  let peakKiB = baselineKiB;
  const timer = setInterval(() => {
    try {
      peakKiB = Math.max(peakKiB, readMemory(pid).rssKiB);
    } catch {
      // process gone: the transfer will fail and say why
    }
  }, SAMPLE_MS);
  const t0 = performance.now();
  try {
    const bytes = await transfer(url, direction, headers);
    const ms = performance.now() - t0;
    const m = readMemory(pid);
    if (hwmReset) peakKiB = Math.max(peakKiB, m.hwmKiB);
    peakKiB = Math.max(peakKiB, m.rssKiB);
    return { direction, baselineKiB, peakKiB, bytes, ms, hwmReset };
  } finally {
    clearInterval(timer);
  }
}
