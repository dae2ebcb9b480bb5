import { defineConfig } from "vitest/config";
import { cloudflareTest } from "@cloudflare/vitest-plugin";

// Three tiers (DESIGN.md §7):
//  unit   – pure modules in Node (src/**/*.test.ts, test/unit, test/golden)
//  worker – the Worker inside workerd through @cloudflare/vitest-plugin
//  cli    – the routes CLI on real local KV state and under wrangler dev (test/cli)
//  e2e    – real origin servers on 127.0.0.1 behind the real Worker (Miniflare API)
export default defineConfig({
  test: {
    reporters: ["default", "./test/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          environment: "node",
          include: ["src/**/*.test.ts", "test/unit/**/*.test.ts", "test/golden/**/*.test.ts", "scripts/**/*.test.ts"],
        },
      },
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: { bindings: { CONFIG_REFRESH_SECONDS: "0", ADMIN_TOKEN: "test-admin-token" } },
          }),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts"],
        },
      },
      {
        // The routes CLI against real local KV state, wrangler (faked for --remote) and wrangler dev.
        test: {
          name: "cli",
          environment: "node",
          include: ["test/cli/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          environment: "node",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["test/e2e/harness/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
