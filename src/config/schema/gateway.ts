/**
 * Gateway (networking.istio.io) — ISTIO-SEMANTICS §1.1. The edge *is* the gateway: `selector`
 * is accepted and ignored (every Istio example has one), servers decide which hosts are served
 * and whether plain HTTP is redirected to https. TLS is terminated by Cloudflare, so certificate
 * fields that name Kubernetes secrets are accepted with a warning (load.ts) and file-based
 * certificate and cipher settings are rejected.
 */
import { z } from "zod";
import { apiVersion, bool, DNS1123_LABEL, enumOf, hostProblem, Metadata, obj, port, rejected, str, stringMap } from "./common.ts";

export const GATEWAY_PROTOCOLS = ["HTTP", "HTTPS", "HTTP2", "GRPC", "GRPC-WEB"] as const;

export const GatewayPort = obj({
  number: port(),
  protocol: str("a protocol such as HTTP or HTTPS").superRefine((p, ctx) => {
    if ((GATEWAY_PROTOCOLS as readonly string[]).includes(p.toUpperCase())) return;
    ctx.addIssue({
      code: "custom",
      message: ["TCP", "TLS", "MONGO"].includes(p.toUpperCase())
        ? `protocol ${p} is L4; an HTTP edge serves only ${GATEWAY_PROTOCOLS.join(", ")}`
        : `expected one of ${GATEWAY_PROTOCOLS.join(", ")}, got ${JSON.stringify(p)}`,
    });
  }),
  name: str("a port name"),
  targetPort: rejected("targetPort", "it is a deprecated mesh-internal field"),
});

const cf = "Cloudflare terminates TLS with the zone's edge certificates";

export const ServerTLSSettings = obj({
  httpsRedirect: bool().optional(),
  mode: enumOf(["PASSTHROUGH", "SIMPLE", "MUTUAL", "AUTO_PASSTHROUGH", "ISTIO_MUTUAL", "OPTIONAL_MUTUAL"])
    .superRefine((m, ctx) => {
      if (m === "PASSTHROUGH" || m === "AUTO_PASSTHROUGH" || m === "ISTIO_MUTUAL")
        ctx.addIssue({ code: "custom", message: `tls mode ${m} does not exist at the edge: ${cf}; use SIMPLE (or MUTUAL with Cloudflare mTLS)` });
    })
    .optional(),
  credentialName: str().optional(),
  credentialNames: z.array(str()).optional(),
  serverCertificate: rejected("serverCertificate", cf),
  privateKey: rejected("privateKey", cf),
  caCertificates: rejected("caCertificates", cf),
  caCrl: rejected("caCrl", cf),
  caCertCredentialName: rejected("caCertCredentialName", cf),
  tlsCertificates: rejected("tlsCertificates", cf),
  subjectAltNames: rejected("subjectAltNames", "client certificates are checked by Cloudflare mTLS rules"),
  verifyCertificateSpki: rejected("verifyCertificateSpki", "client certificates are checked by Cloudflare mTLS rules"),
  verifyCertificateHash: rejected("verifyCertificateHash", "client certificates are checked by Cloudflare mTLS rules"),
  minProtocolVersion: rejected("minProtocolVersion", "set the minimum TLS version in the Cloudflare dashboard (SSL/TLS → Edge Certificates)"),
  maxProtocolVersion: rejected("maxProtocolVersion", "TLS versions are set in the Cloudflare dashboard"),
  cipherSuites: rejected("cipherSuites", "cipher suites are set in the Cloudflare dashboard"),
});

/** `[namespace/]dnsName` (ISTIO-SEMANTICS §1.1 server.hosts). */
export function gatewayHostProblem(h: string): string | null {
  const slash = h.indexOf("/");
  const ns = slash >= 0 ? h.slice(0, slash) : null;
  const name = slash >= 0 ? h.slice(slash + 1) : h;
  if (ns !== null && ns !== "*" && ns !== "." && !DNS1123_LABEL.test(ns))
    return `invalid namespace ${JSON.stringify(ns)} in ${JSON.stringify(h)}: expected "*", "." or a namespace name`;
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(":")) return null; // IPs are accepted by Istio
  if (name !== "*" && !name.startsWith("*") && !name.includes("."))
    return `short host name ${JSON.stringify(name)} is not allowed in a Gateway; use a fully qualified name`;
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
  bind: rejected("bind", "the edge listens on Cloudflare's anycast addresses"),
  defaultEndpoint: rejected("defaultEndpoint", "it is not implemented by Istio either"),
}).superRefine((s, ctx) => {
  if (s.hosts.length === 0) ctx.addIssue({ code: "custom", path: ["hosts"], message: "a server needs at least one host" });
  const proto = s.port.protocol.toUpperCase();
  if (proto === "HTTPS" && s.tls === undefined)
    ctx.addIssue({ code: "custom", path: ["tls"], message: "an HTTPS server needs a tls block (for example {mode: SIMPLE, credentialName: …})" });
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
});

export type GatewayPort = z.infer<typeof GatewayPort>;
export type ServerTLSSettings = z.infer<typeof ServerTLSSettings>;
export type Server = z.infer<typeof Server>;
export type GatewaySpec = z.infer<typeof GatewaySpec>;
export type Gateway = z.infer<typeof Gateway>;
