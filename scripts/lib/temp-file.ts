/**
 * An append-only temporary file of texts, read back by slot: what the build's spill file
 * (spill.ts) and push's shard stash (shard-stash.ts) keep out of the heap (issue #16 item 2).
 * The file is unlinked as soon as it is opened, so nothing is left behind whatever ends the
 * process; the one descriptor is closed by `close()` or, failing that, when the TempFile is
 * garbage-collected. A failing folder says what the file was for, where, and that TMPDIR moves it.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";

const closer = new FinalizationRegistry<{ fd: number | null }>((h) => {
  if (h.fd !== null) closeSync(h.fd);
  h.fd = null;
});

export class TempFile {
  private readonly handle: { fd: number | null };
  private size = 0;
  /** Slot → [offset, length in bytes], two numbers per slot. */
  private readonly at: number[] = [];

  private readonly what: string;
  private readonly room: string;
  private readonly dir: string;

  /** `what`: how errors name the file ("the build's spill file"); `room`: how much room it needs. */
  constructor(what: string, room: string, dir = os.tmpdir()) {
    this.what = what;
    this.room = room;
    this.dir = dir;
    let tmp: string;
    try {
      tmp = mkdtempSync(path.join(dir, "routes-tmp-"));
    } catch (e) {
      throw this.error("could not be created", e);
    }
    try {
      this.handle = { fd: openSync(path.join(tmp, "data"), "w+") };
    } catch (e) {
      throw this.error("could not be created", e);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    closer.register(this, this.handle, this.handle);
  }

  /** Bytes written so far. */
  get bytes(): number {
    return this.size;
  }

  /** Appends `text` (UTF-8); returns its slot. */
  append(text: string): number {
    const buf = Buffer.from(text, "utf8");
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(this.fd(), buf, done, buf.length - done, this.size + done);
    } catch (e) {
      throw this.error("could not be written", e);
    }
    this.at.push(this.size, buf.length);
    this.size += buf.length;
    return this.at.length / 2 - 1;
  }

  /** The text appended under `slot`. */
  read(slot: number): string {
    const offset = this.at[slot * 2];
    const length = this.at[slot * 2 + 1];
    if (offset === undefined || length === undefined) throw new RangeError(`${this.what} has no slot ${slot}`);
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd(), buf, done, length - done, offset + done);
      if (n === 0) throw new Error(`${this.what} ended early (slot ${slot})`);
      done += n;
    }
    return buf.toString("utf8");
  }

  close(): void {
    closer.unregister(this.handle);
    if (this.handle.fd !== null) closeSync(this.handle.fd);
    this.handle.fd = null;
  }

  private fd(): number {
    if (this.handle.fd === null) throw new Error(`${this.what} is closed: what it held can no longer be read`);
    return this.handle.fd;
  }

  private error(what: string, cause: unknown): Error {
    return new Error(`${this.what} in ${this.dir} ${what} (${(cause as Error).message ?? String(cause)}); set TMPDIR to a writable folder with room for ${this.room}`, { cause });
  }
}
