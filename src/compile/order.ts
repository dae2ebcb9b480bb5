/**
 * The order Istio processes objects in (istio:vsmodel configCompareByCreationTime, ISTIO-SEMANTICS
 * §1.2 "Route ordering and merging"): ascending `metadata.creationTimestamp`, then name, then
 * namespace.
 *
 * Objects loaded from files usually have no creationTimestamp. Istio's file-based config sources
 * leave it at Go's zero time, which sorts before every real timestamp, so a missing timestamp is
 * treated as the earliest possible time and the name decides. The consequence, which we want:
 * the order of files and of documents inside them never changes the compiled table.
 * The last tie-breaker (same kind, name and namespace twice — rejected by validation) is the
 * position in `sources` (or the file name) and the document index, only to stay deterministic.
 */
import type { Located } from "./input.ts";

interface Meta {
  metadata: { name: string; namespace?: string; creationTimestamp?: string };
}

export function creationOrder(sources?: readonly string[]) {
  const rank = new Map<string, number>();
  sources?.forEach((s, i) => rank.set(s, i));
  return <T extends Meta>(a: Located<T>, b: Located<T>): number => {
    const ta = time(a.value), tb = time(b.value);
    if (ta !== tb) return ta < tb ? -1 : 1;
    const ma = a.value.metadata, mb = b.value.metadata;
    return (
      cmp(ma.name, mb.name) ||
      cmp(ma.namespace ?? "default", mb.namespace ?? "default") ||
      (rank.get(a.file) ?? Infinity) - (rank.get(b.file) ?? Infinity) ||
      cmp(a.file, b.file) ||
      a.doc - b.doc
    );
  };
}

export function sortByCreation<T extends Meta>(items: readonly Located<T>[], sources?: readonly string[]): Located<T>[] {
  const order = creationOrder(sources);
  return [...items].sort(order);
}

function time(v: Meta): number {
  const t = v.metadata.creationTimestamp;
  if (t === undefined) return -Infinity;
  const ms = Date.parse(t);
  return Number.isNaN(ms) ? -Infinity : ms;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
