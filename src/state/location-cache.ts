/**
 * Per-location copies of small state-plane documents (DESIGN.md §11: "load on an object
 * independent of the number of isolates").
 *
 * `cachedJson(cache, key, ttlSeconds, load)` answers from the Cache API of this location (one
 * copy per Cloudflare data centre, shared by every isolate there) and calls `load` (a Durable
 * Object read) only on a miss, storing its answer for `ttlSeconds`. So an object is read at most
 * about once per TTL per location, however many isolates ask: with L active locations and a TTL
 * of T seconds the object sees ≈ L / T reads per second (plus the occasional concurrent misses).
 *
 * Reusable by every state-plane reader (pointer, endpoint health, canaries #14): keys are
 * synthetic https URLs under STATE_CACHE_ORIGIN, never fetched from anywhere.
 *
 * Where the Cache API does nothing (`*.workers.dev` routes, Cloudflare documents cache
 * operations there as no-ops) every read is a miss: each isolate then reads the object once per
 * refresh (still bounded per isolate). A TTL of 0 disables the copy (tests).
 * Cache failures are never fatal: a failing match or put just means "read the object".
 */

/** Synthetic origin of the cache keys (not a real host; the Cache API needs an http(s) URL). */
export const STATE_CACHE_ORIGIN = "https://state.edge-gateway.invalid";

export interface CacheLike {
  match(request: string): Promise<Response | undefined>;
  put(request: string, response: Response): Promise<void>;
  delete?(request: string): Promise<boolean>;
}

export function stateCacheKey(name: string): string {
  return `${STATE_CACHE_ORIGIN}/${encodeURIComponent(name)}`;
}

/** The location's cache, or null where the runtime has none. */
export function defaultCache(): CacheLike | null {
  try {
    return (globalThis as { caches?: { default?: CacheLike } }).caches?.default ?? null;
  } catch {
    return null;
  }
}

export async function cachedJson<T>(cache: CacheLike | null, name: string, ttlSeconds: number, load: () => Promise<T>): Promise<T> {
  const key = stateCacheKey(name);
  if (cache && ttlSeconds > 0) {
    try {
      const hit = await cache.match(key);
      if (hit) return (await hit.json()) as T;
    } catch {
      // a broken cache read is a miss
    }
  }
  const value = await load();
  if (cache && ttlSeconds > 0) await storeJson(cache, name, ttlSeconds, value);
  return value;
}

/** Writes a fresh copy (e.g. after an admin write, so this location sees it at once). */
export async function storeJson(cache: CacheLike | null, name: string, ttlSeconds: number, value: unknown): Promise<void> {
  if (!cache || ttlSeconds <= 0) return;
  try {
    await cache.put(
      stateCacheKey(name),
      new Response(JSON.stringify(value), { headers: { "content-type": "application/json", "cache-control": `max-age=${ttlSeconds}` } }),
    );
  } catch {
    // not cached: the next reader goes to the object
  }
}
