/**
 * Gateway (gateway.networking.k8s.io v1/v1beta1), GATEWAY-API-SEMANTICS §2: listeners are where
 * traffic is accepted. Admission rules (OpenAPI + CEL of the CRD) are errors here; what a
 * controller reports only in status (unsupported protocols, conflicts, certificates) is a warning
 * from the compiler.
 */
import { z } from "zod";
import { enumOf, Metadata, obj, str } from "../schema/common.ts";
import { GATEWAY_API_VERSIONS, group, hostname, kind, LabelSelector, objectName, portNumber, sectionName, status } from "./common.ts";

export const RouteGroupKind = obj({ group: group().optional(), kind: kind() });

const SecretObjectReference = obj({
  group: group().optional(),
  kind: kind().optional(),
  name: objectName(),
  namespace: str().optional(),
});

export const ListenerTLS = obj({
  mode: enumOf(["Terminate", "Passthrough"]).optional(),
  certificateRefs: z.array(SecretObjectReference).optional(),
  options: z.record(z.string(), str()).optional(),
  frontendValidation: z.unknown().optional(),
});

export const AllowedRoutes = obj({
  namespaces: obj({
    from: enumOf(["All", "Same", "Selector", "None"]).optional(),
    selector: LabelSelector.optional(),
  }).optional(),
  kinds: z.array(RouteGroupKind).optional(),
});

export const Listener = obj({
  name: sectionName("a listener name"),
  hostname: hostname().optional(),
  port: portNumber(),
  protocol: str("a protocol such as HTTP or HTTPS").superRefine((p, ctx) => {
    if (!/^[a-zA-Z0-9]([-a-zA-Z0-9]{0,61}[a-zA-Z0-9])?(\/[a-zA-Z0-9]+)?$|^[a-z0-9]([-a-z0-9.]*[a-z0-9])?\/[a-zA-Z0-9]+$/.test(p))
      ctx.addIssue({ code: "custom", message: `expected a protocol such as HTTP, HTTPS, TLS, TCP or UDP (or a domain-prefixed custom one), got ${JSON.stringify(p)}` });
  }),
  tls: ListenerTLS.optional(),
  allowedRoutes: AllowedRoutes.optional(),
});

export const GatewayApiGatewaySpec = obj({
  gatewayClassName: objectName("a gatewayClassName"),
  listeners: z.array(Listener),
  addresses: z.array(z.unknown()).optional(),
  infrastructure: z.unknown().optional(),
  tls: z.unknown().optional(),
  allowedListeners: z.unknown().optional(),
  defaultScope: z.unknown().optional(),
}).superRefine((g, ctx) => {
  // CEL rules on the listener list (gateway_types.go), GATEWAY-API-SEMANTICS §2.2.
  if (g.listeners.length < 1 || g.listeners.length > 64)
    ctx.addIssue({ code: "custom", path: ["listeners"], message: `a Gateway has 1 to 64 listeners, got ${g.listeners.length}` });
  const names = new Map<string, number>();
  const triples = new Map<string, number>();
  g.listeners.forEach((l, i) => {
    const proto = l.protocol;
    if (names.has(l.name)) ctx.addIssue({ code: "custom", path: ["listeners", i, "name"], message: `listener name ${JSON.stringify(l.name)} is already used by listeners[${names.get(l.name)}]` });
    else names.set(l.name, i);
    const triple = `${l.port}|${proto}|${l.hostname ?? ""}`;
    if (triples.has(triple))
      ctx.addIssue({ code: "custom", path: ["listeners", i], message: `listeners[${triples.get(triple)}] already has port ${l.port}, protocol ${proto} and hostname ${JSON.stringify(l.hostname ?? "")}: (port, protocol, hostname) must be unique` });
    else triples.set(triple, i);
    if ((proto === "HTTP" || proto === "TCP" || proto === "UDP") && l.tls !== undefined)
      ctx.addIssue({ code: "custom", path: ["listeners", i, "tls"], message: `tls must not be set for protocol ${proto}` });
    if ((proto === "TCP" || proto === "UDP") && l.hostname !== undefined)
      ctx.addIssue({ code: "custom", path: ["listeners", i, "hostname"], message: `hostname must not be set for protocol ${proto}` });
    if (proto === "HTTPS") {
      if (l.tls === undefined) ctx.addIssue({ code: "custom", path: ["listeners", i], message: "an HTTPS listener needs tls (mode Terminate with certificateRefs)" });
      else {
        if ((l.tls.mode ?? "Terminate") !== "Terminate") ctx.addIssue({ code: "custom", path: ["listeners", i, "tls", "mode"], message: "tls mode must be Terminate for protocol HTTPS" });
        else if (!l.tls.certificateRefs?.length && !l.tls.options)
          ctx.addIssue({ code: "custom", path: ["listeners", i, "tls"], message: "tls mode Terminate needs certificateRefs (or options); at the edge they are ignored (Cloudflare terminates TLS) but the API server requires them" });
      }
    }
    const from = l.allowedRoutes?.namespaces?.from;
    if (from === "Selector" && l.allowedRoutes?.namespaces?.selector === undefined)
      ctx.addIssue({ code: "custom", path: ["listeners", i, "allowedRoutes", "namespaces"], message: "from: Selector needs a selector" });
  });
});

export const GatewayApiGateway = obj({
  apiVersion: enumOf(GATEWAY_API_VERSIONS),
  kind: z.literal("Gateway"),
  metadata: Metadata,
  spec: GatewayApiGatewaySpec,
  status: status(),
});

export type GatewayApiGateway = z.infer<typeof GatewayApiGateway>;
export type GatewayApiListener = z.infer<typeof Listener>;

// A ReferenceGrant (GEP-709) lives in the namespace of the referents it permits.
const ReferenceGrantFrom = obj({ group: group(), kind: kind(), namespace: str("a namespace") });
const ReferenceGrantTo = obj({ group: group(), kind: kind(), name: objectName().optional() });

export const ReferenceGrant = obj({
  apiVersion: enumOf([...GATEWAY_API_VERSIONS, "gateway.networking.k8s.io/v1alpha2"] as const),
  kind: z.literal("ReferenceGrant"),
  metadata: Metadata,
  spec: obj({
    from: z.array(ReferenceGrantFrom).min(1, { error: "a ReferenceGrant needs at least one `from` entry" }),
    to: z.array(ReferenceGrantTo).min(1, { error: "a ReferenceGrant needs at least one `to` entry" }),
  }),
});
export type ReferenceGrant = z.infer<typeof ReferenceGrant>;

/** Core v1 Namespace: only its labels matter (listener `allowedRoutes.namespaces.selector`). */
export const Namespace = obj({
  apiVersion: z.literal("v1"),
  kind: z.literal("Namespace"),
  metadata: obj({
    name: str("a namespace name"),
    labels: z.record(z.string(), str()).optional(),
    annotations: z.record(z.string(), str()).optional(),
    uid: str().optional(),
    resourceVersion: str().optional(),
    creationTimestamp: str().optional(),
  }),
  spec: z.unknown().optional(),
  status: status(),
});
export type Namespace = z.infer<typeof Namespace>;

