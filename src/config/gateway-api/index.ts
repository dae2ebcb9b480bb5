/**
 * Kubernetes Gateway API input (GATEWAY-API-SEMANTICS.md): Gateway, HTTPRoute, ReferenceGrant
 * and v1 Namespace objects, next to the Istio kinds of ../schema.
 */
export * from "./common.ts";
export * from "./gateway.ts";
export * from "./http-route.ts";
