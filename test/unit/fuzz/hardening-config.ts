/**
 * The config the hardening suites attack (unit: facts + decide; e2e: the real Worker):
 *   shop.example.com  /admin → 403 (deny rule)   /public → origin   /rx/… → origin, rewrite strips "/rx/"
 *                     /go/… → redirect           /echo-header → origin with %REQ()% header ops
 *   ci.example.com    /admin (ignoreUriCase) → 403, everything else → origin (a catch-all)
 * The origin is one ServiceEntry endpoint (127.0.0.1:<port> in e2e).
 */
import { compile } from "../../../src/compile/index.ts";
import type { RouteTable } from "../../../src/table/types.ts";
import { loadConfig } from "../../../src/config/index.ts";

export function hardeningYaml(originPort: number): string {
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: edge}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: [shop.example.com, ci.example.com]
---
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {name: origin}
spec:
  hosts: [origin.internal]
  ports: [{number: 80, name: http, protocol: HTTP}]
  resolution: STATIC
  endpoints:
  - address: 127.0.0.1
    ports: {http: ${originPort}}
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: shop}
spec:
  hosts: [shop.example.com]
  gateways: [edge]
  http:
  - name: deny-admin
    match: [{uri: {prefix: /admin}}]
    directResponse: {status: 403, body: {string: "forbidden"}}
  - name: public
    match: [{uri: {prefix: /public}}]
    route: [{destination: {host: origin.internal}}]
  - name: strip-rx
    match: [{uri: {prefix: /rx/}}]
    rewrite:
      uriRegexRewrite: {match: "^/rx/(.*)", rewrite: "\\\\1"}
    route: [{destination: {host: origin.internal}}]
  - name: go
    match: [{uri: {prefix: /go/}}]
    redirect: {prefixRewrite: /landing/, redirectCode: 302}
  - name: echo-header
    match: [{uri: {prefix: /echo-header}}]
    headers:
      request:
        set: {x-copied: "%REQ(x-input)%", x-path: "%REQ(:path)%"}
      response:
        set: {x-resp-copied: "%REQ(x-input)%"}
    route: [{destination: {host: origin.internal}}]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ci}
spec:
  hosts: [ci.example.com]
  gateways: [edge]
  http:
  - name: deny-admin-any-case
    match: [{uri: {prefix: /admin}, ignoreUriCase: true}]
    directResponse: {status: 403, body: {string: "forbidden"}}
  - name: everything-else
    route: [{destination: {host: origin.internal}}]
`;
}

/**
 * "What an origin would read": one that decodes every escape once (`%2F` included), treats `\\` as
 * `/`, strips `;params`, merges slashes (unless told not to), resolves dot segments and ignores
 * case — looser than any real server we know, so a path such an origin cannot read as `/admin` is
 * safe for stricter ones too.
 */
export function lenientOriginView(target: string, mergeSlashes = true): string {
  const path = target.split("?")[0]!;
  const decoded = path.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))).replace(/\\/g, "/");
  const out: string[] = [];
  for (const raw of decoded.split("/")) {
    const seg = raw.split(";")[0]!;
    if ((seg === "" && mergeSlashes) || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return ((mergeSlashes ? "/" : "") + out.join("/")).toLowerCase();
}

export async function hardeningTable(originPort: number): Promise<RouteTable> {
  const files = [{ path: "routes/hardening.yaml", text: hardeningYaml(originPort) }];
  const loaded = loadConfig(files);
  const errors = loaded.issues.filter((i) => i.severity === "error");
  if (errors.length) throw new Error(`hardening config does not load: ${JSON.stringify(errors)}`);
  const { table, issues } = await compile(loaded.objects, { sources: files.map((f) => f.path) });
  if (!table) throw new Error(`hardening config does not compile: ${JSON.stringify(issues)}`);
  return table;
}
