/**
 * Gateway (networking.istio.io) — ISTIO-SEMANTICS §1.1. The edge *is* the gateway: `selector`
 * is accepted and ignored (every Istio example has one), servers decide which hosts are served
 * and whether plain HTTP is redirected to https. The schema follows Istio's validation
 * (istio:val ValidateGateway, validateServer, validateTLSOptions).
 *
 * At the edge Cloudflare terminates TLS: certificates, cipher suites and TLS versions are ignored
 * with a warning (edge-notes.ts); L4 servers (TCP, TLS, Mongo…) and TLS passthrough are edge errors.
 */
import { z } from "zod";
import { apiVersion, bool, DNS1123_LABEL, enumOf, hostProblem, int, isIpAddress, ISTIO_LABEL, Metadata, obj, str, stringMap } from "./common.ts";
import { isHttpProtocol, isTlsProtocol, protocolName } from "./service-entry.ts";

/** The server protocols the edge serves. */
export const GATEWAY_PROTOCOLS = ["HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB"] as const;

export const GatewayPort = obj({
  // 0 only with a unix:// bind (istio:val validateServerPort / validateServerBind; checked in Server).
  number: int(0, 65535, "a port number"),
  protocol: protocolName(),
  name: str("a port name").superRefine((n, ctx) => {
    if (n === "") ctx.addIssue({ code: "custom", message: "port name must be set" });
  }),
  /** Istio rejects any targetPort on a Gateway ("targetPort has no impact on Gateways"). */
  targetPort: z
    .number()
    .superRefine((v, ctx) => {
      if (v > 0) ctx.addIssue({ code: "custom", message: "targetPort has no impact on Gateways; remove it" });
    })
    .optional(),
});

const TLS_MODES = ["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"] as const;

