/** `routes validate <file|dir>...`: load and compile, print every located problem, write nothing. */
import type { Command } from "../lib/io.ts";
import { EXIT_FAILURE, EXIT_OK } from "../lib/args.ts";
import { MAX_FILE_BYTES_FLAG, build, printIssues, readOptions, summaryLine } from "../lib/build.ts";
import { analyze } from "../../src/analyze/index.ts";
import { sortIssues } from "../../src/config/index.ts";

export const validateCommand: Command = {
  spec: {
    name: "validate",
    summary: "Check configs: every problem with file:line:col, field path and message (warnings too).",
    usage: "<file|dir>...",
    flags: [MAX_FILE_BYTES_FLAG],
    positionals: { min: 1, name: "<file|dir>" },
    notes: ["Folders are read recursively (*.yaml, *.yml; *.cases.yaml are golden cases, not config).", "Exit code 0 when there are no errors (warnings allowed), 1 otherwise."],
  },
  async run(args, io) {
    const b = await build(args.positionals, readOptions(args));
    // `analyze` findings are printed as warnings too (they never make a config invalid).
    if (b.table && b.objects) {
      const findings = analyze(b.objects, b.table);
      b.issues = sortIssues([...b.issues, ...findings]);
      b.warnings += findings.length;
    }
    printIssues(io, b);
    if (!b.table) {
      io.err("invalid: fix the errors above");
      return EXIT_FAILURE;
    }
    io.out(`valid: ${summaryLine(b.table)} (version ${b.table.hash.slice(0, 12)})`);
    return EXIT_OK;
  },
};
