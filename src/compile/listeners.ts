/**
 * Listener index (table.ts `Listener`): vhost domains → vhost index, laid out so the Worker picks
 * one virtual host the way Envoy does (envoy:rc VirtualHost.domains, ISTIO-SEMANTICS §1.1):
 * exact domain, then the longest suffix wildcard, then `*`. Exactly one vhost is chosen; there is
 * no fall-through to a less specific one (§5 item 3).
 */
import type { Listener } from "../table/types.ts";
import { domainSlot } from "./hosts.ts";

export function buildListener(port: number | null, domains: ReadonlyArray<{ domain: string; vhost: number }>): Listener {
  const listener: Listener = { port, fallback: false, exact: {}, suffix: {}, suffixLengths: [], star: null };
  for (const { domain, vhost } of domains) {
    const slot = domainSlot(domain);
    switch (slot.kind) {
      case "exact":
        listener.exact[slot.key] = vhost;
        break;
      case "suffix":
        listener.suffix[slot.key] = vhost;
        break;
      case "star":
        listener.star = vhost;
        break;
    }
  }
  listener.suffixLengths = [...new Set(Object.keys(listener.suffix).map((k) => k.length))].sort((a, b) => b - a);
  return listener;
}

/**
 * A scheme with no Gateway server of its own reuses the other listener's vhosts (table.ts:
 * Cloudflare serves both schemes, so a Gateway with only `port: 80, HTTP` still answers https).
 * It has no server, so its port is null.
 */
export function fallbackListener(of: Listener): Listener {
  return { ...of, port: null, fallback: true, exact: { ...of.exact }, suffix: { ...of.suffix }, suffixLengths: [...of.suffixLengths] };
}

export function emptyListener(): Listener {
  return buildListener(null, []);
}
