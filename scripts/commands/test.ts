/**
 * `routes test`: run the golden cases (`*.cases.yaml` beside the routes) through the Worker's own
 * decide(), print a readable expected/actual diff for each failure, and report route coverage:
 * which http[] rules no case exercised. Non-zero exit on any failure or under --fail-under.
 */
import { formatIssue } from "../../src/config/index.ts";
import { EXIT_FAILURE, EXIT_OK, UsageError, boolFlag, stringFlag } from "../lib/args.ts";
import { MAX_FILE_BYTES_FLAG, readOptions } from "../lib/build.ts";
import type { Command } from "../lib/io.ts";
import { runGolden } from "../lib/golden.ts";

const show = (v: unknown) => (v === null || v === undefined ? "(absent)" : typeof v === "string" ? JSON.stringify(v) : JSON.stringify(v));

export const testCommand: Command = {
  spec: {
    name: "test",
    summary: "Run the golden routing cases (*.cases.yaml) and report route coverage.",
    usage: "[--fail-under PCT] [--details] [--only-failures] <file|dir>...",
    flags: [
      { name: "fail-under", type: "string", value: "PCT", description: "fail when route coverage is below PCT percent" },
      { name: "details", type: "boolean", description: "list every rule with its number of cases" },
      { name: "only-failures", type: "boolean", description: "print failing cases only" },
      MAX_FILE_BYTES_FLAG,
    ],
    positionals: { min: 1, name: "route files or folders" },
    notes: ["Cases live beside the routes: routes/shop.yaml → routes/shop.cases.yaml (format: schema/cases.schema.json)."],
  },
  async run(args, io) {
    const failUnderText = stringFlag(args, "fail-under");
    const failUnder = failUnderText === undefined ? undefined : Number(failUnderText);
    if (failUnder !== undefined && !(failUnder >= 0 && failUnder <= 100)) throw new UsageError(`--fail-under takes a percentage 0-100, got ${failUnderText}`);

    const run = await runGolden(args.positionals, readOptions(args));
    // Errors stop the command; warnings are `validate`'s job, counted here so nothing is hidden.
    for (const i of run.issues) if (i.severity === "error") io.err(formatIssue(i));
    const warnings = run.issues.filter((i) => i.severity === "warning").length;
    if (warnings > 0) io.err(`(${warnings} warning(s): see \`npm run routes -- validate\`)`);
    if (run.issues.some((i) => i.severity === "error") || !run.table) return EXIT_FAILURE;
    if (run.caseFiles.length === 0) {
      io.err("no *.cases.yaml found beside the given routes");
      return EXIT_FAILURE;
    }

    let failed = 0;
    for (const r of run.results) {
      if (r.ok) {
        if (!boolFlag(args, "only-failures")) io.out(`ok    ${r.file}:${r.line} ${r.name}`);
        continue;
      }
      failed++;
      io.out(`FAIL  ${r.file}:${r.line} ${r.name}`);
      const where = r.summary.route ? `${r.summary.kind} via ${r.summary.route} (${r.summary.virtualService})` : r.summary.kind;
      io.out(`      decided: ${where}${r.summary.status !== undefined ? ` → ${r.summary.status}` : ""}`);
      for (const m of r.mismatches) {
        io.out(`      ${m.field}`);
        io.out(`        expected: ${show(m.expected)}`);
        io.out(`        actual:   ${show(m.actual)}`);
      }
    }

    const cov = run.coverage!;
    io.out("");
    io.out(`${run.results.length - failed} passed, ${failed} failed`);
    io.out(`route coverage: ${cov.covered}/${cov.total} http[] rules (${cov.percent}%)`);
    for (const e of cov.entries) {
      if (e.hits === 0) io.out(`  not covered: ${e.virtualService} ${e.name}${e.source ? `  ${e.source}` : ""}`);
      else if (boolFlag(args, "details")) io.out(`  ${String(e.hits).padStart(4)} case(s): ${e.virtualService} ${e.name}`);
    }
    if (failed > 0) return EXIT_FAILURE;
    if (failUnder !== undefined && cov.percent < failUnder) {
      io.err(`route coverage ${cov.percent}% is under --fail-under ${failUnder}%`);
      return EXIT_FAILURE;
    }
    return EXIT_OK;
  },
};
