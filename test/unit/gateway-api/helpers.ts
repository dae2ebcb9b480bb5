/**
 * Gateway API test configs in YAML, compiled by the real loader and compiler (vectors/pipeline.ts
 * `build`): a Gateway `gw` in namespace `infra` with one HTTP listener on port 80, and Service
 * backends `a`, `b`, `c` of namespace `infra` port 8080 as ServiceEntries (§7.4 convention).
 */
export function gateway(listeners = "- { name: http, port: 80, protocol: HTTP }", opts: { name?: string; ns?: string } = {}): string {
  return `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: ${opts.name ?? "gw"}, namespace: ${opts.ns ?? "infra"} }
spec:
  gatewayClassName: edge
  listeners:
${listeners.split("\n").map((l) => "    " + l).join("\n")}
`;
}

export function service(name: string, ns = "infra", port = 8080): string {
  return `apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: { name: ${name}, namespace: ${ns} }
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  ports: [{ number: ${port}, name: http, protocol: HTTP }]
  resolution: DNS
  endpoints: [{ address: ${name}.${ns}.origin.example }]
`;
}

export const SERVICES = [service("a"), service("b"), service("c")].join("---\n");

/** An HTTPRoute in `infra` attached to `gw`; `rules` is YAML indented by 4 (a list). */
export function httpRoute(rules: string, opts: { name?: string; ns?: string; hostnames?: string[]; parentRefs?: string; created?: string } = {}): string {
  const created = opts.created ? `, creationTimestamp: "${opts.created}"` : "";
  const hostnames = opts.hostnames ? `  hostnames: ${JSON.stringify(opts.hostnames)}\n` : "";
  return `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${opts.name ?? "r"}, namespace: ${opts.ns ?? "infra"}${created} }
spec:
  parentRefs: ${opts.parentRefs ?? "[{ name: gw, namespace: infra }]"}
${hostnames}  rules:
${rules}`;
}

/** A rule routing `matches` (flow YAML list) to one backend. */
export function to(backend: string, matches?: string, extra = ""): string {
  const m = matches ? `      matches: ${matches}\n` : "";
  return `    - backendRefs: [{ name: ${backend}, port: 8080 }]\n${m}${extra}`;
}
