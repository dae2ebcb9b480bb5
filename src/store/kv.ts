/**
 * The KV port: the only storage surface the store needs (DESIGN.md §5). Everything that holds
 * route tables implements it — the Worker's KV binding as it is (a `KVNamespace` is structurally
 * a KvPort), the routes CLI's local (Miniflare) and remote (wrangler) writers, and the tests'
 * in-memory and failing fakes — so keys, the pointer, reads and releases have one owner
 * (src/store/) whatever the KV is.
 */

/** What the Worker reads with. */
export interface KvReader {
  /** The value as text, or null when the key does not exist. */
  get(key: string): Promise<string | null>;
}

/** What a release (push, rollback, gc) writes with. */
export interface KvPort extends KvReader {
  put(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Bound on each KV read: a hung read must never pin a request or a refresh forever. */
export const KV_READ_TIMEOUT_MS = 2_000;

export class KvTimeout extends Error {
  override name = "KvTimeout";
}

/** `kv.get(key)` that rejects with KvTimeout after `timeoutMs`. */
export async function getWithTimeout(kv: KvReader, key: string, timeoutMs: number): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new KvTimeout(`KV get ${key} took longer than ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([kv.get(key), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
