import { describe, expect, it } from "vitest";
import { errors, load, marked } from "./helpers.ts";

const vs = (spec: string, name = "shop") => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
${spec}`;

const cases: Array<[name: string, doc: string, severity: "error" | "warning", path: string, message: RegExp]> = [
  ["rejects a gateway that does not exist", vs(`  hosts: [a.example.com]\n  gateways: [⟨edg]\n  http: [{route: [{destination: {host: api.example.com}}]}]`), "error", "spec.gateways[0]", /gateway "edg" \(default\/edg\) is not defined; defined gateways: default\/edge/],
  ["resolves a bare gateway name in the VirtualService's namespace", `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop, namespace: shop}\nspec:\n  hosts: [a.example.com]\n  gateways: [⟨edge]\n  http: [{route: [{destination: {host: api.example.com}}]}]`, "error", "spec.gateways[0]", /\(shop\/edge\) is not defined/],
  ["rejects a match gateway that does not exist", vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{match: [{gateways: [⟨other/edge]}], route: [{destination: {host: api.example.com}}]}]`), "error", "spec.http[0].match[0].gateways[0]", /"other\/edge" \(other\/edge\) is not defined/],
  ["warns that a VirtualService without gateways applies to the mesh only", `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: shop}\n⟨spec:\n  hosts: [a.example.com]\n  http: [{route: [{destination: {host: api.example.com}}]}]`, "warning", "spec", /applies to the mesh only; the edge does not serve it/],
  ["warns when gateways lists only mesh", vs(`  hosts: [a.example.com]\n  ⟨gateways: [mesh]\n  http: [{route: [{destination: {host: api.example.com}}]}]`), "warning", "spec.gateways", /mesh only/],
  ["rejects a subset no DestinationRule defines", vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{route: [{destination: {host: api.example.com, subset: ⟨v9}}]}]`), "error", "spec.http[0].route[0].destination.subset", /subset "v9" is not defined for host "api.example.com"; DestinationRule default\/api defines "v1"/],
  ["rejects a subset for a host without DestinationRule", vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{route: [{destination: {host: b.example.com, subset: ⟨v1}}]}]`), "error", "spec.http[0].route[0].destination.subset", /needs a DestinationRule for host "b.example.com", and there is none/],
  ["rejects an undefined subset on a mirror", vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{route: [{destination: {host: api.example.com}}], mirror: {host: api.example.com, subset: ⟨v2}}]`), "error", "spec.http[0].mirror.subset", /subset "v2" is not defined/],
  ["rejects a delegate that does not exist", vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{⟨delegate: {name: reviews}}]`), "error", "spec.http[0].delegate", /delegate VirtualService default\/reviews is not defined/],
  ["rejects a delegate that has hosts", `${vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{⟨delegate: {name: other}}]`)}\n---\n${vs(`  hosts: [b.example.com]\n  gateways: [edge]\n  http: [{route: [{destination: {host: api.example.com}}]}]`, "other")}`, "error", "spec.http[0].delegate", /must not set hosts or gateways/],
  ["rejects overlapping hosts in one VirtualService", vs(`  hosts: ["*.example.com", ⟨a.example.com]\n  gateways: [edge]\n  http: [{route: [{destination: {host: api.example.com}}]}]`), "error", "spec.hosts[1]", /duplicate hosts in the VirtualService: "\*.example.com" and "a.example.com"/],
  ["rejects host * without gateways", vs(`  hosts: [⟨"*"]\n  http: [{route: [{destination: {host: api.example.com}}]}]`), "error", "spec.hosts[0]", /only allowed when gateways lists gateways/],
  ["rejects tcp routes because they are L4", vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{route: [{destination: {host: api.example.com}}]}]\n  tcp: [⟨{route: [{destination: {host: db}}]}]`), "error", "spec.tcp[0]", /tcp routes cannot be served: the edge proxies HTTP only/],
];

describe("cross-object references and VirtualService-wide rules", () => {
  it.each(cases)("%s", (_name, doc, severity, path, message) => {
    const m = marked(doc);
    const { issues } = load(m.text);
    const found = issues.filter((i) => i.path === path && i.severity === severity && message.test(i.message));
    expect(found, JSON.stringify(issues, null, 1)).toHaveLength(1);
    expect(found[0]).toMatchObject({ file: "routes/shop.yaml", line: m.line, col: m.col });
  });

  it("accepts a dot-less destination host that nothing serves, as Istio does (the compiler warns: 503 at run time)", () => {
    const { issues } = load(vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{route: [{destination: {host: reviews}}]}]`));
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  });

  it("accepts a delegate without hosts and gateways, and does not warn about it", () => {
    const text = `${vs(`  hosts: [a.example.com]\n  gateways: [edge]\n  http: [{match: [{uri: {prefix: /r}}], delegate: {name: reviews}}]`)}\n---\n${vs(`  http: [{route: [{destination: {host: api.example.com}}]}]`, "reviews")}`;
    const { issues } = load(text);
    expect(issues).toEqual([]);
  });
});
