/**
 * Request bodies that may be sent more than once (retries, mirrors).
 *
 * Envoy buffers a request body it may have to replay and, once the buffer limit is exceeded,
 * silently abandons retries and shadowing for that request and just forwards it (router
 * `decodeData`, stat `retry_or_shadow_abandoned`; ISTIO-SEMANTICS §2.5, §2.7). The gateway does
 * the same with a cap (RETRY_BUFFER_LIMIT_BYTES, default 1 MiB like Envoy's default
 * `per_connection_buffer_limit_bytes`):
 *   - no body                         → nothing to replay;
 *   - Content-Length above the cap    → streamed once, untouched, not retried, not mirrored;
 *   - otherwise read up to the cap    → replayable bytes (every attempt sends exactly these);
 *     a body that turns out bigger    → the bytes read so far are replayed in front of the rest
 *                                       of the stream, once (not retried, not mirrored).
 * When nothing could use a replay (no retries, no mirrors) the body is streamed untouched.
 *
 * Unlike Envoy, which streams the first attempt while it buffers, the gateway reads a replayable
 * body (≤ cap) before the first attempt: memory stays bounded by the cap and the bytes are known
 * before anything is sent, at the cost of upload latency for bodies under the cap.
 */

/** Envoy's default buffer limit (1 MiB). */
export const DEFAULT_RETRY_BUFFER_LIMIT_BYTES = 1024 * 1024;

/** Parse RETRY_BUFFER_LIMIT_BYTES: a non-negative integer (0 = never replay a body), else the default. */
export function retryBufferLimitFromVar(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return DEFAULT_RETRY_BUFFER_LIMIT_BYTES;
  const n = Number(raw.trim());
  return Number.isInteger(n) && n >= 0 ? n : DEFAULT_RETRY_BUFFER_LIMIT_BYTES;
}

/** Why a body can only be sent once. */
export type OnceReason =
  /** Retries and mirrors were not possible anyway: streamed untouched. */
  | "not needed"
  /** Content-Length above the cap: streamed without reading. */
  | "content-length over limit"
  /** No (or a lying) Content-Length and more bytes than the cap arrived. */
  | "body over limit";

export class RequestBody {
  /** true ⇒ `forAttempt()` may be called any number of times (retries, mirrors). */
  readonly replayable: boolean;
  /** Set when the body streams once: why (for the request log / `retryAbandoned`). */
  readonly onceReason?: OnceReason;
  /** The replayable bytes (null for no body); undefined when streaming once. */
  readonly bytes?: Uint8Array | null;
  #stream: ReadableStream<Uint8Array> | null;
  #taken = false;

  private constructor(bytes: Uint8Array | null | undefined, stream: ReadableStream<Uint8Array> | null, onceReason?: OnceReason) {
    this.replayable = onceReason === undefined;
    if (onceReason !== undefined) this.onceReason = onceReason;
    if (this.replayable) this.bytes = bytes ?? null;
    this.#stream = stream;
  }

  /** No body: replayable with nothing to take, so one shared instance serves every bodiless request. */
  private static readonly EMPTY = new RequestBody(null, null);

  static empty(): RequestBody {
    return RequestBody.EMPTY;
  }

  static buffered(bytes: Uint8Array): RequestBody {
    return new RequestBody(bytes, null);
  }

  static once(stream: ReadableStream<Uint8Array>, reason: OnceReason): RequestBody {
    return new RequestBody(undefined, stream, reason);
  }

  /** true when this body can still be sent (always for a replayable one). */
  get available(): boolean {
    return this.replayable || !this.#taken;
  }

  /**
   * The body for one fetch. Replayable: the same bytes every time (fetch copies a BufferSource,
   * so sharing the array is safe). Once: the stream the first time; a second call is a bug.
   */
  forAttempt(): Uint8Array | ReadableStream<Uint8Array> | null {
    if (this.replayable) return this.bytes ?? null;
    if (this.#taken) throw new Error("request body already streamed once: it cannot be sent again");
    this.#taken = true;
    return this.#stream;
  }

  /** Release a body that will not be sent (fault abort, no endpoint, …): cancel the download. */
  async discard(): Promise<void> {
    if (this.replayable || this.#taken || this.#stream === null) return;
    this.#taken = true;
    await this.#stream.cancel().catch(() => undefined);
  }
}

export interface PrepareOptions {
  /** The cap in bytes (RETRY_BUFFER_LIMIT_BYTES). */
  limitBytes: number;
  /** Whether a replay could be used at all (retries allowed or mirrors to send). */
  replay: boolean;
  /** The request's Content-Length header, if any. */
  contentLength?: string | null;
}

/** Decide how the request body travels upstream; reads at most `limitBytes + 1 chunk`. */
export async function prepareBody(body: ReadableStream<Uint8Array> | null, opts: PrepareOptions): Promise<RequestBody> {
  if (body === null) return RequestBody.empty();
  if (!opts.replay) return RequestBody.once(body, "not needed");
  const declared = parseContentLength(opts.contentLength);
  if (declared !== null && declared > opts.limitBytes) return RequestBody.once(body, "content-length over limit");

  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (value.byteLength === 0) continue;
    chunks.push(value);
    total += value.byteLength;
    if (total > opts.limitBytes) return RequestBody.once(resume(chunks, reader), "body over limit");
  }
  return RequestBody.buffered(concat(chunks, total));
}

function parseContentLength(raw: string | null | undefined): number | null {
  if (raw === null || raw === undefined) return null;
  const t = raw.trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : null;
}

function concat(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** The already-read chunks, then the rest of the reader, as one stream (cancel reaches the source). */
function resume(chunks: Uint8Array[], reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (i < chunks.length) {
        controller.enqueue(chunks[i]!);
        chunks[i++] = EMPTY; // drop our reference as soon as it is handed on
        return;
      }
      try {
        const { done, value } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      } catch (err) {
        controller.error(err);
      }
    },
    async cancel(reason) {
      await reader.cancel(reason).catch(() => undefined);
    },
  });
}

const EMPTY = new Uint8Array(0);
