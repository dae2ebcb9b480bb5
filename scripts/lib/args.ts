/**
 * A tiny command-line parser for the routes CLI: long flags (`--flag`, `--flag value`,
 * `--flag=value`), `-h`, `--` to end the options, positionals. No dependency, no magic:
 * an unknown flag or a missing value is a usage error (exit code 2), never silently ignored,
 * for the same reason unknown YAML fields are errors (DESIGN.md §3).
 */

/** Exit codes shared by every command. */
export const EXIT_OK = 0;
/** Validation, compile or `routes test` failure; a refused push/rollback. */
export const EXIT_FAILURE = 1;
/** Bad command line. */
export const EXIT_USAGE = 2;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface FlagSpec {
  /** Long name without dashes: `persist-to`. */
  name: string;
  /** `boolean` flags take no value; `string` flags take exactly one; `list` flags may repeat. */
  type: "boolean" | "string" | "list";
  /** One-letter alias used with a single dash: `H` for `-H`. */
  short?: string;
  /** Placeholder for the help text: `DIR`. */
  value?: string;
  description: string;
}

export interface CommandSpec {
  name: string;
  summary: string;
  /** Usage line after `routes <name>`: `[options] <file|dir>...`. */
  usage: string;
  flags: FlagSpec[];
  /** Minimum/maximum number of positionals (max undefined = unbounded). */
  positionals: { min: number; max?: number; name: string };
  /** Extra lines for --help (examples, notes). */
  notes?: string[];
}

export interface ParsedArgs {
  flags: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  help: boolean;
}

export function parseArgs(spec: CommandSpec, argv: readonly string[]): ParsedArgs {
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const flags: ParsedArgs["flags"] = {};
  const positionals: string[] = [];
  let help = false;
  let onlyPositionals = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (onlyPositionals || !arg.startsWith("-") || arg === "-") {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      onlyPositionals = true;
      continue;
    }
    if (arg === "-h" || arg === "--help") {
      help = true;
      continue;
    }
    let shortFlag: FlagSpec | undefined;
    if (!arg.startsWith("--")) {
      shortFlag = spec.flags.find((f) => f.short !== undefined && `-${f.short}` === arg);
      if (!shortFlag) throw new UsageError(`unknown option ${arg}`);
    }
    const eq = shortFlag ? -1 : arg.indexOf("=");
    const name = shortFlag ? shortFlag.name : arg.slice(2, eq === -1 ? undefined : eq);
    const flag = byName.get(name);
    if (!flag) throw new UsageError(`unknown option --${name}`);
    if (flags[name] !== undefined && flag.type !== "list") throw new UsageError(`--${name} given twice`);
    if (flag.type === "boolean") {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith("--")) throw new UsageError(`--${name} needs a value (${flag.value ?? "VALUE"})`);
      i++;
    }
    if (value === "") throw new UsageError(`--${name} needs a non-empty value`);
    if (flag.type === "list") {
      const prev = flags[name];
      flags[name] = [...(Array.isArray(prev) ? prev : []), value];
    } else flags[name] = value;
  }
  if (!help) {
    const { min, max, name } = spec.positionals;
    if (positionals.length < min) throw new UsageError(`missing ${name}`);
    if (max !== undefined && positionals.length > max) {
      throw new UsageError(max === 0 ? `unexpected argument ${positionals[0]}` : `too many arguments (at most ${max} ${name})`);
    }
  }
  return { flags, positionals, help };
}

export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags[name];
  return typeof v === "string" ? v : undefined;
}

export function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.flags[name];
  return Array.isArray(v) ? v : [];
}

export function boolFlag(args: ParsedArgs, name: string): boolean {
  return args.flags[name] === true;
}

export function formatHelp(spec: CommandSpec): string {
  const lines = [`usage: npm run routes -- ${spec.name} ${spec.usage}`, "", spec.summary];
  if (spec.flags.length > 0) {
    lines.push("", "options:");
    const left = spec.flags.map((f) => `${f.short ? `-${f.short}, ` : ""}--${f.name}${f.type !== "boolean" ? ` ${f.value ?? "VALUE"}` : ""}${f.type === "list" ? "..." : ""}`);
    const width = Math.max(...left.map((l) => l.length));
    spec.flags.forEach((f, i) => lines.push(`  ${left[i]!.padEnd(width)}  ${f.description}`));
  }
  if (spec.notes?.length) lines.push("", ...spec.notes);
  return lines.join("\n");
}
