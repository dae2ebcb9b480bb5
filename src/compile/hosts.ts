/**
 * Istio host names as the gateway builder sees them (ISTIO-SEMANTICS §1.1, istio pkg/config/host):
 * exact names, `*`, and wildcards whose first label starts with `*` (`*.foo.com`, `*-bar.foo.com`).
 * Host names are case-insensitive (RFC 9110 §4.2.3): everything here works on lower-cased names.
 */

export function isWildcard(host: string): boolean {
  return host.startsWith("*");
}

/**
 * Istio `Name.SubsetOf`: every host matched by `n` is matched by `o`.
 * `*.a.foo.com` ⊆ `*.foo.com` ⊆ `*`; `a.foo.com` ⊆ `*.foo.com`; `foo.com` ⊄ `*.foo.com`.
 */
export function subsetOf(n: string, o: string): boolean {
  if (isWildcard(n)) return isWildcard(o) && n.slice(1).endsWith(o.slice(1));
  if (isWildcard(o)) return n.endsWith(o.slice(1));
  return n === o;
}

/**
 * Istio `Names.Intersection` (gateway server hosts × VirtualService hosts, §1.1 step 2): for each
 * pair where one covers the other, keep the more specific one. `*.foo.com` × `a.foo.com` ⇒
 * `a.foo.com`; `*` × anything ⇒ that thing. Result de-duplicated, in first-seen order.
 */
export function intersectHosts(serverHosts: readonly string[], vsHosts: readonly string[]): string[] {
  const out: string[] = [];
  for (const s of serverHosts) {
    for (const v of vsHosts) {
      const keep = subsetOf(s, v) ? s : subsetOf(v, s) ? v : null;
      if (keep !== null && !out.includes(keep)) out.push(keep);
    }
  }
  return out;
}

/** A Gateway `server.hosts` entry `[namespace/]host` (§1.1): `*` = any namespace, `.` = the Gateway's. */
export interface ServerHost {
  /** Namespace whose VirtualServices may bind, or "*" for all. */
  namespace: string;
  host: string;
}

export function parseServerHost(entry: string, gatewayNamespace: string): ServerHost {
  const slash = entry.indexOf("/");
  if (slash < 0) return { namespace: "*", host: entry.toLowerCase() };
  const ns = entry.slice(0, slash);
  return { namespace: ns === "." ? gatewayNamespace : ns, host: entry.slice(slash + 1).toLowerCase() };
}

/** Where a vhost domain goes in a Listener: exact map, suffix map (key = text after `*`), or `*`. */
export type DomainSlot = { kind: "exact"; key: string } | { kind: "suffix"; key: string } | { kind: "star" };

export function domainSlot(domain: string): DomainSlot {
  if (domain === "*") return { kind: "star" };
  if (isWildcard(domain)) return { kind: "suffix", key: domain.slice(1) };
  return { kind: "exact", key: domain };
}

/** Most specific entry of `candidates` (wildcards allowed) covering the concrete `host`, or undefined. */
export function mostSpecificMatch<T>(host: string, candidates: ReadonlyMap<string, T>): T | undefined {
  const exact = candidates.get(host);
  if (exact !== undefined) return exact;
  let best: T | undefined;
  let bestLen = -1;
  for (const [name, value] of candidates) {
    if (!isWildcard(name)) continue;
    const suffix = name.slice(1);
    // A wildcard never matches the empty string: `*.foo.com` does not cover `.foo.com`.
    if (host.length > suffix.length && host.endsWith(suffix) && suffix.length > bestLen) {
      best = value;
      bestLen = suffix.length;
    }
  }
  return best;
}
