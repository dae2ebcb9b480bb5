/** `routes rollback [VERSION]`: flip the active pointer back; nothing else is written. */
import type { Command } from "../lib/io.ts";
import { EXIT_FAILURE, EXIT_OK } from "../lib/args.ts";
import { TARGET_FLAGS, openTarget } from "../lib/target.ts";
import { ReleaseError, rollback, short } from "../../src/store/release.ts";
import { GATEWAY_FLAGS, activateOnGateway, gatewayTarget, waitUntilServed } from "../lib/gateway.ts";

export const rollbackCommand: Command = {
  spec: {
    name: "rollback",
    summary: "Make an older version active again: the one pushed before the active one, or VERSION (hash or unique prefix).",
    usage: "[--local [--persist-to DIR] | --remote] [--env NAME] [--gateway URL [--wait [--wait-timeout S]]] [VERSION]",
    flags: [...TARGET_FLAGS, ...GATEWAY_FLAGS],
    positionals: { min: 0, max: 1, name: "VERSION" },
    notes: [
      "Only the active-version pointer changes; the version must still be stored (see `versions`).",
      "--gateway URL also sets the gateway's state-plane pointer (token: GATEWAY_ADMIN_TOKEN), so the rollback lands everywhere within seconds; --wait returns once URL serves it.",
    ],
  },
  async run(args, io) {
    const { kv } = openTarget(args);
    const gateway = gatewayTarget(args);
    try {
      const now = io.now();
      const outcome = await rollback(kv, args.positionals[0], now);
      if (outcome.kind === "already-active") {
        io.out(`version ${short(outcome.version)} is already active in ${kv.target}: nothing to do`);
        if (gateway?.wait) return (await waitUntilServed(gateway, outcome.version, io)) ? EXIT_OK : EXIT_FAILURE;
        return EXIT_OK;
      }
      io.out(`rolled back in ${kv.target}: ${short(outcome.version)} is active (was ${outcome.previous ? short(outcome.previous) : "none"})`);
      if (gateway) {
        await activateOnGateway(gateway, { version: outcome.version, activatedAt: now.toISOString(), reason: "rollback" }, io);
        if (gateway.wait) return (await waitUntilServed(gateway, outcome.version, io)) ? EXIT_OK : EXIT_FAILURE;
      }
      return EXIT_OK;
    } catch (e) {
      if (e instanceof ReleaseError) {
        io.err(`rollback refused: ${e.message}`);
        return EXIT_FAILURE;
      }
      throw e;
    } finally {
      await kv.close();
    }
  },
};
