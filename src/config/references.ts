/**
 * Cross-object checks (DESIGN.md §2 "references"): what one object names must exist in another.
 * - `gateways:` entries (bare name = the VirtualService's namespace, `ns/name`; `mesh` reserved)
 *   name a Gateway; a VirtualService without gateways applies to the mesh only (warning).
 * - `delegate` names an existing VirtualService without hosts/gateways that does not delegate.
 * - a destination `subset` is defined by a DestinationRule for that host.
 * - hosts are compared as Istio resolves them (k8s-names.ts): `reviews` in namespace `default`
 *   and `reviews.default.svc.cluster.local` are one host. A Kubernetes name that nothing serves
 *   is accepted, as Istio accepts it; the compiler warns (503 at run time, compile/backends.ts).
 * - ServiceEntry endpoints: raw IPs and non-standard ports warn (Cloudflare error 1003,
 *   `allow_custom_ports`).
 */
import type { Issue } from "./issue.ts";
import { reporter, type Located } from "./issue.ts";
import type { ConfigObjects } from "./objects.ts";
import type { Destination, DestinationRule, ServiceEntry } from "./schema/index.ts";
import { hostResolver } from "./k8s-names.ts";

type Path = Array<string | number>;

export function checkReferences(objects: ConfigObjects, issues: Issue[]): void {
  const gateways = new Set(objects.gateways.map((g) => `${g.value.metadata.namespace}/${g.value.metadata.name}`));
  const vsByKey = new Map(objects.virtualServices.map((v) => [`${v.value.metadata.namespace}/${v.value.metadata.name}`, v]));
  const resolve = hostResolver(objects);
  const q = (host: string, o: { value: { metadata: { namespace?: string } } }) => resolve(host, o.value.metadata.namespace);
  const delegated = new Set<string>();
  for (const vs of objects.virtualServices)
    for (const r of vs.value.spec.http ?? [])
      if (r.delegate) delegated.add(`${r.delegate.namespace ?? vs.value.metadata.namespace}/${r.delegate.name}`);

  for (const vs of objects.virtualServices) {
    const report = reporter(issues, vs);
    const ns = vs.value.metadata.namespace;
    const key = `${ns}/${vs.value.metadata.name}`;
    const spec = vs.value.spec;
    const checkGateways = (list: string[], at: Path) =>
      list.forEach((g, i) => {
        if (g === "mesh") return;
        // `name.namespace[.svc.cluster.local]` is Istio's legacy form (accepted with a warning).
        const full = g.includes("/") ? g : g.includes(".") ? `${g.split(".")[1]}/${g.split(".")[0]}` : `${ns}/${g}`;
        if (!gateways.has(full))
          report("error", [...at, i], `gateway ${JSON.stringify(g)} (${full}) is not defined${gateways.size ? `; defined gateways: ${[...gateways].sort().join(", ")}` : "; no Gateway is defined"}`, "reference");
      });
    if (spec.gateways) checkGateways(spec.gateways, ["spec", "gateways"]);
    const isDelegate = delegated.has(key);
    if (!isDelegate) {
      const edge = (spec.gateways ?? []).filter((g) => g !== "mesh");
      if (edge.length === 0)
        report("warning", spec.gateways ? ["spec", "gateways"] : ["spec"], `VirtualService ${key} applies to the mesh only; the edge does not serve it (add gateways: [<gateway name>])`, "mesh-only");
      if (!spec.hosts?.length)
        report("warning", ["spec"], `VirtualService ${key} has no hosts and no VirtualService delegates to it: it serves nothing`, "unused");
    }
    spec.http?.forEach((r, i) => {
      const at: Path = ["spec", "http", i];
      r.match?.forEach((m, j) => m.gateways && checkGateways(m.gateways, [...at, "match", j, "gateways"]));
      r.route?.forEach((d, j) => checkDestination(d.destination, [...at, "route", j, "destination"]));
      if (r.mirror) checkDestination(r.mirror, [...at, "mirror"]);
      r.mirrors?.forEach((m, j) => checkDestination(m.destination, [...at, "mirrors", j, "destination"]));
      if (r.delegate) {
        const target = `${r.delegate.namespace ?? ns}/${r.delegate.name}`;
        const d = vsByKey.get(target);
        if (!d) report("error", [...at, "delegate"], `delegate VirtualService ${target} is not defined`, "reference");
        else if (d.value.spec.hosts?.length || d.value.spec.gateways?.length)
          report("error", [...at, "delegate"], `delegate VirtualService ${target} must not set hosts or gateways (it inherits them from this rule)`, "reference");
        else if (d.value.spec.http?.some((x) => x.delegate))
          report("error", [...at, "delegate"], `delegate VirtualService ${target} delegates again; Istio allows one level of delegation`, "reference");
      }
    });

    function checkDestination(dest: Destination, at: Path) {
      // Istio accepts a wildcard destination (a wildcard ServiceEntry's cluster); the edge must
      // know which origin to fetch, so it needs a ServiceEntry with endpoints for exactly that host.
      if (dest.host.startsWith("*")) {
        const exact = objects.serviceEntries.find((s) => s.value.spec.hosts.includes(dest.host) && s.value.spec.endpoints?.length);
        if (!exact)
          report("error", [...at, "host"], `wildcard destination host ${JSON.stringify(dest.host)} names no single origin: the edge cannot fetch a wildcard; name the host, or define a ServiceEntry for ${JSON.stringify(dest.host)} with endpoints`, "reference", "edge");
        return;
      }
      const host = q(dest.host, vs);
      const se = serviceEntryFor(objects.serviceEntries, host);
      if (dest.port && se?.value.spec.ports?.length && !se.value.spec.ports.some((p) => p.number === dest.port!.number))
        report("error", [...at, "port", "number"], `port ${dest.port.number} is not a port of ServiceEntry ${se.value.metadata.namespace}/${se.value.metadata.name} (ports: ${se.value.spec.ports.map((p) => p.number).join(", ")})`, "reference");
      if (dest.subset === undefined) return;
      const drs = objects.destinationRules.filter((dr) => hostCovers(q(dr.value.spec.host, dr), host));
      const defined = drs.flatMap((dr) => (dr.value.spec.subsets ?? []).map((s) => s.name));
      // Istio's webhook accepts an undefined subset; istioctl analyze reports it (IST0101
      // ReferencedResourceNotFound, analyzers_test.go "virtualServiceDestinationRules" reviews-bogussubset)
      // and Envoy answers 503. The edge refuses the config instead (docs/istio-compatibility.md).
      if (!defined.includes(dest.subset))
        report(
          "error",
          [...at, "subset"],
          (drs.length === 0
            ? `subset ${JSON.stringify(dest.subset)} needs a DestinationRule for host ${JSON.stringify(dest.host)}, and there is none`
            : `subset ${JSON.stringify(dest.subset)} is not defined for host ${JSON.stringify(dest.host)}; ${describeDrs(drs)} define${drs.length === 1 ? "s" : ""} ${defined.length ? defined.map((s) => JSON.stringify(s)).join(", ") : "no subsets"}`) +
            " (Istio IST0101: Istio accepts it and answers 503 for these requests)",
          "reference",
        );
    }
  }

  for (const se of objects.serviceEntries) checkEndpoints(se, issues);
}

