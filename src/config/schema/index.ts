export * from "./common.ts";
export * from "./headers.ts";
export * from "./virtual-service.ts";
export * from "./destination-rule.ts";
export * from "./service-entry.ts";
export * from "./gateway.ts";
