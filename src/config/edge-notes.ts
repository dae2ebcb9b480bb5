/**
 * What the edge does with a config Istio accepts (DESIGN.md §9): the schemas give Istio's verdict;
 * this module adds the edge's two kinds of finding, plus the warnings Istio's validation itself
 * emits (deprecations, no-op settings), each with its kind:
 * - "ignored" (warning): Istio accepts it, it has no meaning at the edge; the config stays valid.
 * - "edge" (error): Istio accepts it, but the edge cannot serve it as written and ignoring it
 *   would change where traffic goes; the message says why and what to do instead.
 * - "source" (warning): Istio's own warning (istio:val AppendWarningf / WrapWarning).
 */
import type { DestinationRule, Gateway, ServiceEntry, TrafficPolicy, VirtualService } from "./schema/index.ts";
import type { Report } from "./issue.ts";
import { GATEWAY_PROTOCOLS } from "./schema/gateway.ts";
import { isHttpProtocol, isTlsProtocol } from "./schema/service-entry.ts";
import { isIpAddress } from "./schema/common.ts";

type Kind = "Gateway" | "VirtualService" | "DestinationRule" | "ServiceEntry";
type Path = ReadonlyArray<string | number>;
const EXPORT_TO = "exportTo is ignored: one edge gateway sees every namespace";
const TLS_BY_CLOUDFLARE = "Cloudflare terminates TLS with the zone's edge certificates";