function describeDrs(drs: Located<DestinationRule>[]): string {
  return drs.map((d) => `DestinationRule ${d.value.metadata.namespace}/${d.value.metadata.name}`).join(" and ");
}

/** Does `pattern` (exact or `*.suffix`) cover `host`? Case-insensitive (DNS). */
export function hostCovers(pattern: string, host: string): boolean {
  pattern = pattern.toLowerCase();
  host = host.toLowerCase();
  if (pattern === host) return true;
  if (pattern.startsWith("*")) return host.endsWith(pattern.slice(1)) && host.length > pattern.length - 1;
  return false;
}

function serviceEntryFor(ses: Located<ServiceEntry>[], host: string): Located<ServiceEntry> | undefined {
  return ses.find((se) => se.value.spec.hosts.some((h) => hostCovers(h, host)));
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const STANDARD_PORTS = new Set([80, 443]);

function checkEndpoints(se: Located<ServiceEntry>, issues: Issue[]): void {
  const report = reporter(issues, se);
  const spec = se.value.spec;
  spec.endpoints?.forEach((e, i) => {
    const addr = e.address ?? "";
    if (IPV4.test(addr) || addr.includes(":") || addr === "localhost")
      report("warning", ["spec", "endpoints", i, "address"], `endpoint address ${addr} is an IP address: Cloudflare Workers cannot fetch a raw IP (error 1003); fine for local development, use a DNS name in production`, "edge-ip");
    const ports = new Set<number>();
    for (const p of spec.ports ?? []) ports.add(e.ports?.[p.name ?? ""] ?? p.targetPort ?? p.number);
    for (const p of ports)
      if (!STANDARD_PORTS.has(p))
        report("warning", ["spec", "endpoints", i], `endpoint port ${p} is non-standard: Workers fetch() reaches ports other than 80/443 only with the allow_custom_ports compatibility flag`, "edge-port");
  });
}

