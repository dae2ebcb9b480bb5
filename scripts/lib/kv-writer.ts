/**
 * The storage seam of the routes CLI. Every command (push, versions, rollback, diff) talks to a
 * `KvWriter`; only the final writer differs between targets:
 *   LocalKv  – wrangler's local KV state through Miniflare (what `wrangler dev --persist-to` reads)
 *   RemoteKv – the real namespace through `wrangler kv key … --remote`
 *   DryRunKv – wraps either one, executes no write and reports what would be written where.
 * So the remote path shares every step with the local one, and the local one is tested for real.
 * A KvWriter is the store's KvPort (src/store/kv.ts) plus what the CLI prints and plans.
 */
import type { KvPort } from "../../src/store/kv.ts";
import { shardKey } from "../../src/store/keys.ts";

export interface KvWriter extends KvPort {
  /** Where the values go, for messages: `local KV namespace <id> in .dev-state/v3/kv`. */
  readonly target: string;
  /**
   * How a write is carried out, for --dry-run: the exact command line (remote) or a description
   * (local). May prepare what the command refers to (a staged value file) but writes no KV.
   */
  describePut(key: string, value: string): Promise<string>;
  describeDelete(key: string): string;
  /** Whether reads may run during a dry run (false when reading would execute anything remote). */
  readonly readsInDryRun: boolean;
  close(): Promise<void>;
}

export interface PlannedWrite {
  op: "put" | "delete";
  key: string;
  /** UTF-8 size of the value (put only). */
  bytes?: number;
  how: string;
}

/** A planned shard write in the overlay: its value is not kept (see DryRunKv). */
const NOT_KEPT = Symbol("not kept");

/**
 * Records writes instead of performing them. Reads see the recorded writes on top of the real
 * store (so a multi-step plan is computed exactly as a real run would compute it), and fall
 * back to `null` when the inner store must not be read (remote dry runs execute nothing).
 *
 * The values of shard keys are not kept (issue #16: a push makes one shard at a time, and a dry
 * run of 100,000 routes would otherwise hold every shard, 15 MiB): shards are content-addressed,
 * and no command reads back a shard it writes. Reading one of them is refused, not answered wrong.
 */
export class DryRunKv implements KvWriter {
  readonly planned: PlannedWrite[] = [];
  private readonly overlay = new Map<string, string | null | typeof NOT_KEPT>();
  /** Keys whose real value was unknown because reading was not allowed. */
  readonly unread: string[] = [];
  readonly readsInDryRun = true;

  private readonly inner: KvWriter;

  constructor(inner: KvWriter) {
    this.inner = inner;
  }

  get target(): string {
    return this.inner.target;
  }

  async get(key: string): Promise<string | null> {
    if (this.overlay.has(key)) {
      const v = this.overlay.get(key)!;
      if (v === NOT_KEPT) throw new Error(`dry run: ${key} is planned to be written, but its value is not kept (a shard is never read back by the command that writes it)`);
      return v;
    }
    if (!this.inner.readsInDryRun) {
      if (!this.unread.includes(key)) this.unread.push(key);
      return null;
    }
    return this.inner.get(key);
  }

  async put(key: string, value: string): Promise<void> {
    this.overlay.set(key, key.startsWith(shardKey("")) ? NOT_KEPT : value);
    this.planned.push({ op: "put", key, bytes: Buffer.byteLength(value, "utf8"), how: await this.inner.describePut(key, value) });
  }

  async delete(key: string): Promise<void> {
    this.overlay.set(key, null);
    this.planned.push({ op: "delete", key, how: this.inner.describeDelete(key) });
  }

  describePut(key: string, value: string): Promise<string> {
    return this.inner.describePut(key, value);
  }

  describeDelete(key: string): string {
    return this.inner.describeDelete(key);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
