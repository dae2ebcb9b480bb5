import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseKvNamespaces, routesNamespaceId } from "./wrangler-toml.ts";

const TOML = `
name = "edge-gateway"  # comment
[vars]
CONFIG_REFRESH_SECONDS = "30"

[[kv_namespaces]]
binding = "OTHER"
id = "other-id"

[[kv_namespaces]]
binding = "ROUTES" # the one
id = "top-id"
preview_id = "preview"

[env.staging]
name = "edge-gateway-staging"
[[env.staging.kv_namespaces]]
binding = 'ROUTES'
id = "staging-id"

[env.production]
kv_namespaces = [ { binding = "ROUTES", id = "prod-id" }, { binding = "X", id = "x#not-a-comment" } ]
`;

describe("wrangler.toml ROUTES namespace", () => {
  it("reads the top-level and per-environment bindings, including the inline form", () => {
    const m = parseKvNamespaces(TOML);
    expect(m.get("")).toEqual([
      { binding: "OTHER", id: "other-id", preview_id: undefined },
      { binding: "ROUTES", id: "top-id", preview_id: "preview" },
    ]);
    expect(m.get("staging")).toEqual([{ binding: "ROUTES", id: "staging-id", preview_id: undefined }]);
    expect(m.get("production")).toEqual([
      { binding: "ROUTES", id: "prod-id", preview_id: undefined },
      { binding: "X", id: "x#not-a-comment", preview_id: undefined },
    ]);
  });

  it("does not inherit top-level bindings into an environment (wrangler does not either)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "toml-"));
    const file = path.join(dir, "wrangler.toml");
    writeFileSync(file, TOML + "\n[env.dev]\nname = \"d\"\n");
    expect(routesNamespaceId(file, undefined)).toBe("top-id");
    expect(routesNamespaceId(file, "staging")).toBe("staging-id");
    expect(routesNamespaceId(file, "production")).toBe("prod-id");
    expect(() => routesNamespaceId(file, "dev")).toThrow('no [[env.dev.kv_namespaces]] entry with binding = "ROUTES"');
    expect(() => routesNamespaceId(path.join(dir, "missing.toml"), undefined)).toThrow(/cannot read/);
  });

  it("reads the project's own wrangler.toml", () => {
    expect(routesNamespaceId("wrangler.toml", undefined)).toMatch(/^[0-9a-f]{32}$/);
    expect(routesNamespaceId("wrangler.toml", "production")).toMatch(/^[0-9a-f]{32}$/);
  });
});
