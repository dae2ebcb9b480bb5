/** `routes validate <file|dir>...`: load and compile, print every located problem, write nothing. */
import type { Command } from "../lib/io.ts";
import { EXIT_FAILURE, EXIT_OK, boolFlag } from "../lib/args.ts";
import { MAX_FILE_BYTES_FLAG, build, printIssues, readOptions, summaryLine } from "../lib/build.ts";
import { ruleFindings } from "../../src/analyze/index.ts";
import { findingKind, formatIssue, loadConfig, sortIssues, sourceAccepts, tally } from "../../src/config/index.ts";
import { SourceError, readSources } from "../lib/files.ts";

export const validateCommand: Command = {
  spec: {
    name: "validate",
    summary: "Check configs: every problem with file:line:col, field path and message (warnings too).",
    usage: "[--istio] <file|dir>...",
    flags: [
      MAX_FILE_BYTES_FLAG,
      {
        name: "istio",
        type: "boolean",
        description: "report Istio's own verdict only (what `kubectl apply` with Istio's validation says): exit 0 exactly when Istio accepts every object",
      },
    ],
    positionals: { min: 1, name: "<file|dir>" },
    notes: [
      "Folders are read recursively (*.yaml, *.yml; *.cases.yaml are golden cases, not config).",
      "Exit code 0 when there are no errors (warnings allowed), 1 otherwise.",
      "Findings say who raises them: Istio's own errors and warnings, `edge error:` (Istio accepts it, the edge cannot serve it) and `warning (ignored at the edge):`.",
    ],
  },
  async run(args, io) {
    if (boolFlag(args, "istio")) return istioVerdict(args.positionals, readOptions(args), io);
    // `analyze` findings are printed as warnings too (they never make a config invalid). Bounded
    // memory from 4 MiB of route files: files one at a time, rules in a spill file (issue #16
    // item 2, build.ts LOW_MEMORY_FROM_BYTES).
    const b = await build(args.positionals, { ...readOptions(args), lowMemory: "auto", keepObjects: false, analyze: true });
    try {
      printIssues(io, b);
      if (!b.table) {
        io.err("invalid: fix the errors above");
        return EXIT_FAILURE;
      }
      io.out(`valid: ${summaryLine(b.table)} (version ${b.table.hash.slice(0, 12)})`);
      return EXIT_OK;
    } finally {
      b.close();
    }
  },
};

/**
 * `validate --istio`: Istio's verdict alone (DESIGN.md §9). Only findings of kind "source" are
 * printed; edge errors and ignored fields do not count, and nothing is compiled.
 */
async function istioVerdict(paths: string[], options: ReturnType<typeof readOptions>, io: Parameters<typeof validateCommand.run>[1]): Promise<number> {
  let files;
  try {
    files = await readSources(paths, options);
  } catch (e) {
    if (!(e instanceof SourceError)) throw e;
    for (const i of e.issues) io.out(formatIssue(i));
    io.err("invalid: fix the errors above");
    return EXIT_FAILURE;
  }
  const { issues, objects } = loadConfig(files);
  // Istio's webhook also warns about unreachable rules and ineffective matches (IST0130/IST0131).
  const ruleWarnings = ruleFindings(objects).map(({ vs: _vs, ...i }) => i);
  const istio = sortIssues([...issues, ...ruleWarnings].filter((i) => findingKind(i) === "source"));
  for (const i of istio) io.out(formatIssue(i));
  io.out(`${files.length} file${files.length === 1 ? "" : "s"}: ${tally(istio)} (Istio's verdict only)`);
  if (!sourceAccepts(istio)) {
    io.err("Istio rejects this config: fix the errors above");
    return EXIT_FAILURE;
  }
  io.out("Istio accepts this config");
  return EXIT_OK;
}
