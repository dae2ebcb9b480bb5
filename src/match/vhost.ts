/**
 * Virtual host selection (Envoy VirtualHost.domains; ISTIO-SEMANTICS §1.1): on the listener of
 * the request's scheme, exact domain → longest suffix wildcard → `*`. The Host port is ignored
 * (`ignore_port_in_host_matching`), the host is already lower-cased. Exactly ONE vhost is chosen:
 * no fall-through to a less specific one when its routes do not match (vector #42).
 *
 * Cost does not grow with the number of hosts: one Map lookup for the exact host, then one per
 * distinct wildcard-suffix length (longest first), then `*`.
 */
import type { Listener } from "../table/types.ts";

export interface PreparedListener {
  port: number | null;
  exact: Map<string, number>;
  suffix: Map<string, number>;
  /** Longest first. */
  suffixLengths: number[];
  star: number | null;
  /** Gateway API listeners on other ports (table.ts Listener.ports), by port number. */
  ports?: Map<number, PreparedListener>;
}

export function prepareListener(l: Listener): PreparedListener {
  const p: PreparedListener = {
    port: l.port,
    exact: new Map(Object.entries(l.exact)),
    suffix: new Map(Object.entries(l.suffix)),
    suffixLengths: [...l.suffixLengths].sort((a, b) => b - a),
    star: l.star,
  };
  if (l.ports) p.ports = new Map(Object.entries(l.ports).map(([port, sub]) => [Number(port), prepareListener(sub)]));
  return p;
}

/**
 * The listener a request's port selects (GATEWAY-API-SEMANTICS §2.4): the Host header's port when
 * a Gateway API listener of this scheme uses it, otherwise the scheme's main listener.
 */
export function listenerForPort(l: PreparedListener, port: number | null): PreparedListener {
  if (port === null || l.ports === undefined) return l;
  return l.ports.get(port) ?? l;
}

/** vhost index for a lower-cased, port-less host, or null. */
export function selectVhost(l: PreparedListener, host: string): number | null {
  const exact = l.exact.get(host);
  if (exact !== undefined) return exact;
  const lengths = l.suffixLengths;
  for (let k = 0; k < lengths.length; k++) {
    const len = lengths[k]!;
    // A wildcard never matches the empty string: `*.foo.com` needs at least one char before `.foo.com`.
    if (host.length <= len) continue;
    const v = l.suffix.get(host.slice(host.length - len));
    if (v !== undefined) return v;
  }
  return l.star;
}
