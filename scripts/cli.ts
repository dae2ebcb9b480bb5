/**
 * The routes CLI dispatcher: `routes <command> [options]`. Exit codes: 0 ok, 1 validation /
 * test failure or a refused push/rollback, 2 usage error. Commands run in-process for tests
 * (`runCli(argv, memoryIo())`); scripts/routes.ts is the process entry point.
 */
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, UsageError, formatHelp, parseArgs } from "./lib/args.ts";
import type { Command, Io } from "./lib/io.ts";
import { processIo } from "./lib/io.ts";
import { validateCommand } from "./commands/validate.ts";
import { pushCommand } from "./commands/push.ts";
import { versionsCommand } from "./commands/versions.ts";
import { rollbackCommand } from "./commands/rollback.ts";
import { diffCommand } from "./commands/diff.ts";
import { schemaCommand } from "./commands/schema.ts";
import { routeCommand } from "./commands/route.ts";
import { testCommand } from "./commands/test.ts";
import { analyzeCommand } from "./commands/analyze.ts";
import { statusCommand } from "./commands/status.ts";
import { gcCommand } from "./commands/gc.ts";
import { rolloutCommand } from "./commands/rollout.ts";

export const COMMANDS: Command[] = [validateCommand, pushCommand, versionsCommand, rollbackCommand, diffCommand, schemaCommand, routeCommand, testCommand, analyzeCommand, statusCommand, rolloutCommand, gcCommand];

export function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length));
  return [
    "usage: npm run routes -- <command> [options]",
    "",
    "commands:",
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}  ${c.spec.summary}`),
    "",
    "`npm run routes -- <command> --help` describes a command's options.",
    "exit codes: 0 ok, 1 validation/test failure or refused change, 2 usage error",
  ].join("\n");
}

export async function runCli(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    (name === undefined ? io.err : io.out)(usage());
    return name === undefined ? EXIT_USAGE : EXIT_OK;
  }
  const command = COMMANDS.find((c) => c.spec.name === name);
  if (!command) {
    io.err(`routes: unknown command "${name}"\n\n${usage()}`);
    return EXIT_USAGE;
  }
  try {
    const args = parseArgs(command.spec, rest);
    if (args.help) {
      io.out(formatHelp(command.spec));
      return EXIT_OK;
    }
    return await command.run(args, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`routes ${name}: ${e.message}\n\n${formatHelp(command.spec)}`);
      return EXIT_USAGE;
    }
    // Anything else (wrangler failed, KV unreadable) is an operational failure, reported plainly.
    io.err(`routes ${name}: ${(e as Error).message ?? String(e)}`);
    return EXIT_FAILURE;
  }
}
