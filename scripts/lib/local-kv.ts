/**
 * Wrangler's local KV state, written through Miniflare exactly the way `wrangler kv key put
 * --local` does it: resource persistence root `<persist-to>/v3`, namespace id from wrangler.toml.
 * `wrangler dev --persist-to <same dir>` reads the same SQLite-backed store, and picks up a
 * write while it runs (verified: the Worker sees the new pointer on the next request).
 */
import path from "node:path";
import type { Miniflare } from "miniflare";
import type { KvWriter } from "./kv-writer.ts";

/** Wrangler's default `--persist-to`, relative to the directory of wrangler.toml. */
export const DEFAULT_PERSIST_DIR = ".wrangler/state";

/** Local KV does not reach anything remote, so a dry run may read it. */
export class LocalKv implements KvWriter {
  readonly readsInDryRun = true;
  readonly target: string;
  private mf: Miniflare | null = null;
  private ns: Promise<KVNamespace> | null = null;

  readonly persistDir: string;
  readonly namespaceId: string;

  constructor(persistDir: string, namespaceId: string) {
    this.persistDir = persistDir;
    this.namespaceId = namespaceId;
    this.target = `local KV namespace ${namespaceId} in ${path.join(persistDir, "v3", "kv")}`;
  }

  private namespace(): Promise<KVNamespace> {
    this.ns ??= this.open();
    return this.ns;
  }

  /** Miniflare is loaded on first use: importing it costs seconds, and most commands never need it. */
  private async open(): Promise<KVNamespace> {
    const { Miniflare, convertV4MiniflareOptions } = await import("miniflare");
    this.mf = new Miniflare(
      convertV4MiniflareOptions({
        modules: true,
        script: "export default { fetch() { return new Response(null, { status: 404 }); } }",
        resourcePersistencePath: path.join(path.resolve(this.persistDir), "v3"),
        kvNamespaces: { ROUTES: this.namespaceId },
      }),
    );
    // Miniflare's KVNamespace is structurally the Workers one.
    return (await this.mf.getKVNamespace("ROUTES")) as unknown as KVNamespace;
  }

  async get(key: string): Promise<string | null> {
    return (await this.namespace()).get(key, "text");
  }

  async put(key: string, value: string): Promise<void> {
    await (await this.namespace()).put(key, value);
  }

  async delete(key: string): Promise<void> {
    await (await this.namespace()).delete(key);
  }

  async describePut(key: string, value: string): Promise<string> {
    return `put ${key} (${Buffer.byteLength(value, "utf8")} bytes) into ${this.target}`;
  }

  describeDelete(key: string): string {
    return `delete ${key} from ${this.target}`;
  }

  async close(): Promise<void> {
    await this.ns?.catch(() => undefined); // let a start in progress finish, then stop it
    const mf = this.mf;
    this.mf = null;
    this.ns = null;
    if (mf) await mf.dispose();
  }
}
