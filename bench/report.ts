/**
 * Collects the benchmark's tables, ratios and target verdicts, prints them as plain text and
 * writes bench/RESULTS.md with the machine's description. A target is PASS, MISS, or "not run"
 * (a piece it needs is missing or failed) — never silently dropped.
 */
import { writeFileSync } from "node:fs";
import type { Machine } from "./machine.ts";

export interface Section {
  title: string;
  /** What was measured and against which baseline, in one or two sentences. */
  intro?: string;
  headers: string[];
  rows: string[][];
  notes: string[];
}

export interface TargetResult {
  target: string;
  measured: string;
  /** null: not measured in this run (see note). */
  pass: boolean | null;
  note?: string;
}

export class Report {
  readonly sections: Section[] = [];
  readonly targets: TargetResult[] = [];
  readonly problems: string[] = [];

  section(s: Omit<Section, "notes"> & { notes?: string[] }): Section {
    const full: Section = { ...s, notes: s.notes ?? [] };
    this.sections.push(full);
    printSection(full);
    return full;
  }

  target(t: TargetResult): void {
    this.targets.push(t);
    console.log(`  ${verdict(t.pass).padEnd(7)} ${t.target}: ${t.measured}${t.note ? ` — ${t.note}` : ""}`);
  }

  problem(message: string): void {
    this.problems.push(message);
    console.log(`  ! ${message}`);
  }

  printTargets(): void {
    console.log("\nTargets");
    for (const t of this.targets) console.log(`  ${verdict(t.pass).padEnd(7)} ${t.target}: ${t.measured}`);
  }

  markdown(machine: Machine, startedAt: Date, durationS: number, command: string): string {
    const out: string[] = [];
    out.push("# Benchmark results", "");
    out.push(
      `Written by \`${command}\` on ${startedAt.toISOString()} (run took ${durationS.toFixed(0)} s). ` +
        "Every comparison is a ratio of two measurements taken in the same round of the same run; " +
        "ranges are min–max over the rounds, the first number is the median.",
      "",
    );
    out.push("## Machine", "");
    for (const [k, v] of Object.entries(machine)) out.push(`- ${k}: ${v}`);
    out.push("", "## Targets", "", "| | target | measured |", "|---|---|---|");
    for (const t of this.targets) out.push(`| **${verdict(t.pass)}** | ${esc(t.target)} | ${esc(t.measured)}${t.note ? ` — ${esc(t.note)}` : ""} |`);
    for (const s of this.sections) {
      out.push("", `## ${s.title}`, "");
      if (s.intro) out.push(s.intro, "");
      if (s.rows.length > 0) {
        out.push(`| ${s.headers.map(esc).join(" | ")} |`, `|${s.headers.map(() => "---").join("|")}|`);
        for (const r of s.rows) out.push(`| ${r.map(esc).join(" | ")} |`);
        out.push("");
      }
      for (const n of s.notes) out.push(`- ${n}`);
    }
    if (this.problems.length > 0) {
      out.push("", "## Problems in this run", "");
      for (const p of this.problems) out.push(`- ${esc(p)}`);
    }
    return out.join("\n") + "\n";
  }

  write(file: string, machine: Machine, startedAt: Date, durationS: number, command: string): void {
    writeFileSync(file, this.markdown(machine, startedAt, durationS, command));
  }
}

export function verdict(pass: boolean | null): string {
  return pass === null ? "NOT RUN" : pass ? "PASS" : "MISS";
}

function esc(s: string): string {
  return s.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

function printSection(s: Section): void {
  console.log(`\n== ${s.title}`);
  if (s.intro) console.log(s.intro);
  if (s.rows.length > 0) {
    const widths = s.headers.map((h, i) => Math.max(h.length, ...s.rows.map((r) => (r[i] ?? "").length)));
    const line = (cells: string[]) => "  " + cells.map((c, i) => c.padEnd(widths[i]!)).join("  ").trimEnd();
    console.log(line(s.headers));
    console.log(line(widths.map((w) => "-".repeat(w))));
    for (const r of s.rows) console.log(line(r));
  }
  for (const n of s.notes) console.log(`  * ${n}`);
}
