/**
 * The shards of a push, kept in a temporary file between planning and writing (src/table/shards.ts
 * ShardStash; issue #16 item 2). push plans every shard (its id is the hash of its bytes) before it
 * writes any; without a stash each shard is made again when it is written, which for the lowMemory
 * build's table reads and expands its routes from the build's spill file a second time. Here the
 * bytes go to disk once and are read back once, and the heap holds one shard at a time either way.
 *
 * An unlinked temporary file like the build's spill file (temp-file.ts): nothing is left behind
 * whatever ends the process; `close()` lets it go.
 */
import type { ShardStash } from "../../src/table/shards.ts";
import { TempFile } from "./temp-file.ts";

export class FileStash implements ShardStash {
  private readonly file: TempFile;

  constructor(dir?: string) {
    this.file = new TempFile("the push's temporary shard file", "about the size of the route files", dir);
  }

  keep(json: string): number {
    return this.file.append(json);
  }

  take(handle: number): string {
    return this.file.read(handle);
  }

  close(): void {
    this.file.close();
  }
}
