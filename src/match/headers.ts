/** Map-backed HeaderReader for the CLI and tests (the Worker passes `Headers` directly). */
import type { HeaderReader } from "../decision.ts";

/**
 * Header names are lower-cased; repeated values (an array, or the same name given twice in
 * different case) are joined with ", " exactly as `Headers.get` does.
 */
export function headersFromObject(obj: Record<string, string | readonly string[]>): HeaderReader {
  const map = new Map<string, string>();
  for (const [name, value] of Object.entries(obj)) {
    const key = name.toLowerCase();
    const joined = typeof value === "string" ? value : value.join(", ");
    const prev = map.get(key);
    map.set(key, prev === undefined ? joined : `${prev}, ${joined}`);
  }
  return headersFromMap(map);
}

/** A HeaderReader over an already lower-cased Map. */
export function headersFromMap(map: ReadonlyMap<string, string>): HeaderReader {
  return {
    get: (name) => map.get(name.toLowerCase()) ?? null,
    has: (name) => map.has(name.toLowerCase()),
  };
}
