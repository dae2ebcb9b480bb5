/**
 * A least-recently-used cache bounded by the BYTES of its entries, not their number (issue #16):
 * the Worker keeps the route-table shards it has read in one, so an isolate's memory is bounded
 * by this setting (SHARD_CACHE_BYTES), never by the size of the config. Shards are immutable and
 * content-addressed, so a cached entry is never stale: eviction only costs a re-read.
 *
 * A Map keeps insertion order: re-inserting on a hit makes the first key the least recently
 * used. The newest entry is always kept, even when it alone is over the limit (a shard larger
 * than the whole budget must still serve the request that read it).
 */

export interface LruStats {
  entries: number;
  bytes: number;
  limitBytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

export class ByteLru<V> {
  private readonly map = new Map<string, { value: V; bytes: number }>();
  private total = 0;
  private limit: number;
  private hits = 0;
  private misses = 0;
  private evictions = 0;

  constructor(limitBytes: number) {
    this.limit = limitBytes;
  }

  /** The value, marked most recently used; undefined when absent. */
  get(key: string): V | undefined {
    const e = this.map.get(key);
    if (e === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    // Only move it when it is not already the newest (the common case for a hot shard).
    if (this.map.size > 1) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e.value;
  }

  /** The value without touching its recency or the counters (reports, fallbacks). */
  peek(key: string): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  /** Adds (or replaces) `key`, then evicts the least recently used entries over the limit. */
  set(key: string, value: V, bytes: number): void {
    if (!(bytes >= 0)) throw new RangeError(`ByteLru: bytes must be ≥ 0, got ${bytes}`);
    const old = this.map.get(key);
    if (old !== undefined) {
      this.total -= old.bytes;
      this.map.delete(key);
    }
    this.map.set(key, { value, bytes });
    this.total += bytes;
    this.shrink();
  }

  /** Changes the bound (the setting is read per request; a smaller one evicts at once). */
  setLimit(limitBytes: number): void {
    if (limitBytes === this.limit) return;
    this.limit = limitBytes;
    this.shrink();
  }

  stats(): LruStats {
    return { entries: this.map.size, bytes: this.total, limitBytes: this.limit, hits: this.hits, misses: this.misses, evictions: this.evictions };
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  private shrink(): void {
    while (this.total > this.limit && this.map.size > 1) {
      const oldest = this.map.keys().next().value as string;
      this.total -= this.map.get(oldest)!.bytes;
      this.map.delete(oldest);
      this.evictions++;
    }
  }
}
