/**
 * `routes analyze`: warnings about configs that are valid but probably wrong (unreachable or
 * duplicate routes, VirtualServices no Gateway serves, unused DestinationRules, subsets without
 * endpoints, endpoints that fail on Cloudflare), located like errors. `validate` prints them too.
 */
import { formatIssue } from "../../src/config/index.ts";
import { EXIT_FAILURE, EXIT_OK, boolFlag } from "../lib/args.ts";
import type { Command } from "../lib/io.ts";
import { MAX_FILE_BYTES_FLAG, build, readOptions } from "../lib/build.ts";

export const analyzeCommand: Command = {
  spec: {
    name: "analyze",
    summary: "Warn about routes that can never match, unused rules, empty subsets and edge pitfalls.",
    usage: "[--strict] <file|dir>...",
    flags: [{ name: "strict", type: "boolean", description: "exit 1 when there is any warning (for CI)" }, MAX_FILE_BYTES_FLAG],
    positionals: { min: 1, name: "<file|dir>" },
  },
  async run(args, io) {
    // Bounded memory, as validate (issue #16 item 2, build.ts): the findings come with the build.
    const b = await build(args.positionals, { ...readOptions(args), lowMemory: "auto", keepObjects: false, analyze: true });
    try {
      for (const i of b.issues) (i.severity === "error" ? io.err : io.out)(formatIssue(i));
      if (!b.table) return EXIT_FAILURE;
      const warnings = b.issues.filter((i) => i.severity === "warning").length;
      io.out(warnings === 0 ? "no findings" : `${warnings} warning(s)`);
      return boolFlag(args, "strict") && warnings > 0 ? EXIT_FAILURE : EXIT_OK;
    } finally {
      b.close();
    }
  },
};
