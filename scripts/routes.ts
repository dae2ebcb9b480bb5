/**
 * Entry point of `npm run routes -- <command>` (Node 22 with --experimental-strip-types).
 * Everything lives in ./cli.ts so tests can run commands in-process.
 */
import { runCli } from "./cli.ts";

process.exitCode = await runCli(process.argv.slice(2));
