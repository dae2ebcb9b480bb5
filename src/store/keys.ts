/**
 * The only definition of the KV key names (DESIGN.md §5). Shared by the Worker (reads) and the
 * routes CLI (writes). A version is immutable and stored under its content hash; the pointer is
 * a small JSON document written last, so a reader never sees a pointer to a missing version
 * unless KV's eventual consistency says so (then the Worker keeps its last good table).
 */

/** Pointer to the active version: JSON `ActivePointer`. */
export const ACTIVE_KEY = "routes/active";

/** History of pushes (newest first, bounded): JSON `VersionHistory`. Read by the CLI only. */
export const HISTORY_KEY = "routes/history";

/** Compiled table of one version: the RouteTable JSON. */
export function versionKey(hash: string): string {
  return `routes/versions/${hash}`;
}

export interface ActivePointer {
  /** Content hash of the active RouteTable. */
  version: string;
  /** ISO time of the flip. */
  activatedAt: string;
  /** Why it became active: "push" or "rollback". */
  reason: "push" | "rollback";
}

export interface VersionEntry {
  version: string;
  pushedAt: string;
  /** Short human summary, e.g. "3 hosts, 12 routes". */
  summary: string;
  /** Source files the version was compiled from. */
  sources: string[];
}

export interface VersionHistory {
  entries: VersionEntry[];
}

/** How many versions the CLI keeps; older ones are deleted from KV after a push. */
export const HISTORY_LIMIT = 20;

/** One shard of a sharded version (src/table/shards.ts), under its content hash; shared by versions. */
export function shardKey(id: string): string {
  return `routes/shards/${id}`;
}