export function edgeNotes(kind: Kind, value: unknown, report: Report): void {
  const ignored = (path: Path, message: string) => report("warning", path, message, "edge-ignored", "ignored");
  const edgeError = (path: Path, message: string) => report("error", path, message, "edge-unsupported", "edge");
  const edgeWarning = (path: Path, message: string) => report("warning", path, message, "edge-note", "edge");
  const istioWarning = (path: Path, message: string) => report("warning", path, message, "istio-warning", "source");
  switch (kind) {
    case "Gateway": {
      const g = value as Gateway;
      g.spec.servers.forEach((s, i) => {
        const at = ["spec", "servers", i];
        const proto = s.port.protocol.toUpperCase();
        if (!(GATEWAY_PROTOCOLS as readonly string[]).includes(proto))
          edgeError([...at, "port", "protocol"], `a ${s.port.protocol} server cannot be served: the edge is an HTTP gateway (${GATEWAY_PROTOCOLS.join(", ")}); L4 traffic needs Cloudflare Spectrum or a TCP proxy in front of the origin`);
        if (s.bind?.startsWith("unix://"))
          edgeError([...at, "bind"], "a server bound to a unix domain socket has no public listener at the edge: remove bind and give the server a port");
        else if (s.bind !== undefined) ignored([...at, "bind"], "bind is ignored: the edge listens on Cloudflare's anycast addresses");
        if (s.defaultEndpoint !== undefined) ignored([...at, "defaultEndpoint"], "defaultEndpoint is ignored (Istio does not implement it for Gateways either)");
        const tls = s.tls;
        if (!tls) return;
        const mode = tls.mode ?? "PASSTHROUGH";
        if (tls.httpsRedirect && !isHttpProtocol(s.port.protocol)) istioWarning([...at, "tls", "httpsRedirect"], "tls.httpsRedirect should only be used with HTTP servers");
        if (isTlsProtocol(s.port.protocol)) {
          if (mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH")
            edgeError([...at, "tls", "mode"], `TLS ${mode}${tls.mode === undefined ? " (the default when tls.mode is absent)" : ""} cannot be served: ${TLS_BY_CLOUDFLARE} and routes on HTTP; set mode: SIMPLE (with credentialName) to terminate TLS and route by VirtualService`);
          if ((mode === "PASSTHROUGH" || mode === "AUTO_PASSTHROUGH") && (tls.caCrl || tls.serverCertificate || tls.privateKey || tls.caCertificates || tls.tlsCertificates?.length || tls.credentialName || tls.credentialNames?.length))
            istioWarning([...at, "tls"], `${mode} mode does not use certificates, they will be ignored`);
          if (mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL" || mode === "ISTIO_MUTUAL")
            ignored([...at, "tls", "mode"], `${mode} client-certificate checks are not made by the Worker: configure Cloudflare mTLS rules for them (the server is served as SIMPLE)`);
        }
        for (const f of ["credentialName", "credentialNames", "serverCertificate", "privateKey", "caCertificates", "caCrl", "caCertCredentialName", "tlsCertificates", "subjectAltNames", "verifyCertificateSpki", "verifyCertificateHash"] as const)
          if (tls[f] !== undefined && isTlsProtocol(s.port.protocol)) ignored([...at, "tls", f], `${f} is ignored: ${TLS_BY_CLOUDFLARE}`);
        for (const f of ["minProtocolVersion", "maxProtocolVersion", "cipherSuites"] as const)
          if (tls[f] !== undefined) ignored([...at, "tls", f], `${f} is ignored: TLS versions and cipher suites are set in the Cloudflare dashboard (SSL/TLS → Edge Certificates)`);
        // istio:val validateTLSOptions warnings: more than two certificates, unknown or repeated cipher suites.
        if ((mode === "SIMPLE" || mode === "MUTUAL" || mode === "OPTIONAL_MUTUAL") && !tls.credentialName && !tls.credentialNames?.length && (tls.tlsCertificates?.length ?? 0) > 2)
          istioWarning([...at, "tls", "tlsCertificates"], `${mode === "SIMPLE" ? "SIMPLE" : "MUTUAL"} TLS can support up to 2 server certificates`);
        const seen = new Set<string>();
        const unknown = new Set<string>();
        const repeated = new Set<string>();
        for (const cs of tls.cipherSuites ?? []) {
          if (!isValidCipherSuite(cs)) unknown.add(cs);
          else if (seen.has(cs)) repeated.add(cs);
          else seen.add(cs);
        }
        if (unknown.size) istioWarning([...at, "tls", "cipherSuites"], `ignoring invalid cipher suites: ${[...unknown].sort().join(", ")}`);
        if (repeated.size) istioWarning([...at, "tls", "cipherSuites"], `ignoring duplicate cipher suites: ${[...repeated].sort().join(", ")}`);
        if ((tls.minProtocolVersion === "TLSV1_0" || tls.minProtocolVersion === "TLSV1_1") && !tls.cipherSuites?.length)
          istioWarning([...at, "tls", "minProtocolVersion"], "TLS versions below TLSV1_2 require setting compatible cipher suites");
      });
      return;
    }
    case "VirtualService": {
      const vs = value as VirtualService;
      if (vs.spec.exportTo) ignored(["spec", "exportTo"], EXPORT_TO);
      vs.spec.tcp?.forEach((_, i) =>
        edgeError(["spec", "tcp", i], "tcp routes cannot be served: the edge proxies HTTP only; route TCP with Cloudflare Spectrum, or serve the origin over HTTP with an http route"),
      );
      vs.spec.tls?.forEach((t, i) => {
        edgeError(["spec", "tls", i], "tls (SNI passthrough) routes cannot be served: Cloudflare terminates TLS; use an http route on an HTTPS server (tls.mode SIMPLE)");
        // istio:val validateSniHost (validation_test.go TestValidateVirtualService "ip address as sni host").
        t.match?.forEach((m, j) =>
          m.sniHosts.forEach((h, k) => {
            if (isIpAddress(h)) istioWarning(["spec", "tls", i, "match", j, "sniHosts", k], `using an IP address (${JSON.stringify(h)}) goes against SNI spec and most clients do not support this`);
          }),
        );
      });
      vs.spec.gateways?.forEach((g, i) => {
        if (g !== "mesh" && !g.includes("/") && g.includes(".")) {
          const [name, ns] = g.split(".");
          istioWarning(["spec", "gateways", i], `legacy gateway name format ${JSON.stringify(g)}; prefer <namespace>/<name>: "${ns}/${name}"`);
        }
      });
      vs.spec.http?.forEach((r, i) => {
        const at = ["spec", "http", i];
        r.match?.forEach((m, j) => {
          if (m.statPrefix !== undefined) ignored([...at, "match", j, "statPrefix"], "statPrefix (Envoy per-route stats) is ignored at the edge");
          if (m.sourceLabels !== undefined && Object.keys(m.sourceLabels).length)
            edgeError([...at, "match", j, "sourceLabels"], "sourceLabels selects the calling workload; the edge is no workload, and ignoring it would make the match catch every request: remove it or match on a header");
          if (m.sourceNamespace)
            edgeError([...at, "match", j, "sourceNamespace"], "sourceNamespace selects the calling workload's namespace; the edge is no workload, and ignoring it would make the match catch every request: remove it or match on a header");
          for (const k of ["headers", "withoutHeaders"] as const)
            for (const name of Object.keys(m[k] ?? {}))
              if (name.startsWith("@request.auth.claims"))
                edgeError([...at, "match", j, k, name], "JWT claim routing needs Istio's RequestAuthentication; the edge does not validate JWTs, so the claim cannot be trusted: match on a header your auth layer sets instead");
        });
        if (r.mirrorPercent !== undefined || r.mirror_percent !== undefined)
          istioWarning([...at, r.mirrorPercent !== undefined ? "mirrorPercent" : "mirror_percent"], 'using deprecated setting "mirrorPercent", use "mirrorPercentage" instead');
        if (r.mirror === undefined && (r.mirrorPercentage !== undefined || r.mirrorPercent !== undefined || r.mirror_percent !== undefined))
          ignored([...at, r.mirrorPercentage !== undefined ? "mirrorPercentage" : r.mirrorPercent !== undefined ? "mirrorPercent" : "mirror_percent"], "a mirror percentage without mirror has nothing to mirror: it is ignored");
        if (r.websocketUpgrade !== undefined) ignored([...at, "websocketUpgrade"], "websocketUpgrade is ignored: Istio removed it (WebSocket upgrades need no setting)");
        if (r.retries?.retryRemoteLocalities !== undefined) ignored([...at, "retries", "retryRemoteLocalities"], "retryRemoteLocalities is ignored: the edge has no localities");
        const d = r.fault?.delay;
        if (d && d.fixedDelay === undefined) ignored([...at, "fault", "delay"], "a delay without fixedDelay delays nothing: it is ignored");
        else if (d && d.percentage === undefined)
          edgeWarning([...at, "fault", "delay"], d.percent !== undefined ? "delay.percent is deprecated; use percentage: {value: N}" : "a delay without percentage never fires (Istio's default is 0%)");
        const a = r.fault?.abort;
        if (a && a.httpStatus === undefined && a.grpcStatus === undefined && a.http2Error === undefined)
          istioWarning([...at, "fault", "abort"], "abort configured, but error type not set: it never fires");
        else if (a && a.percentage === undefined && a.percent === undefined) edgeWarning([...at, "fault", "abort"], "an abort without percentage never fires (Istio's default is 0%)");
        if (a?.grpcStatus !== undefined) edgeWarning([...at, "fault", "abort", "grpcStatus"], "grpcStatus aborts answer with HTTP 200 and a grpc-status trailer only for gRPC clients");
        const body = r.directResponse?.body;
        const size = body?.string !== undefined ? new TextEncoder().encode(body.string).length : body?.bytes !== undefined ? Math.floor((body.bytes.length * 3) / 4) : 0;
        if (size > 100 * 1024) istioWarning([...at, "directResponse", "body"], `large direct responses may impact control plane performance (${Math.round(size / 1024)} KiB; Istio warns above 100 KiB); it is stored in every route table copy`);
      });
      return;
    }
    case "DestinationRule": {
      const dr = value as DestinationRule;
      if (dr.spec.exportTo) ignored(["spec", "exportTo"], EXPORT_TO);
      if (dr.spec.workloadSelector) {
        ignored(["spec", "workloadSelector"], "workloadSelector is ignored: it selects sidecar workloads, and the edge is no workload (the rule applies to every request to its host)");
        if (!Object.keys(dr.spec.workloadSelector.matchLabels ?? {}).length) istioWarning(["spec", "workloadSelector"], "workload selector specified without labels");
      }
      if (dr.spec.trafficPolicy) policyNotes(dr.spec.trafficPolicy, ["spec", "trafficPolicy"], ignored, edgeError, edgeWarning, istioWarning);
      dr.spec.subsets?.forEach((s, i) => s.trafficPolicy && policyNotes(s.trafficPolicy, ["spec", "subsets", i, "trafficPolicy"], ignored, edgeError, edgeWarning, istioWarning));
      return;
    }
    case "ServiceEntry": {
      const se = value as ServiceEntry;
      const spec = se.spec;
      if (spec.exportTo) ignored(["spec", "exportTo"], EXPORT_TO);
      if (spec.addresses) ignored(["spec", "addresses"], "addresses are ignored: virtual IPs capture L4 traffic inside a mesh; the edge routes by host name");
      if (spec.location !== undefined) ignored(["spec", "location"], "location is ignored: from the edge every origin is outside the mesh");
      if (spec.subjectAltNames) ignored(["spec", "subjectAltNames"], "subjectAltNames is ignored: fetch() verifies origin certificates against the host name");
      if (spec.workloadSelector) {
        ignored(["spec", "workloadSelector"], "workloadSelector is ignored: it selects mesh workloads; list the origins under endpoints (or in the origins file) instead");
        if (!Object.keys(spec.workloadSelector.labels ?? {}).length) istioWarning(["spec", "workloadSelector"], "service entry: workload selector specified without labels, will be applied to all services in namespace");
        // istio:val ValidateServiceEntry warns for NONE only (validation_test.go TestValidateServiceEntries "selector and resolution DNS": no warning).
        if ((spec.resolution ?? "NONE") === "NONE") istioWarning(["spec", "workloadSelector"], "workloadSelector should not be set when resolution mode is NONE");
      }
      spec.hosts.forEach((h, i) => {
        if (h.includes("*") && h.length !== 1 && !h.startsWith("*.")) istioWarning(["spec", "hosts", i], `partial wildcard ${JSON.stringify(h)} not allowed`);
      });
      // istio:val ValidateServiceEntry warnings (validation_test.go TestValidateServiceEntries "protocol unset
      // for addresses empty", "protocol is TCP for addresses empty", "discovery type DNS, multi hosts set
      // with IP address and https port", "network set with no address on endpoint").
      if (!spec.addresses?.length)
        spec.ports?.forEach((p, i) => {
          if (!p.protocol || p.protocol === "TCP")
            istioWarning(["spec", "ports", i], "addresses are required for ports serving TCP (or unset) protocol when IP auto-allocation is not enabled");
        });
      const resolution = spec.resolution ?? "NONE";
      if ((resolution === "DNS" || resolution === "DNS_ROUND_ROBIN") && spec.addresses?.length && spec.hosts.length > 1) {
        const tcp = spec.ports?.findIndex((p) => ["TCP", "HTTPS", "TLS", "MONGO", "REDIS", "MYSQL"].includes((p.protocol ?? "").toUpperCase())) ?? -1;
        if (tcp >= 0) istioWarning(["spec", "hosts"], "service entry can not have more than one host specified simultaneously with address and tcp port");
      }
      if (resolution === "STATIC")
        spec.endpoints?.forEach((e, i) => {
          if (!e.address && e.network) {
            istioWarning(["spec", "endpoints", i], `address is unset with network ${JSON.stringify(e.network)}`);
            edgeError(["spec", "endpoints", i, "address"], `an endpoint without an address is reached through network ${JSON.stringify(e.network)}'s gateway inside the mesh, which the edge cannot do: give it an address (or list its origin in the origins file)`);
          }
        });
      spec.ports?.forEach((p, i) => {
        if (p.protocol && !isHttpProtocol(p.protocol) && !isTlsProtocol(p.protocol))
          ignored(["spec", "ports", i, "protocol"], `port ${p.number} (${p.protocol}) is ignored for L4 traffic: the edge proxies HTTP; requests routed to it are sent as HTTP`);
        if (p.targetPort !== undefined && (spec.resolution ?? "NONE") === "NONE") istioWarning(["spec", "ports", i, "targetPort"], "targetPort has no effect when resolution is NONE");
      });
      spec.endpoints?.forEach((e, i) => {
        for (const f of ["network", "locality", "serviceAccount"] as const)
          if (e[f] !== undefined) ignored(["spec", "endpoints", i, f], `${f} is ignored at the edge`);
        if (e.address?.startsWith("unix://"))
          edgeError(["spec", "endpoints", i, "address"], "a unix domain socket is not reachable from a Worker: give the origin's DNS name (or IP for local development)");
      });
      return;
    }
  }
}

function policyNotes(
  p: TrafficPolicy,
  at: Path,
  ignored: (path: Path, m: string) => void,
  edgeError: (path: Path, m: string) => void,
  edgeWarning: (path: Path, m: string) => void,
  istioWarning: (path: Path, m: string) => void,
): void {
  const notEnforced = "is accepted but not enforced: each Worker isolate sees only its own requests";
  const fetchOwns = "is ignored: Workers' fetch() manages upstream connections itself";
  const cp = p.connectionPool;
  for (const f of ["http1MaxPendingRequests", "http2MaxRequests", "maxRetries"] as const)
    if (cp?.http?.[f] !== undefined) edgeWarning([...at, "connectionPool", "http", f], `${f} ${notEnforced}`);
  for (const f of ["maxRequestsPerConnection", "idleTimeout", "h2UpgradePolicy", "useClientProtocol", "maxConcurrentStreams", "http2KeepAlive"] as const)
    if (cp?.http?.[f] !== undefined) ignored([...at, "connectionPool", "http", f], `${f} ${fetchOwns}`);
  for (const f of ["maxConnections", "tcpKeepalive", "maxConnectionDuration", "idleTimeout"] as const)
    if (cp?.tcp?.[f] !== undefined) ignored([...at, "connectionPool", "tcp", f], `tcp.${f} ${fetchOwns}`);
  if (cp?.tcp?.connectTimeout !== undefined) ignored([...at, "connectionPool", "tcp", "connectTimeout"], "connectTimeout is ignored: fetch() has no connect timeout (the route timeout still applies)");
  if (p.outlierDetection) {
    edgeWarning([...at, "outlierDetection"], "outlierDetection is tracked per Worker isolate: each isolate ejects endpoints from its own observations");
    if (p.outlierDetection.consecutiveErrors) istioWarning([...at, "outlierDetection", "consecutiveErrors"], "outlier detection consecutiveErrors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead");
  }
  const tls = p.tls;
  if (tls?.insecureSkipVerify) ignored([...at, "tls", "insecureSkipVerify"], "insecureSkipVerify is ignored: fetch() always verifies origin certificates");
  if (tls?.subjectAltNames) ignored([...at, "tls", "subjectAltNames"], "subjectAltNames is ignored: fetch() verifies certificates against the host name");
  if (tls?.mode === "ISTIO_MUTUAL") ignored([...at, "tls", "mode"], "ISTIO_MUTUAL is ignored: mesh certificates do not exist at the edge; the origin is reached with the port's protocol (set SIMPLE for https)");
  if (tls?.mode === "MUTUAL") edgeWarning([...at, "tls", "mode"], "MUTUAL needs a client certificate bound to the Worker (wrangler mtls_certificates)");
  for (const f of ["clientCertificate", "privateKey", "caCertificates", "credentialName", "caCrl"] as const)
    if (tls?.[f] !== undefined) ignored([...at, "tls", f], `${f} is ignored: upstream client certificates are bound with wrangler's mtls_certificates, and fetch() verifies origins against public CAs`);
  if (p.retryBudget) edgeWarning([...at, "retryBudget"], `retryBudget ${notEnforced}`);
  const lb = p.loadBalancer;
  if (lb?.warmup || lb?.warmupDurationSecs) ignored([...at, "loadBalancer", lb.warmup ? "warmup" : "warmupDurationSecs"], "slow-start warmup is ignored at the edge");
  if (lb?.localityLbSetting) ignored([...at, "loadBalancer", "localityLbSetting"], "localityLbSetting is ignored: locality-aware balancing needs mesh localities, and the edge has none");
  // istio:agent ValidateLocalityLbSetting: failover without outlier detection never triggers.
  if ((lb?.localityLbSetting?.failover?.length || lb?.localityLbSetting?.failoverPriority?.length) && !p.outlierDetection)
    istioWarning([...at, "loadBalancer", "localityLbSetting"], "outlier detection policy must be provided for failover");
  if (lb?.consistentHash?.minimumRingSize) istioWarning([...at, "loadBalancer", "consistentHash", "minimumRingSize"], "consistentHash minimumRingSize is deprecated, use ringHash instead");
  if (p.proxyProtocol) ignored([...at, "proxyProtocol"], "proxyProtocol is ignored: fetch() cannot send a PROXY protocol header (the origin sees Cloudflare's connection)");
  if (p.tunnel)
    edgeError([...at, "tunnel"], "tunnel cannot be served: traffic would go through an HTTP CONNECT/POST proxy, which fetch() cannot do; reach the origin directly (ServiceEntry endpoints) or remove the tunnel");
  p.portLevelSettings?.forEach((pl, i) => policyNotes(pl as TrafficPolicy, [...at, "portLevelSettings", i], ignored, edgeError, edgeWarning, istioWarning));
}

/**
 * istio:security IsValidCipherSuite: the BoringSSL names Envoy accepts (`bssl ciphers -openssl-name
 * ALL` without PSK), "" and ALL, and any expression starting with an operator (-, +, !, [).
 */
const CIPHER_SUITES = new Set([
  "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305", "ECDHE-RSA-CHACHA20-POLY1305", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA",
  "ECDHE-ECDSA-AES256-SHA", "ECDHE-RSA-AES256-SHA", "AES128-GCM-SHA256", "AES256-GCM-SHA384", "AES128-SHA", "AES256-SHA", "DES-CBC3-SHA",
]);
function isValidCipherSuite(cs: string): boolean {
  if (cs === "" || cs === "ALL") return true;
  if (!/^[\p{L}\p{N}]/u.test(cs)) return true;
  return CIPHER_SUITES.has(cs);
}
