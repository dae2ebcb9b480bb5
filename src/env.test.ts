import { describe, expect, it } from "vitest";
import { adminHostAllowed, settings } from "./env.ts";

/** Every var at its default: the settings of an env that sets none. */
const DEFAULT_SETTINGS = settings({});

describe("settings(env)", () => {
  it("applies the documented defaults", () => {
    expect(DEFAULT_SETTINGS).toEqual({
      refreshMs: 30_000,
      exposeConfigVersion: true,
      pathNormalization: "BASE",
      resilience: { retryBufferLimitBytes: 1_048_576, subrequestBudget: 50, mirrorShadowHostSuffix: "" },
      accessLog: { mode: "errors", sample: 1 },
      state: { refreshMs: 5000, cacheSeconds: 2, healthCheckWindowMs: 55_000 },
      shardCacheBytes: 8_388_608,
      adminHosts: null,
      warnings: [],
    });
  });

  it("reads the vars", () => {
    const s = settings({
      CONFIG_REFRESH_SECONDS: "0",
      EXPOSE_CONFIG_VERSION: "off",
      PATH_NORMALIZATION: " merge_slashes ",
      RETRY_BUFFER_LIMIT_BYTES: "2048",
      SUBREQUEST_BUDGET: "1000",
      MIRROR_SHADOW_HOST_SUFFIX: "-shadow",
      ACCESS_LOG: "all",
      ACCESS_LOG_SAMPLE: "0.1",
      STATE_REFRESH_SECONDS: "1",
      STATE_CACHE_SECONDS: "0",
      HEALTH_CHECK_WINDOW_SECONDS: "0",
      SHARD_CACHE_BYTES: "1048576",
      ADMIN_HOSTS: "admin.example.com",
    });
    expect(s).toEqual({
      refreshMs: 0,
      exposeConfigVersion: false,
      pathNormalization: "MERGE_SLASHES",
      resilience: { retryBufferLimitBytes: 2048, subrequestBudget: 1000, mirrorShadowHostSuffix: "-shadow" },
      accessLog: { mode: "all", sample: 0.1 },
      state: { refreshMs: 1000, cacheSeconds: 0, healthCheckWindowMs: 0 },
      shardCacheBytes: 1_048_576,
      adminHosts: { exact: new Set(["admin.example.com"]), suffixes: [] },
      warnings: [],
    });
  });

  it("keeps BASE for an unknown PATH_NORMALIZATION and says which value was not understood", () => {
    const s = settings({ PATH_NORMALIZATION: "MERGE_SLASH" });
    expect(s.pathNormalization).toBe("BASE");
    expect(s.warnings).toEqual(['PATH_NORMALIZATION="MERGE_SLASH" is not one of BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES; using BASE']);
  });

  it("keeps the default SHARD_CACHE_BYTES for a value that is not a byte count of at least 64 KiB, and says so", () => {
    for (const raw of ["8MB", "-1", "1000", "100000.5"]) {
      const s = settings({ SHARD_CACHE_BYTES: raw });
      expect(s.shardCacheBytes).toBe(8_388_608);
      expect(s.warnings).toEqual([`SHARD_CACHE_BYTES=${JSON.stringify(raw)} is not a whole number of bytes ≥ 65536; using 8388608`]);
    }
  });

  it("parses an env object once", () => {
    const env = { CONFIG_REFRESH_SECONDS: "5" };
    expect(settings(env)).toBe(settings(env));
    expect(settings({ CONFIG_REFRESH_SECONDS: "5" })).not.toBe(settings(env));
  });
});

describe("ADMIN_HOSTS", () => {
  const allowed = (vars: string, host: string) => adminHostAllowed(settings({ ADMIN_HOSTS: vars }).adminHosts, host);

  it("unset or empty: every host", () => {
    expect(DEFAULT_SETTINGS.adminHosts).toBeNull();
    expect(settings({ ADMIN_HOSTS: "  " }).adminHosts).toBeNull();
    expect(adminHostAllowed(null, "shop.example.com")).toBe(true);
  });

  it("exact names, case-insensitive, a trailing dot ignored; comma or space separated", () => {
    for (const host of ["admin.example.com", "ADMIN.example.com", "admin.example.com.", "ops.example.net"]) {
      expect(allowed("Admin.Example.com, ops.example.net", host), host).toBe(true);
      expect(allowed("admin.example.com ops.example.net", host), host).toBe(true);
    }
    for (const host of ["shop.example.com", "example.com", "x.admin.example.com", "admin.example.com.evil.net", "admin-example.com"]) {
      expect(allowed("admin.example.com,ops.example.net", host), host).toBe(false);
    }
  });

  it("*.name allows any name below it, not the name itself", () => {
    expect(allowed("*.ops.example.com", "a.ops.example.com")).toBe(true);
    expect(allowed("*.ops.example.com", "a.b.ops.example.com")).toBe(true);
    expect(allowed("*.ops.example.com", "ops.example.com")).toBe(false);
    expect(allowed("*.ops.example.com", "xops.example.com")).toBe(false);
  });

  it("an entry that is not a hostname is ignored with a warning: a typo narrows, never widens", () => {
    const s = settings({ ADMIN_HOSTS: "admin.example.com, https://admin.example.com/, *" });
    expect(s.warnings).toEqual([
      'ADMIN_HOSTS entry "https://admin.example.com/" is not a hostname or *.hostname; ignored',
      'ADMIN_HOSTS entry "*" is not a hostname or *.hostname; ignored',
    ]);
    expect(adminHostAllowed(s.adminHosts, "admin.example.com")).toBe(true);
    expect(adminHostAllowed(s.adminHosts, "shop.example.com")).toBe(false);
    const none = settings({ ADMIN_HOSTS: "admin.example.com:8443" });
    expect(none.warnings.at(-1)).toBe('ADMIN_HOSTS="admin.example.com:8443" names no valid host; the admin surface answers on none');
    expect(adminHostAllowed(none.adminHosts, "admin.example.com")).toBe(false);
  });
});
