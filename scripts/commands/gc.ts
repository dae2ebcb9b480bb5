/** `routes gc --keep N`: delete old versions and the shards only they use. */
import type { Command } from "../lib/io.ts";
import { EXIT_FAILURE, EXIT_OK, UsageError, stringFlag } from "../lib/args.ts";
import { TARGET_FLAGS, openTarget } from "../lib/target.ts";
import { ReleaseError, gc, short } from "../../src/store/release.ts";

export const gcCommand: Command = {
  spec: {
    name: "gc",
    summary: "Keep the newest N versions (and the active one); delete the others and every shard no kept version uses.",
    usage: "[--local [--persist-to DIR] | --remote] [--env NAME] --keep N",
    flags: [...TARGET_FLAGS, { name: "keep", type: "string", value: "N", description: "how many versions of the history to keep (≥ 1)" }],
    positionals: { min: 0, max: 0, name: "arguments" },
    notes: ["Shards are shared by versions: a shard is deleted only when no kept version names it."],
  },
  async run(args, io) {
    const raw = stringFlag(args, "keep");
    if (raw === undefined || !/^[1-9][0-9]*$/.test(raw)) throw new UsageError("gc needs --keep N (a whole number ≥ 1)");
    const { kv } = openTarget(args);
    try {
      const out = await gc(kv, Number(raw));
      io.out(`kept ${out.kept.length} version(s) in ${kv.target}: ${out.kept.map(short).join(", ") || "none"}`);
      io.out(`deleted ${out.deleted.length} version(s)${out.deleted.length ? `: ${out.deleted.map(short).join(", ")}` : ""} and ${out.shardsDeleted} shard(s) no kept version uses`);
      return EXIT_OK;
    } catch (e) {
      if (e instanceof ReleaseError) {
        io.err(`gc refused: ${e.message}`);
        return EXIT_FAILURE;
      }
      throw e;
    } finally {
      await kv.close();
    }
  },
};
