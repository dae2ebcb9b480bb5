/** `routes versions`: the push history, newest first, the active version marked. */
import type { Command, Io } from "../lib/io.ts";
import { EXIT_OK } from "../lib/args.ts";
import { TARGET_FLAGS, openTarget } from "../lib/target.ts";
import { readActive, readHistory } from "../../src/store/release.ts";

export const versionsCommand: Command = {
  spec: {
    name: "versions",
    summary: "List the pushed versions, newest first; * marks the active one.",
    usage: "[--local [--persist-to DIR] | --remote] [--env NAME]",
    flags: TARGET_FLAGS,
    positionals: { min: 0, max: 0, name: "arguments" },
  },
  async run(args, io) {
    const { kv } = openTarget(args);
    try {
      const [active, history] = await Promise.all([readActive(kv), readHistory(kv)]);
      io.out(`versions in ${kv.target}:`);
      if (history.length === 0 && !active) {
        io.out("  (none: push a config first)");
        return EXIT_OK;
      }
      for (const e of history) {
        const isActive = e.version === active?.version;
        const mark = isActive ? "*" : " ";
        const state = isActive ? `  ← active since ${active!.activatedAt} (${active!.reason})` : "";
        io.out(`${mark} ${e.version.slice(0, 12)}  ${e.pushedAt}  ${e.summary}${state}`);
        if (e.sources.length > 0) io.out(`    sources: ${e.sources.join(", ")}`);
      }
      if (active && !history.some((e) => e.version === active.version)) {
        io.out(`* ${active.version.slice(0, 12)}  (active since ${active.activatedAt}, not in the history)`);
      }
      printFullActive(io, active?.version);
      return EXIT_OK;
    } finally {
      await kv.close();
    }
  },
};

function printFullActive(io: Io, version: string | undefined): void {
  if (version) io.out(`active: ${version}`);
  else io.out("active: none (the Worker answers 503 until a version is pushed)");
}
