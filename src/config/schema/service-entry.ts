/**
 * ServiceEntry (networking.istio.io) — ISTIO-SEMANTICS §1.4. At the edge a ServiceEntry names
 * an origin: its `endpoints` are where traffic goes (address, ports, labels, weight); its port
 * protocol picks http:// or https:// (DESIGN.md §3). The schema follows Istio's validation
 * (istio:val ValidateServiceEntry): resolution rules, port names, endpoint addresses.
 *
 * Ignored at the edge (edge-notes.ts): `addresses`, `location`, `workloadSelector`, `exportTo`,
 * `subjectAltNames`, endpoint network/locality/serviceAccount, L4 ports. Edge errors: unix
 * domain socket endpoints (nothing a Worker can reach).
 */
import { z } from "zod";
import { apiVersion, enumOf, exportTo, fqdnProblem, host, int, isIpAddress, ISTIO_LABEL, labelMap, Metadata, obj, port, str, alphaWorkloadSelector, wildcardDomainProblem } from "./common.ts";

/** istio:protocol Parse: every protocol name Istio knows (case-insensitive). */
export const ISTIO_PROTOCOLS = ["HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY", "TCP", "TLS", "UDP", "MONGO", "REDIS", "MYSQL"] as const;
export const isHttpProtocol = (p: string | undefined) => p !== undefined && ["HTTP", "HTTP2", "GRPC", "GRPC-WEB", "HTTP_PROXY"].includes(p.toUpperCase());
export const isTlsProtocol = (p: string | undefined) => p !== undefined && (p.toUpperCase() === "HTTPS" || p.toUpperCase() === "TLS");

export const protocolName = () =>
  str("a protocol such as HTTP or HTTPS").superRefine((p, ctx) => {
    if (!(ISTIO_PROTOCOLS as readonly string[]).includes(p.toUpperCase()))
      ctx.addIssue({ code: "custom", message: `unsupported protocol ${JSON.stringify(p)}: expected one of ${ISTIO_PROTOCOLS.join(", ")}` });
  });

const portName = () =>
  str("a port name").superRefine((n, ctx) => {
    if (!ISTIO_LABEL.test(n)) ctx.addIssue({ code: "custom", message: `invalid port name ${JSON.stringify(n)}: expected a DNS-1123 label such as "http"` });
  });

export const ServicePort = obj({
  number: port(),
  protocol: z.union([z.literal(""), protocolName()]).optional(),
  // Istio requires a valid, unique name (istio:val ValidatePortName): endpoints refer to ports by name.
  name: portName().optional(),
  targetPort: port().optional(),
});

export const WorkloadEntry = obj({
  address: str("an address (DNS name or IP)").optional(),
  ports: z.record(str(), port()).optional(),
  labels: labelMap().optional(),
  weight: int(0, 4_294_967_295, "a load-balancing weight").optional(),
  network: str().optional(),
  locality: str().optional(),
  serviceAccount: str().optional(),
});

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/**
 * An endpoint address becomes the authority of every upstream URL (`http://<address>:<port>` +
 * path), so it must be exactly a host: an IPv4 address, an IPv6 address (without brackets, as
 * Istio writes it) or a DNS name (Istio's FQDN rule). Anything else (`a.com/x`, `user@a.com`,
 * `a.com:80`) is rejected by Istio too.
 */
export function addressProblem(address: string): string | null {
  if (IPV4.test(address) || isIpAddress(address) || fqdnProblem(address) === null) return null;
  return `endpoint address ${JSON.stringify(address)} is not a valid FQDN or an IP address (no scheme, port, path or brackets)`;
}

const RESOLUTIONS = ["NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN", "DYNAMIC_DNS"] as const;