/** istio:val validateTLSOptions. An absent mode is PASSTHROUGH (proto3's zero value). */
export const ServerTLSSettings = obj({
  httpsRedirect: bool().optional(),
  mode: enumOf(TLS_MODES).optional(),
  credentialName: str().optional(),
  credentialNames: z.array(str()).optional(),
  serverCertificate: str().optional(),
  privateKey: str().optional(),
  caCertificates: str().optional(),
  caCrl: str().optional(),
  caCertCredentialName: str().optional(),
  tlsCertificates: z.array(obj({ serverCertificate: str().optional(), privateKey: str().optional(), caCertificates: str().optional() })).optional(),
  subjectAltNames: z.array(str()).optional(),
  verifyCertificateSpki: z.array(str()).optional(),
  verifyCertificateHash: z.array(str()).optional(),
  minProtocolVersion: enumOf(["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]).optional(),
  maxProtocolVersion: enumOf(["TLS_AUTO", "TLSV1_0", "TLSV1_1", "TLSV1_2", "TLSV1_3"]).optional(),
  cipherSuites: z.array(str()).optional(),
}).superRefine((t, ctx) => {
  // istio:val validateTLSOptions, rule by rule (its warnings — cipher suites, more than two
  // certificates, certificates on PASSTHROUGH — are in edge-notes.ts).
  const add = (path: Array<string | number>, message: string) => ctx.addIssue({ code: "custom", path, message });
  const mode = t.mode ?? "PASSTHROUGH";
  if (mode === "ISTIO_MUTUAL") {
    if (t.serverCertificate) add(["serverCertificate"], "ISTIO_MUTUAL TLS cannot have an associated server certificate");
    if (t.privateKey) add(["privateKey"], "ISTIO_MUTUAL TLS cannot have an associated private key");
    if (t.caCertificates) add(["caCertificates"], "ISTIO_MUTUAL TLS cannot have an associated CA bundle");
    if (t.tlsCertificates?.length) add(["tlsCertificates"], "ISTIO_MUTUAL TLS cannot have associated tlsCertificates");
    if (t.credentialName) add(["credentialName"], "ISTIO_MUTUAL TLS cannot have an associated credentialName");
    if (t.credentialNames?.length) add(["credentialNames"], "ISTIO_MUTUAL TLS cannot have associated credentialNames");
    return;
  }
  // One certificate source only: a file pair, credentialName, credentialNames or tlsCertificates.
  const sources = [t.serverCertificate && t.privateKey, t.credentialName, t.credentialNames?.length, t.tlsCertificates?.length].filter(Boolean).length;
  if (sources > 1) add([], "only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified");
  const terminating = mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL";
  // Credentials fetched by name carry their own certificates and CA: nothing more is required.
  if (terminating && (t.credentialName || t.credentialNames?.length)) return;
  if (terminating) {
    const prefix = mode === "SIMPLE" ? "SIMPLE TLS" : "MUTUAL TLS";
    if (mode !== "SIMPLE" && !t.caCertificates) add(["caCertificates"], `${prefix} requires a client CA bundle (or credentialName)`);
    const certs = t.tlsCertificates?.length ? t.tlsCertificates.map((c, i) => ({ c, at: ["tlsCertificates", i] as Array<string | number> })) : [{ c: t, at: [] as Array<string | number> }];
    for (const { c, at } of certs) {
      if (!c.serverCertificate) add([...at, "serverCertificate"], `${prefix} requires a server certificate (or credentialName)`);
      if (!c.privateKey) add([...at, "privateKey"], `${prefix} requires a private key (or credentialName)`);
    }
  }
  if (t.caCrl) {
    if (t.credentialName) add(["caCrl"], "caCrl is not supported with credentialName: put the CRL in the credential");
    if (mode === "SIMPLE") add(["caCrl"], "caCrl is not supported with SIMPLE TLS");
  }
});

/** `[namespace/]dnsName` (ISTIO-SEMANTICS §1.1 server.hosts). */
export function gatewayHostProblem(h: string): string | null {
  const slash = h.indexOf("/");
  const ns = slash >= 0 ? h.slice(0, slash) : null;
  const name = slash >= 0 ? h.slice(slash + 1) : h;
  if (ns !== null && ns !== "*" && ns !== "." && !DNS1123_LABEL.test(ns))
    return `invalid namespace ${JSON.stringify(ns)} in ${JSON.stringify(h)}: expected "*", "." or a namespace name`;
  if (name === "") return `empty host name in ${JSON.stringify(h)}`;
  if (name !== "*" && !name.includes(".") && !isIpAddress(name))
    return `short host name ${JSON.stringify(name)} is not allowed in a Gateway; use a fully qualified name`;
  if (name.includes("*") && name !== "*" && !name.startsWith("*.")) return `partial wildcard ${JSON.stringify(name)} is not allowed in a Gateway; use "*.example.com"`;
  if (isIpAddress(name)) return null; // Istio accepts IPs as Gateway hosts
  return hostProblem(name, { wildcard: "suffix", star: true });
}

export const Server = obj({
  port: GatewayPort,
  hosts: z.array(
    str("a host").superRefine((h, ctx) => {
      const p = gatewayHostProblem(h);
      if (p) ctx.addIssue({ code: "custom", message: p });
    }),
  ),
  tls: ServerTLSSettings.optional(),
  name: str().optional(),
  bind: str("an IP address or unix:// path")
    .superRefine((b, ctx) => {
      if (b.startsWith("unix://")) {
        const p = b.slice(7);
        if (!(p.startsWith("@") || (p.startsWith("/") && !p.endsWith("/")))) ctx.addIssue({ code: "custom", message: `${p} is not an absolute path to a file` });
      } else if (b !== "" && !isIpAddress(b)) ctx.addIssue({ code: "custom", message: `${JSON.stringify(b)} is not a valid IP address` });
    })
    .optional(),
  defaultEndpoint: str().optional(),
}).superRefine((s, ctx) => {
  if (s.hosts.length === 0) ctx.addIssue({ code: "custom", path: ["hosts"], message: "a server needs at least one host" });
  const unixBind = s.bind?.startsWith("unix://") === true;
  if (s.port.number === 0 && !unixBind) ctx.addIssue({ code: "custom", path: ["port", "number"], message: "expected a port number from 1 to 65535, got 0 (0 only with a unix:// bind)" });
  if (s.port.number !== 0 && unixBind) ctx.addIssue({ code: "custom", path: ["port", "number"], message: "port number must be 0 for a unix domain socket bind" });
  const proto = s.port.protocol;
  if (isTlsProtocol(proto) && s.tls === undefined)
    ctx.addIssue({ code: "custom", path: ["tls"], message: "an HTTPS/TLS server needs tls settings (for example {mode: SIMPLE, credentialName: …})" });
  else if (!isTlsProtocol(proto) && s.tls !== undefined) {
    const passthrough = (s.tls.mode ?? "PASSTHROUGH") === "PASSTHROUGH" || s.tls.mode === "AUTO_PASSTHROUGH";
    if (!isHttpProtocol(proto))
      ctx.addIssue({ code: "custom", path: ["tls"], message: `a ${proto} server cannot have tls settings (only HTTPS/TLS servers can)` });
    else if (!passthrough || s.tls.caCertificates || s.tls.privateKey || s.tls.serverCertificate)
      ctx.addIssue({ code: "custom", path: ["tls"], message: "a plain-text HTTP server cannot have TLS settings (only tls.httpsRedirect)" });
  }
});

export const GatewaySpec = obj({
  /** Which Istio gateway pods run this Gateway: meaningless at the edge (it is the gateway); ignored. */
  selector: stringMap().optional(),
  servers: z.array(Server),
}).superRefine((g, ctx) => {
  if (g.servers.length === 0) ctx.addIssue({ code: "custom", path: ["servers"], message: "a Gateway needs at least one server" });
  const names = new Map<string, number>();
  g.servers.forEach((s, i) => {
    const prev = names.get(s.port.name);
    if (prev !== undefined)
      ctx.addIssue({ code: "custom", path: ["servers", i, "port", "name"], message: `port name ${JSON.stringify(s.port.name)} is already used by servers[${prev}]` });
    else names.set(s.port.name, i);
  });
});

export const Gateway = obj({
  apiVersion: apiVersion(),
  kind: z.literal("Gateway"),
  metadata: Metadata,
  spec: GatewaySpec,
}).superRefine((g, ctx) => {
  // istio:val ValidateGateway: a gateway name is a DNS-1123 label (no dots).
  if (!ISTIO_LABEL.test(g.metadata.name))
    ctx.addIssue({ code: "custom", path: ["metadata", "name"], message: `invalid gateway name ${JSON.stringify(g.metadata.name)}: a Gateway name must be a DNS-1123 label (no dots)` });
});

export type GatewayPort = z.infer<typeof GatewayPort>;
export type ServerTLSSettings = z.infer<typeof ServerTLSSettings>;
export type Server = z.infer<typeof Server>;
export type GatewaySpec = z.infer<typeof GatewaySpec>;
export type Gateway = z.infer<typeof Gateway>;
