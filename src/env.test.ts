import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, settings } from "./env.ts";

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
    });
    expect(s).toEqual({
      refreshMs: 0,
      exposeConfigVersion: false,
      pathNormalization: "MERGE_SLASHES",
      resilience: { retryBufferLimitBytes: 2048, subrequestBudget: 1000, mirrorShadowHostSuffix: "-shadow" },
      accessLog: { mode: "all", sample: 0.1 },
      state: { refreshMs: 1000, cacheSeconds: 0, healthCheckWindowMs: 0 },
      shardCacheBytes: 1_048_576,
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
