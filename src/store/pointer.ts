/**
 * The active-version pointer and the push history: their JSON forms, parsed in one place for the
 * Worker (lenient: a bad pointer is a typed failure) and the CLI (strict: a ReleaseError).
 */
import type { ActivePointer, VersionEntry, VersionHistory } from "./keys.ts";

/** Pointer text → ActivePointer, or null when it is not JSON with a non-empty `version`. */
export function parsePointer(text: string): ActivePointer | null {
  let v: Partial<ActivePointer> | null;
  try {
    v = JSON.parse(text) as Partial<ActivePointer> | null;
  } catch {
    return null;
  }
  if (!v || typeof v !== "object" || typeof v.version !== "string" || v.version === "") return null;
  return { version: v.version, activatedAt: String(v.activatedAt ?? ""), reason: v.reason === "rollback" ? "rollback" : "push" };
}

export function pointerJson(version: string, reason: ActivePointer["reason"], now: Date): string {
  const pointer: ActivePointer = { version, activatedAt: now.toISOString(), reason };
  return JSON.stringify(pointer);
}

/** History text → entries, or null when it is not a version history. */
export function parseHistory(text: string): VersionEntry[] | null {
  let v: Partial<VersionHistory> | null;
  try {
    v = JSON.parse(text) as Partial<VersionHistory> | null;
  } catch {
    return null;
  }
  if (!v || !Array.isArray(v.entries) || !v.entries.every((e) => typeof e?.version === "string")) return null;
  return v.entries.map((e) => ({
    version: e.version,
    pushedAt: String(e.pushedAt ?? ""),
    summary: String(e.summary ?? ""),
    sources: Array.isArray(e.sources) ? e.sources.map(String) : [],
  }));
}

export function historyJson(entries: VersionEntry[]): string {
  return JSON.stringify({ entries } satisfies VersionHistory);
}
