/** `routes diff <file|dir>...`: what a push would change against the active version. */
import type { Command } from "../lib/io.ts";
import { EXIT_FAILURE, EXIT_OK } from "../lib/args.ts";
import { MAX_FILE_BYTES_FLAG, build, printIssues, readOptions } from "../lib/build.ts";
import { TARGET_FLAGS, openTarget } from "../lib/target.ts";
import { readActive, readVersion, short } from "../../src/store/release.ts";
import { diffTables, formatDiff } from "../../src/table/diff.ts";
import type { RouteTable } from "../../src/table/types.ts";

export const diffCommand: Command = {
  spec: {
    name: "diff",
    summary: "Compile and compare with the active version: hosts, routes (match, destinations, weights, timeouts, retries…), upstreams.",
    usage: "[--local [--persist-to DIR] | --remote] [--env NAME] <file|dir>...",
    flags: [...TARGET_FLAGS, MAX_FILE_BYTES_FLAG],
    positionals: { min: 1, name: "<file|dir>" },
    notes: ["Exit code 0 whether or not there are changes; 1 when the config has errors."],
  },
  async run(args, io) {
    const { kv } = openTarget(args);
    let closeBuild = () => {};
    try {
      // The new table in bounded memory (issue #16 item 2, build.ts); the active one is read whole.
      const b = await build(args.positionals, { ...readOptions(args), keepObjects: false, lowMemory: "auto" });
      closeBuild = () => b.close();
      if (b.errors) {
        printIssues(io, b);
        io.err("diff: the config has errors");
        return EXIT_FAILURE;
      }
      const next = b.table!;
      const active = await readActive(kv);
      let current: RouteTable | null = null;
      if (active) {
        current = await readVersion(kv, active.version);
        if (current === null) io.err(`warning: the active version ${short(active.version)} is missing from ${kv.target}; comparing with nothing`);
      }
      io.out(`${current ? `active ${short(current.hash)}` : "nothing active"} → new ${short(next.hash)} (${kv.target})`);
      for (const line of formatDiff(diffTables(current, next))) io.out(line);
      return EXIT_OK;
    } finally {
      closeBuild();
      await kv.close();
    }
  },
};
