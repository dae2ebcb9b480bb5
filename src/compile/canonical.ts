/**
 * Canonical bytes of a compiled RouteTable and its content hash (DESIGN.md §5: versions are stored
 * in KV under the hash of their content, so equal configs must give byte-identical JSON).
 *
 * Canonical form: object keys sorted by UTF-16 code unit order at every depth, `undefined`
 * properties omitted (as JSON.stringify does), arrays kept in order (route order is meaning),
 * no whitespace. Record-like maps (`listeners.*.exact`, `clusters`) are objects, so they are
 * sorted too: the insertion order of the compiler never leaks into the bytes.
 */
import type { RouteTable } from "./table.ts";

export function canonicalJson(table: RouteTable): string {
  return canonicalize(table);
}

function canonicalize(value: unknown): string {
  if (value === null || typeof value !== "object") {
    // Non-finite numbers would serialize as null and silently change meaning: refuse them.
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new TypeError(`canonicalJson: non-finite number ${value}`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    // JSON.stringify writes `null` for undefined array slots; keep that behaviour explicit.
    return `[${value.map((v) => (v === undefined ? "null" : canonicalize(v))).join(",")}]`;
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalize(obj[k])}`).join(",")}}`;
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
