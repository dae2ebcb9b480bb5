/**
 * ServiceEntry (networking.istio.io) — ISTIO-SEMANTICS §1.4. At the edge a ServiceEntry names
 * an origin: its `endpoints` are where traffic goes (address, ports, labels, weight); its port
 * protocol picks http:// or https:// (DESIGN.md §3).
 *
 * `location` is accepted and ignored: every origin is outside any mesh from a Worker's view.
 * `resolution` is accepted: the edge always resolves names with DNS through fetch().
 */
import { z } from "zod";
import { apiVersion, enumOf, exportTo, host, int, Metadata, obj, port, rejected, str, stringMap } from "./common.ts";

export const SE_PROTOCOLS = ["HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB"] as const;

export const ServicePort = obj({
  number: port(),
  protocol: z
    .string({ error: "expected a protocol such as HTTP or HTTPS" })
    .superRefine((p, ctx) => {
      if (!(SE_PROTOCOLS as readonly string[]).includes(p.toUpperCase()))
        ctx.addIssue({
          code: "custom",
          message: ["TCP", "TLS", "MONGO", "MYSQL", "REDIS", "UDP"].includes(p.toUpperCase())
            ? `protocol ${p} is L4; the edge proxies HTTP only (use HTTP or HTTPS)`
            : `expected one of ${SE_PROTOCOLS.join(", ")}, got ${JSON.stringify(p)}`,
        });
    })
    .optional(),
  name: str().optional(),
  targetPort: port().optional(),
});

export const WorkloadEntry = obj({
  address: str("an address (DNS name or IP)").optional(),
  ports: z.record(str(), port()).optional(),
  labels: stringMap().optional(),
  weight: int(0, 4_294_967_295, "a load-balancing weight").optional(),
  network: str().optional(),
  locality: str().optional(),
  serviceAccount: str().optional(),
});

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
// RFC 1123 host name (underscores tolerated, as in many real DNS names), optional trailing dot.
const DNS_NAME = /^(?=.{1,253}\.?$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?)*\.?$/;

/**
 * An endpoint address becomes the authority of every upstream URL (`http://<address>:<port>` +
 * path), so it must be exactly a host: an IPv4 address, an IPv6 address (without brackets, as
 * Istio writes it) or a DNS name. Anything else (`a.com/x`, `a.com#`, `user@a.com`, `a.com:80`)
 * would change what the URL means, or make it invalid and every request to it a 500.
 */
export function addressProblem(address: string): string | null {
  if (IPV4.test(address) || DNS_NAME.test(address)) return null;
  if (address.includes(":") && /^[0-9A-Fa-f:.]+$/.test(address)) {
    try {
      if (new URL(`http://[${address}]/`).hostname !== "") return null;
    } catch {
      // not an IPv6 address either
    }
  }
  return `expected a DNS name, an IPv4 or an IPv6 address (no scheme, port, path or brackets), got ${JSON.stringify(address)}`;
}

export const ServiceEntrySpec = obj({
  hosts: z.array(host({ wildcard: "suffix", star: false })),
  addresses: rejected("addresses", "virtual IPs/CIDRs capture L4 traffic inside a mesh; the edge routes by Host"),
  ports: z.array(ServicePort).optional(),
  location: enumOf(["MESH_EXTERNAL", "MESH_INTERNAL"]).optional(),
  resolution: enumOf(["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"]).optional(),
  endpoints: z.array(WorkloadEntry).optional(),
  workloadSelector: rejected("workloadSelector", "it selects mesh workloads; list origins under endpoints instead"),
  exportTo: exportTo(),
  subjectAltNames: z.array(str()).optional(),
}).superRefine((se, ctx) => {
  if (se.hosts.length === 0) ctx.addIssue({ code: "custom", path: ["hosts"], message: "a ServiceEntry needs at least one host" });
  const numbers = new Set<number>();
  const names = new Set<string>();
  se.ports?.forEach((p, i) => {
    if (numbers.has(p.number)) ctx.addIssue({ code: "custom", path: ["ports", i, "number"], message: `port ${p.number} is listed twice` });
    numbers.add(p.number);
    if (p.name !== undefined) {
      if (names.has(p.name)) ctx.addIssue({ code: "custom", path: ["ports", i, "name"], message: `port name ${JSON.stringify(p.name)} is used twice` });
      names.add(p.name);
    }
  });
  se.endpoints?.forEach((e, i) => {
    if (e.address === undefined || e.address === "")
      ctx.addIssue({ code: "custom", path: ["endpoints", i], message: "an endpoint needs an address (the origin's DNS name or IP)" });
    if (e.address?.startsWith("unix://"))
      ctx.addIssue({ code: "custom", path: ["endpoints", i, "address"], message: "unix domain sockets are not reachable from a Worker" });
    else if (e.address) {
      const problem = addressProblem(e.address);
      if (problem) ctx.addIssue({ code: "custom", path: ["endpoints", i, "address"], message: problem });
    }
    for (const name of Object.keys(e.ports ?? {}))
      if (se.ports && !se.ports.some((p) => p.name === name))
        ctx.addIssue({ code: "custom", path: ["endpoints", i, "ports", name], message: `endpoint port ${JSON.stringify(name)} names no port of this ServiceEntry (known: ${se.ports.map((p) => p.name ?? p.number).join(", ")})` });
  });
});

export const ServiceEntry = obj({
  apiVersion: apiVersion(),
  kind: z.literal("ServiceEntry"),
  metadata: Metadata,
  spec: ServiceEntrySpec,
});

export type ServicePort = z.infer<typeof ServicePort>;
export type WorkloadEntry = z.infer<typeof WorkloadEntry>;
export type ServiceEntrySpec = z.infer<typeof ServiceEntrySpec>;
export type ServiceEntry = z.infer<typeof ServiceEntry>;
