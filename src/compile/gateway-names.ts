/**
 * Gateway references in VirtualService `gateways` and `match.gateways` (istio:vsmodel
 * resolveGatewayName, ISTIO-SEMANTICS §1.1 binding step 1): `ns/name`; a bare name is in the
 * VirtualService's own namespace; the legacy `name.namespace.svc.cluster.local` form names
 * `namespace/name`; `mesh` is reserved for sidecars and is never a Gateway.
 */
export const MESH = "mesh";

export function resolveGatewayName(name: string, vsNamespace: string): string {
  if (name === MESH || name.includes("/")) return name;
  if (name.includes(".")) {
    const [gw, ns] = name.split(".");
    return `${ns}/${gw}`;
  }
  return `${vsNamespace}/${name}`;
}
