import { describe, expect, it } from "vitest";
import { DEFAULT_RETRY_BUFFER_LIMIT_BYTES, prepareBody, retryBufferLimitFromVar } from "./body-buffer.ts";

const enc = new TextEncoder();

/** A stream that yields the given chunks on demand and records how far it was read / cancelled. */
function source(chunks: string[]) {
  const log = { pulls: 0, cancelled: false as boolean | string };
  let i = 0;
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        log.pulls++;
        if (i < chunks.length) controller.enqueue(enc.encode(chunks[i++]!));
        else controller.close();
      },
      cancel(reason) {
        log.cancelled = String(reason ?? true);
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, log };
}

async function text(body: Uint8Array | ReadableStream<Uint8Array> | null): Promise<string> {
  if (body === null) return "";
  return new Response(body).text();
}

describe("retryBufferLimitFromVar", () => {
  it.each<[string | undefined, number]>([
    [undefined, DEFAULT_RETRY_BUFFER_LIMIT_BYTES],
    ["", DEFAULT_RETRY_BUFFER_LIMIT_BYTES],
    ["65536", 65536],
    ["0", 0],
    ["-1", DEFAULT_RETRY_BUFFER_LIMIT_BYTES],
    ["1.5", DEFAULT_RETRY_BUFFER_LIMIT_BYTES],
    ["1MiB", DEFAULT_RETRY_BUFFER_LIMIT_BYTES],
  ])("%j → %i", (raw, expected) => {
    expect(retryBufferLimitFromVar(raw)).toBe(expected);
  });
  it("defaults to Envoy's 1 MiB", () => {
    expect(DEFAULT_RETRY_BUFFER_LIMIT_BYTES).toBe(1_048_576);
  });
});

describe("prepareBody", () => {
  it("treats a missing body as replayable nothing", async () => {
    const b = await prepareBody(null, { limitBytes: 10, replay: true });
    expect(b.replayable).toBe(true);
    expect(b.forAttempt()).toBeNull();
    expect(b.forAttempt()).toBeNull();
  });

  it("buffers a body under the cap and replays exactly the same bytes on every attempt", async () => {
    const { stream } = source(["hello ", "wor", "ld"]);
    const b = await prepareBody(stream, { limitBytes: 11, replay: true });
    expect(b.replayable).toBe(true);
    expect(b.onceReason).toBeUndefined();
    expect(await text(b.forAttempt())).toBe("hello world");
    expect(await text(b.forAttempt())).toBe("hello world");
    expect(await text(b.forAttempt())).toBe("hello world");
  });

  it("buffers a body of exactly the cap (the cap is inclusive)", async () => {
    const { stream } = source(["12345"]);
    const b = await prepareBody(stream, { limitBytes: 5, replay: true, contentLength: "5" });
    expect(b.replayable).toBe(true);
    expect(await text(b.forAttempt())).toBe("12345");
  });

  it("buffers an empty body as zero replayable bytes", async () => {
    const { stream } = source([]);
    const b = await prepareBody(stream, { limitBytes: 5, replay: true });
    expect(b.replayable).toBe(true);
    expect((b.forAttempt() as Uint8Array).byteLength).toBe(0);
  });

  it("streams a body whose Content-Length is over the cap without reading any of it", async () => {
    const { stream, log } = source(["a".repeat(8), "b".repeat(8)]);
    const b = await prepareBody(stream, { limitBytes: 10, replay: true, contentLength: "16" });
    expect(b.replayable).toBe(false);
    expect(b.onceReason).toBe("content-length over limit");
    expect(log.pulls).toBe(0);
    expect(await text(b.forAttempt())).toBe("a".repeat(8) + "b".repeat(8));
  });

  it("streams a chunked body that grows past the cap once, with the bytes already read in front", async () => {
    const { stream, log } = source(["abcd", "efgh", "ijkl", "mnop"]);
    const b = await prepareBody(stream, { limitBytes: 6, replay: true });
    expect(b.replayable).toBe(false);
    expect(b.onceReason).toBe("body over limit");
    // Read just enough to know: two chunks (8 bytes > 6), not the whole body.
    expect(log.pulls).toBe(2);
    expect(await text(b.forAttempt())).toBe("abcdefghijklmnop");
  });

  it("does not trust a Content-Length that understates the body", async () => {
    const { stream } = source(["abcd", "efgh"]);
    const b = await prepareBody(stream, { limitBytes: 6, replay: true, contentLength: "3" });
    expect(b.replayable).toBe(false);
    expect(b.onceReason).toBe("body over limit");
    expect(await text(b.forAttempt())).toBe("abcdefgh");
  });

  it("ignores a malformed Content-Length and measures the body instead", async () => {
    const { stream } = source(["abc"]);
    const b = await prepareBody(stream, { limitBytes: 6, replay: true, contentLength: "lots" });
    expect(b.replayable).toBe(true);
    expect(await text(b.forAttempt())).toBe("abc");
  });

  it("streams untouched when no replay could be used (no retries, no mirrors)", async () => {
    const { stream, log } = source(["abc"]);
    const b = await prepareBody(stream, { limitBytes: 100, replay: false, contentLength: "3" });
    expect(b.replayable).toBe(false);
    expect(b.onceReason).toBe("not needed");
    expect(log.pulls).toBe(0);
    expect(await text(b.forAttempt())).toBe("abc");
  });

  it("never hands out a once-only body twice", async () => {
    const { stream } = source(["abcdefgh"]);
    const b = await prepareBody(stream, { limitBytes: 4, replay: true });
    expect(b.available).toBe(true);
    b.forAttempt();
    expect(b.available).toBe(false);
    expect(() => b.forAttempt()).toThrow(/already streamed once/);
  });

  it("a cap of 0 buffers only empty bodies", async () => {
    const { stream } = source(["x"]);
    const b = await prepareBody(stream, { limitBytes: 0, replay: true });
    expect(b.replayable).toBe(false);
    expect(await text(b.forAttempt())).toBe("x");
  });

  it("cancels the client's upload when a once-only body is discarded unsent", async () => {
    const { stream, log } = source(["abc", "def"]);
    const b = await prepareBody(stream, { limitBytes: 1, replay: true, contentLength: "6" });
    await b.discard();
    expect(log.cancelled).not.toBe(false);
    expect(b.available).toBe(false);
  });

  it("cancelling the resumed stream reaches the client's upload", async () => {
    const { stream, log } = source(["abcd", "efgh", "ijkl"]);
    const b = await prepareBody(stream, { limitBytes: 2, replay: true });
    const s = b.forAttempt() as ReadableStream<Uint8Array>;
    const reader = s.getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toBe("abcd");
    await reader.cancel("per-try timeout");
    expect(log.cancelled).toBe("per-try timeout");
  });

  it("propagates an upload error to the attempt that streams the body", async () => {
    let n = 0;
    const failing = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          if (n++ === 0) controller.enqueue(enc.encode("abcdef"));
          else controller.error(new Error("client went away"));
        },
      },
      { highWaterMark: 0 },
    );
    const b = await prepareBody(failing, { limitBytes: 3, replay: true });
    await expect(text(b.forAttempt())).rejects.toThrow(/client went away/);
  });
});
