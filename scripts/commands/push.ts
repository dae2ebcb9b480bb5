/**
 * `routes push <file|dir>...`: validate + compile; on ANY error nothing is written. Otherwise the
 * version, the history and the active pointer (last) are written (src/store/release.ts).
 */
import type { Command } from "../lib/io.ts";
import { EXIT_FAILURE, EXIT_OK } from "../lib/args.ts";
import { MAX_FILE_BYTES_FLAG, build, printIssues, readOptions, summaryLine } from "../lib/build.ts";
import { DRY_RUN_FLAG, TARGET_FLAGS, openTarget } from "../lib/target.ts";
import { ReleaseError, pushVersion, short } from "../../src/store/release.ts";
import { printPlan } from "../lib/plan.ts";
import { FileStash } from "../lib/shard-stash.ts";
import { HISTORY_LIMIT } from "../../src/store/keys.ts";
import { GATEWAY_FLAGS, activateOnGateway, gatewayTarget, waitUntilServed } from "../lib/gateway.ts";

export const pushCommand: Command = {
  spec: {
    name: "push",
    summary: "Validate, compile and upload a new version, then make it active (pointer written last).",
    usage: "[--local [--persist-to DIR] | --remote] [--env NAME] [--config FILE] [--dry-run] [--gateway URL [--wait [--wait-timeout S]]] <file|dir>...",
    flags: [...TARGET_FLAGS, DRY_RUN_FLAG, ...GATEWAY_FLAGS, MAX_FILE_BYTES_FLAG],
    positionals: { min: 1, name: "<file|dir>" },
    notes: [
      "Any error: nothing is written and the active version stays (exit 1).",
      `Keeps the last ${HISTORY_LIMIT} versions; older ones are deleted after the pointer flip.`,
      "Without --local the real namespace is written through `npx wrangler kv key … --remote`.",
      "--gateway URL also sets the gateway's state-plane pointer (token: GATEWAY_ADMIN_TOKEN): every location serves the version within seconds instead of KV's minute; --wait returns once URL serves it (exit 1 on timeout).",
    ],
  },
  async run(args, io) {
    // Arguments and wrangler.toml first: a usage error must not wait for a compile.
    const target = openTarget(args);
    const gateway = gatewayTarget(args);
    let closeBuild = () => {};
    try {
      // No `analyze` here. Bounded memory from 4 MiB of route files: files one at a time, rules in
      // a spill file, objects let go before the table is hashed and sharded (issue #16 item 2,
      // build.ts LOW_MEMORY_FROM_BYTES).
      const b = await build(args.positionals, { ...readOptions(args), keepObjects: false, lowMemory: "auto" });
      closeBuild = () => b.close();
      printIssues(io, b);
      if (!b.table) {
        io.err(`push refused: the config has errors; nothing was written to ${target.kv.target}`);
        return EXIT_FAILURE;
      }
      const summary = summaryLine(b.table);
      io.out(`compiled version ${b.table.hash}: ${summary}`);
      const now = io.now();
      // The shards wait on disk between planning and writing (not made twice from the spilled rules).
      const stash = new FileStash();
      let outcome;
      try {
        outcome = await pushVersion(target.kv, { table: b.table, summary, sources: b.sources, now, stash });
      } finally {
        stash.close();
      }
      if (outcome.kind === "already-active") {
        io.out(`version ${short(outcome.version)} is already active in ${target.kv.target}: nothing to push`);
        if (gateway?.wait && !target.dryRun) return (await waitUntilServed(gateway, outcome.version, io)) ? EXIT_OK : EXIT_FAILURE;
        return EXIT_OK;
      }
      if (target.dryRun) {
        printPlan(io, target.dryRun, target.inner);
        if (gateway) io.out(`would set the state-plane pointer at ${gateway.base.origin} to ${short(outcome.version)}`);
        return EXIT_OK;
      }
      io.out(`${outcome.versionWritten ? "uploaded" : "already stored"}: ${outcome.version} in ${target.kv.target}`);
      io.out(`active: ${short(outcome.version)} (was ${outcome.previous ? short(outcome.previous) : "none"})`);
      if (outcome.deleted.length) io.out(`deleted ${outcome.deleted.length} version(s) that fell out of the history: ${outcome.deleted.map(short).join(", ")}`);
      if (gateway) {
        // The same pointer KV now holds (same activatedAt), so the two copies agree.
        await activateOnGateway(gateway, { version: outcome.version, activatedAt: now.toISOString(), reason: "push" }, io);
        if (gateway.wait) return (await waitUntilServed(gateway, outcome.version, io)) ? EXIT_OK : EXIT_FAILURE;
      } else if (target.local) io.out("a running `npm run dev` on this state picks it up at its next refresh (CONFIG_REFRESH_SECONDS)");
      return EXIT_OK;
    } catch (e) {
      if (e instanceof ReleaseError) {
        io.err(`push refused: ${e.message}`);
        return EXIT_FAILURE;
      }
      throw e;
    } finally {
      closeBuild();
      await target.kv.close();
    }
  },
};
