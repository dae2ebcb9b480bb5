/**
 * What a command may touch besides its arguments: output streams and the clock. Passing them in
 * keeps commands testable in-process (DESIGN.md §8: time and I/O are arguments).
 */
import type { CommandSpec, ParsedArgs } from "./args.ts";

export interface Io {
  out(line: string): void;
  err(line: string): void;
  now(): Date;
}

export const processIo: Io = {
  out: (line) => process.stdout.write(line + "\n"),
  err: (line) => process.stderr.write(line + "\n"),
  now: () => new Date(),
};

/** Collects output in memory (tests). */
export function memoryIo(now: () => Date = () => new Date()): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l), now };
}

export interface Command {
  spec: CommandSpec;
  /** Returns the exit code (EXIT_OK / EXIT_FAILURE); throws UsageError for bad arguments. */
  run(args: ParsedArgs, io: Io): Promise<number>;
}
