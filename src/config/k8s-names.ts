/**
 * Kubernetes service names as Istio reads them (DESIGN.md §3, §9; ISTIO-SEMANTICS §1.2 "short
 * names"; istio pkg/config/model ResolveShortnameToFQDN):
 *  - a host without a dot is a Service of the object's own namespace: `reviews` written in
 *    namespace `default` is `reviews.default.svc.cluster.local`;
 *  - `reviews.default` (NAME.NS, NS a namespace the config knows) is the same Service, as
 *    Kubernetes DNS resolves it for a pod; Istio itself expands only the dot-less form, but the
 *    edge must never send an in-cluster name to public DNS;
 *  - `*.svc.cluster.local` names are in-cluster as written.
 * Every other name is a DNS name as written (public DNS, over https, when no ServiceEntry or
 * origin names it). Host names are case-insensitive (RFC 9110 §4.2.3): results are lower-cased.
 */

/** Istio's default trust/cluster domain (meshConfig.trustDomain / proxy DNS domain). */
export const CLUSTER_DOMAIN = "cluster.local";
const SVC_SUFFIX = `.svc.${CLUSTER_DOMAIN}`;
/** metadata.namespace when omitted (Kubernetes). */
export const DEFAULT_NAMESPACE = "default";

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The namespaces a `NAME.NS` host may name: those of the config, and `default`. */
export type KnownNamespaces = ReadonlySet<string>;

/**
 * The fully qualified name of `host` written in an object of `namespace`.
 * `*`, wildcards, IP addresses and names with a dot that are not `NAME.NS` stay as written.
 */
export function qualifyHost(host: string, namespace: string | undefined, known: KnownNamespaces = new Set([DEFAULT_NAMESPACE])): string {
  const h = host.toLowerCase();
  if (h === "" || h.startsWith("*") || IPV4.test(h) || h.includes(":")) return h;
  const labels = h.split(".");
  if (labels.length === 1) return `${h}.${namespace ?? DEFAULT_NAMESPACE}${SVC_SUFFIX}`;
  if (labels.length === 2 && known.has(labels[1]!)) return `${h}${SVC_SUFFIX}`;
  return h;
}

/** Is `host` (already qualified) an in-cluster Kubernetes name, never to be looked up in public DNS? */
export function isClusterName(host: string): boolean {
  return host.toLowerCase().endsWith(SVC_SUFFIX);
}

/** `reviews.default.svc.cluster.local` → { name: "reviews", namespace: "default" }; undefined for other names. */
export function serviceOf(host: string): { name: string; namespace: string } | undefined {
  const h = host.toLowerCase();
  if (!h.endsWith(SVC_SUFFIX)) return undefined;
  const labels = h.slice(0, -SVC_SUFFIX.length).split(".");
  if (labels.length !== 2 || labels.some((l) => l === "" || l.includes("*"))) return undefined;
  return { name: labels[0]!, namespace: labels[1]! };
}

/** Namespaces a config knows: every object's metadata.namespace (omitted = `default`), plus `default`. */
export function knownNamespaces(namespaces: Iterable<string | undefined>): Set<string> {
  const out = new Set<string>([DEFAULT_NAMESPACE]);
  for (const ns of namespaces) out.add(ns ?? DEFAULT_NAMESPACE);
  return out;
}

interface Namespaced {
  value: { metadata: { namespace?: string | undefined } };
}
interface ObjectsWithNamespaces {
  gateways: readonly Namespaced[];
  virtualServices: readonly Namespaced[];
  destinationRules: readonly Namespaced[];
  serviceEntries: readonly Namespaced[];
  origins?: ReadonlyArray<{ value: { namespace: string; entries: ReadonlyArray<{ host: string }> } }>;
}

/** The namespaces of a loaded config (objects, origins files and the Services their keys name), plus `default`. */
export function configNamespaces(objects: ObjectsWithNamespaces): Set<string> {
  return knownNamespaces([
    ...[objects.gateways, objects.virtualServices, objects.destinationRules, objects.serviceEntries].flatMap((l) => l.map((o) => o.value.metadata.namespace)),
    ...(objects.origins ?? []).flatMap((f) => [f.value.namespace, ...f.value.entries.flatMap((e) => serviceOf(e.host)?.namespace ?? [])]),
  ]);
}

/**
 * The host lookups use (compile/upstreams.ts, config/references.ts, analyze): a name a
 * ServiceEntry declares exactly as written stays as written, every other name is qualified.
 */
export function hostResolver(
  objects: Omit<ObjectsWithNamespaces, "serviceEntries"> & { serviceEntries: ReadonlyArray<{ value: { metadata: { namespace?: string | undefined }; spec: { hosts: readonly string[] } } }> },
): (host: string, namespace: string | undefined) => string {
  const known = configNamespaces(objects);
  const literal = new Set(objects.serviceEntries.flatMap((se) => se.value.spec.hosts.map((h) => h.toLowerCase())));
  return (host, namespace) => (literal.has(host.toLowerCase()) ? host.toLowerCase() : qualifyHost(host, namespace, known));
}