export const ServiceEntrySpec = obj({
  hosts: z.array(str("a host")),
  addresses: z.array(str("an IP address or CIDR")).optional(),
  ports: z.array(ServicePort).optional(),
  location: enumOf(["MESH_EXTERNAL", "MESH_INTERNAL"]).optional(),
  resolution: enumOf(RESOLUTIONS).optional(),
  endpoints: z.array(WorkloadEntry).optional(),
  workloadSelector: alphaWorkloadSelector().optional(),
  exportTo: exportTo(true),
  subjectAltNames: z.array(str()).optional(),
}).superRefine((se, ctx) => {
  const add = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
  const resolution = se.resolution ?? "NONE"; // proto3 default
  if (se.hosts.length === 0) add(["hosts"], "a ServiceEntry needs at least one host");
  se.hosts.forEach((h, i) => {
    if (h === "*") return add(["hosts", i], `invalid host "*": a ServiceEntry must name its hosts`);
    const p = wildcardDomainProblem(h);
    if (p) add(["hosts", i], p);
  });
  let cidr = false;
  se.addresses?.forEach((a, i) => {
    const [ip, bits, extra] = a.split("/");
    cidr ||= bits !== undefined;
    const ok = extra === undefined && isIpAddress(ip!) && (bits === undefined || (/^\d{1,3}$/.test(bits) && Number(bits) <= (ip!.includes(":") ? 128 : 32)));
    if (!ok) add(["addresses", i], `${JSON.stringify(a)} is not a valid IP address or CIDR block`);
  });
  if (cidr && resolution !== "NONE" && resolution !== "STATIC") add(["addresses"], "CIDR addresses are allowed only with resolution NONE or STATIC");
  if (se.workloadSelector && se.endpoints) add(["workloadSelector"], "a ServiceEntry takes workloadSelector or endpoints, not both");
  const numbers = new Set<number>();
  const names = new Set<string>();
  se.ports?.forEach((p, i) => {
    if (numbers.has(p.number)) add(["ports", i, "number"], `port ${p.number} is listed twice`);
    numbers.add(p.number);
    const name = p.name ?? "";
    if (names.has(name)) add(["ports", i, "name"], `port name ${JSON.stringify(name)} is used twice`);
    names.add(name);
    if (p.name === undefined) add(["ports", i], "a ServiceEntry port needs a name (a DNS-1123 label such as \"http\")");
  });
  const epPorts = (e: (typeof se.endpoints & {})[number], i: number) => {
    for (const name of Object.keys(e.ports ?? {})) {
      if (!names.has(name)) add(["endpoints", i, "ports", name], `endpoint port ${JSON.stringify(name)} is not defined by the ServiceEntry (ports: ${[...names].filter(Boolean).join(", ") || "none"})`);
      else if (!ISTIO_LABEL.test(name)) add(["endpoints", i, "ports", name], `invalid port name ${JSON.stringify(name)}`);
    }
  };
  switch (resolution) {
    case "NONE":
      if (se.endpoints?.length) add(["endpoints"], "no endpoints should be provided for resolution NONE (the default): set resolution STATIC or DNS");
      break;
    case "STATIC":
      se.endpoints?.forEach((e, i) => {
        const a = e.address ?? "";
        // istio:val validateWorkloadEntry: an endpoint without address is allowed (with a warning) when it names a network.
        if (a === "") {
          if (!e.network) add(["endpoints", i], "an endpoint needs an address");
        } else if (a.startsWith("unix://")) {
          const path = a.slice(7);
          if (!(path.startsWith("@") || (path.startsWith("/") && !path.endsWith("/")))) add(["endpoints", i, "address"], `${path} is not an absolute path to a file`);
          else if (e.ports && Object.keys(e.ports).length) add(["endpoints", i, "ports"], `unix endpoint ${a} must not include ports`);
          if ((se.ports?.length ?? 0) !== 1) add(["endpoints", i, "address"], "exactly 1 service port is required for unix endpoints");
        } else if (!isIpAddress(a))
          add(["endpoints", i, "address"], `endpoint address ${JSON.stringify(a)} is not a valid IP address (resolution STATIC takes IPs; use resolution DNS for host names)`);
        epPorts(e, i);
      });
      break;
    case "DNS":
    case "DNS_ROUND_ROBIN":
    case "DYNAMIC_DNS":
      if (!se.endpoints?.length && resolution !== "DYNAMIC_DNS")
        se.hosts.forEach((h, i) => {
          if (fqdnProblem(h) !== null && h !== "*" && wildcardDomainProblem(h) === null)
            add(["hosts", i], `hosts must be fully qualified (no wildcard) when resolution is ${resolution} and there are no endpoints`);
        });
      if (resolution === "DNS_ROUND_ROBIN" && (se.endpoints?.length ?? 0) > 1) add(["endpoints"], "there must be only 0 or 1 endpoint for resolution DNS_ROUND_ROBIN");
      if (resolution === "DYNAMIC_DNS") {
        if (se.endpoints?.length) add(["endpoints"], "no endpoints should be provided for resolution DYNAMIC_DNS");
        se.hosts.forEach((h, i) => {
          if (!h.startsWith("*.")) add(["hosts", i], "resolution DYNAMIC_DNS requires wildcard hosts (*.example.com)");
        });
      }
      se.endpoints?.forEach((e, i) => {
        const a = e.address ?? "";
        const problem = a === "" ? "an endpoint needs an address" : addressProblem(a);
        if (problem) add(["endpoints", i, "address"], problem);
        epPorts(e, i);
      });
      break;
  }
  // Several hosts behind one non-HTTP, non-TLS port cannot be told apart (istio:val).
  if (resolution !== "NONE" && se.hosts.length > 1)
    for (const [i, p] of (se.ports ?? []).entries())
      if (!isHttpProtocol(p.protocol) && !isTlsProtocol(p.protocol)) {
        add(["ports", i, "protocol"], "multiple hosts provided with a non-HTTP, non-TLS port (set protocol HTTP, HTTPS, GRPC…)");
        break;
      }
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
