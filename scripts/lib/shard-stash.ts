/**
 * The shards of a push, kept in a temporary file between planning and writing (src/table/shards.ts
 * ShardStash; issue #16 item 2). push plans every shard (its id is the hash of its bytes) before it
 * writes any; without a stash each shard is made again when it is written, which for the lowMemory
 * build's table reads and expands its routes from the build's spill file a second time. Here the
 * bytes go to disk once and are read back once, and the heap holds one shard at a time either way.
 *
 * Like the build's spill file (spill.ts): an unlinked temporary file held by one descriptor, so
 * nothing is left behind whatever ends the process; `close()` lets it go.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ShardStash } from "../../src/table/shards.ts";

export class FileStash implements ShardStash {
  private fd: number | null;
  private size = 0;
  /** Handle → [offset, length in bytes], two numbers per handle. */
  private readonly at: number[] = [];
  private readonly dir: string;

  constructor(dir = os.tmpdir()) {
    this.dir = dir;
    let tmp: string;
    try {
      tmp = mkdtempSync(path.join(dir, "routes-shards-"));
    } catch (e) {
      throw stashError(dir, "could not be created", e);
    }
    try {
      this.fd = openSync(path.join(tmp, "shards"), "w+");
    } catch (e) {
      throw stashError(dir, "could not be created", e);
    } finally {
      // Unlinked at once: the descriptor keeps the data.
      rmSync(tmp, { recursive: true, force: true });
    }
  }

  keep(json: string): number {
    const buf = Buffer.from(json, "utf8");
    let done = 0;
    try {
      while (done < buf.length) done += writeSync(this.open(), buf, done, buf.length - done, this.size + done);
    } catch (e) {
      throw stashError(this.dir, "could not be written", e);
    }
    this.at.push(this.size, buf.length);
    this.size += buf.length;
    return this.at.length / 2 - 1;
  }

  take(handle: number): string {
    const offset = this.at[handle * 2];
    const length = this.at[handle * 2 + 1];
    if (offset === undefined || length === undefined) throw new RangeError(`no shard kept under handle ${handle}`);
    const buf = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.open(), buf, done, length - done, offset + done);
      if (n === 0) throw new Error(`the push's shard file ended early (handle ${handle})`);
      done += n;
    }
    return buf.toString("utf8");
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private open(): number {
    if (this.fd === null) throw new Error("the push's shard file is closed");
    return this.fd;
  }
}

function stashError(dir: string, what: string, cause: unknown): Error {
  return new Error(`the push's temporary shard file in ${dir} ${what} (${(cause as Error).message ?? String(cause)}); set TMPDIR to a writable folder with room for about the size of the route files`, { cause });
}
