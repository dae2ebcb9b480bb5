/**
 * Canonical bytes of a compiled RouteTable and its content hash (DESIGN.md §5: versions are stored
 * in KV under the hash of their content, so equal configs must give byte-identical JSON).
 *
 * Canonical form: object keys sorted at every depth (UTF-16 code unit order; integer-like keys
 * first, see sortedKeys), `undefined` properties omitted, arrays kept in order (route order is
 * meaning), no whitespace. Record-like maps (`listeners.*.exact`, `clusters`) are objects, so they are
 * sorted too: the insertion order of the compiler never leaks into the bytes. Route `source`
 * locations are left out (see sortedKeys).
 */
import type { RouteTable } from "./table.ts";

export function canonicalJson(table: RouteTable): string {
  return JSON.stringify(table, sortedKeys);
}

/**
 * JSON.stringify replacer: plain objects are re-created with their keys sorted (only when they
 * are not sorted already — the compiler mostly builds them in order). Native stringify does the
 * rest, several times faster than a hand-written serializer on a 6 MB table.
 * Note: JS enumerates integer-like keys ("7", "42") first in numeric order whatever the insertion
 * order; that order is as deterministic as lexicographic order, which is all canonical needs.
 */
function sortedKeys(this: unknown, key: string, value: unknown): unknown {
  // A route's `source` (file:line) is for the CLI's explanations only: it stays out of the stored
  // bytes and the hash (moving a rule in its file is not a new version; the Worker parses less).
  if (key === "source" && this !== null && typeof this === "object" && "ruleIndex" in this) return undefined;
  if (typeof value === "number" && !Number.isFinite(value)) {
    // Non-finite numbers would serialize as null and silently change meaning: refuse them.
    throw new TypeError(`canonicalJson: non-finite number ${value}`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return value;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = obj[k];
  return out;
}

/** sha-256 hex of the canonical JSON with `hash` set to "" (crypto.subtle: Node 22 and workerd). */
export async function tableHash(table: RouteTable): Promise<string> {
  const bytes = new TextEncoder().encode(canonicalJson({ ...table, hash: "" }));
  const digest = await crypto.subtle.digest("SHA-256", bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Counts for CLI output and logs: distinct virtual hosts, routes over all vhosts, clusters. */
export function summarize(table: RouteTable): { hosts: number; routes: number; clusters: number } {
  let routes = 0;
  for (const vh of table.vhosts) routes += vh.routes.length;
  return { hosts: table.vhosts.length, routes, clusters: Object.keys(table.clusters).length };
}
