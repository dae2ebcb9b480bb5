/**
 * Warnings for fields Istio defines that the edge accepts but does not (fully) honour
 * (Edge column "P" of ISTIO-SEMANTICS §1): the config loads, and the operator is told what is
 * ignored or approximated. Fields with no edge meaning at all are rejected by the schemas.
 */
import type { DestinationRule, Gateway, ServiceEntry, TrafficPolicy, VirtualService } from "./schema/index.ts";
import type { Report } from "./issue.ts";

type Kind = "Gateway" | "VirtualService" | "DestinationRule" | "ServiceEntry";
const EXPORT_TO = "exportTo is ignored: one edge gateway sees every namespace";

export function edgeNotes(kind: Kind, value: unknown, warn: Report): void {
  const w = (path: ReadonlyArray<string | number>, message: string) => warn("warning", path, message, "edge-ignored");
  switch (kind) {
    case "Gateway": {
      const g = value as Gateway;
      g.spec.servers.forEach((s, i) => {
        const tls = s.tls;
        if (!tls) return;
        if (tls.credentialName !== undefined || tls.credentialNames !== undefined)
          w(["spec", "servers", i, "tls", tls.credentialName !== undefined ? "credentialName" : "credentialNames"], "certificates are managed by Cloudflare (edge certificates); credentialName is ignored");
        if (tls.mode === "MUTUAL" || tls.mode === "OPTIONAL_MUTUAL")
          w(["spec", "servers", i, "tls", "mode"], `${tls.mode} client-certificate checks must be configured as Cloudflare mTLS rules; the Worker does not verify client certificates`);
        if (tls.httpsRedirect && s.port.protocol.toUpperCase() !== "HTTP")
          w(["spec", "servers", i, "tls", "httpsRedirect"], `httpsRedirect only affects plain HTTP servers; this server is ${s.port.protocol}`);
      });
      return;
    }
    case "VirtualService": {
      const vs = value as VirtualService;
      if (vs.spec.exportTo) w(["spec", "exportTo"], EXPORT_TO);
      vs.spec.http?.forEach((r, i) => {
        const at = ["spec", "http", i];
        r.match?.forEach((m, j) => {
          if (m.statPrefix !== undefined) w([...at, "match", j, "statPrefix"], "statPrefix (Envoy per-route stats) is ignored at the edge");
        });
        if (r.mirror_percent !== undefined) w([...at, "mirror_percent"], "mirror_percent is deprecated; use mirrorPercentage: {value: N}");
        if (r.retries?.retryRemoteLocalities !== undefined) w([...at, "retries", "retryRemoteLocalities"], "retryRemoteLocalities is ignored: the edge has no localities");
        const d = r.fault?.delay;
        if (d && d.percentage === undefined)
          w([...at, "fault", "delay"], d.percent !== undefined ? "delay.percent is deprecated; use percentage: {value: N}" : "a delay without percentage never fires (Istio's default is 0%)");
        if (r.fault?.abort && r.fault.abort.percentage === undefined) w([...at, "fault", "abort"], "an abort without percentage never fires (Istio's default is 0%)");
        if (r.fault?.abort?.grpcStatus !== undefined) w([...at, "fault", "abort", "grpcStatus"], "grpcStatus aborts answer with HTTP 200 and a grpc-status trailer only for gRPC clients");
        const body = r.directResponse?.body;
        const size = body?.string !== undefined ? body.string.length : body?.bytes !== undefined ? (body.bytes.length * 3) / 4 : 0;
        if (size > 100 * 1024) w([...at, "directResponse", "body"], `directResponse body is ${Math.round(size / 1024)} KiB; Istio warns above 100 KiB (it is stored in every route table copy)`);
      });
      return;
    }
    case "DestinationRule": {
      const dr = value as DestinationRule;
      if (dr.spec.exportTo) w(["spec", "exportTo"], EXPORT_TO);
      if (dr.spec.trafficPolicy) policyNotes(dr.spec.trafficPolicy, ["spec", "trafficPolicy"], w);
      dr.spec.subsets?.forEach((s, i) => s.trafficPolicy && policyNotes(s.trafficPolicy, ["spec", "subsets", i, "trafficPolicy"], w));
      return;
    }
    case "ServiceEntry": {
      const se = value as ServiceEntry;
      if (se.spec.exportTo) w(["spec", "exportTo"], EXPORT_TO);
      if (se.spec.subjectAltNames) w(["spec", "subjectAltNames"], "subjectAltNames is ignored: fetch() verifies origin certificates against the host name");
      se.spec.endpoints?.forEach((e, i) => {
        for (const f of ["network", "locality", "serviceAccount"] as const)
          if (e[f] !== undefined) w(["spec", "endpoints", i, f], `${f} is ignored at the edge`);
      });
      return;
    }
  }
}

function policyNotes(p: TrafficPolicy, at: ReadonlyArray<string | number>, w: (path: ReadonlyArray<string | number>, m: string) => void): void {
  const notEnforced = "is accepted but not enforced: each Worker isolate sees only its own requests";
  const cp = p.connectionPool;
  for (const f of ["http1MaxPendingRequests", "http2MaxRequests", "maxRetries"] as const)
    if (cp?.http?.[f] !== undefined) w([...at, "connectionPool", "http", f], `${f} ${notEnforced}`);
  if (cp?.tcp?.connectTimeout !== undefined) w([...at, "connectionPool", "tcp", "connectTimeout"], "connectTimeout is not enforced: fetch() has no connect timeout (the route timeout still applies)");
  if (p.outlierDetection) {
    w([...at, "outlierDetection"], "outlierDetection is tracked per Worker isolate: each isolate ejects endpoints from its own observations");
    if (p.outlierDetection.consecutiveErrors !== undefined)
      w([...at, "outlierDetection", "consecutiveErrors"], "consecutiveErrors is deprecated; use consecutive5xxErrors or consecutiveGatewayErrors");
  }
  if (p.tls?.insecureSkipVerify) w([...at, "tls", "insecureSkipVerify"], "insecureSkipVerify is ignored: fetch() always verifies origin certificates");
  if (p.tls?.subjectAltNames) w([...at, "tls", "subjectAltNames"], "subjectAltNames is ignored: fetch() verifies certificates against the host name");
  if (p.tls?.mode === "MUTUAL") w([...at, "tls", "mode"], "MUTUAL needs a client certificate bound to the Worker (wrangler mtls_certificates)");
  if (p.retryBudget) w([...at, "retryBudget"], `retryBudget ${notEnforced}`);
  if (p.loadBalancer?.warmup || p.loadBalancer?.warmupDurationSecs)
    w([...at, "loadBalancer", p.loadBalancer.warmup ? "warmup" : "warmupDurationSecs"], "slow-start warmup is ignored at the edge");
  p.portLevelSettings?.forEach((pl, i) => policyNotes(pl as TrafficPolicy, [...at, "portLevelSettings", i], w));
}
