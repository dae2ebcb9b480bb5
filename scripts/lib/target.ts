/**
 * Which KV a command talks to, from the shared flags: `--local [--persist-to DIR]` (wrangler's
 * local state, what `wrangler dev --persist-to DIR` reads) or the real namespace (`--remote`,
 * the default), `--env NAME` and `--config wrangler.toml` to find the ROUTES namespace id.
 */
import path from "node:path";
import { boolFlag, stringFlag, UsageError } from "./args.ts";
import type { FlagSpec, ParsedArgs } from "./args.ts";
import { DryRunKv } from "./kv-writer.ts";
import type { KvWriter } from "./kv-writer.ts";
import { DEFAULT_PERSIST_DIR, LocalKv } from "./local-kv.ts";
import { RemoteKv } from "./remote-kv.ts";
import { routesNamespaceId } from "./wrangler-toml.ts";

export const TARGET_FLAGS: FlagSpec[] = [
  { name: "local", type: "boolean", description: "use wrangler's local KV state (what `npm run dev` reads)" },
  { name: "persist-to", type: "string", value: "DIR", description: `local state directory (default ${DEFAULT_PERSIST_DIR} next to wrangler.toml)` },
  { name: "remote", type: "boolean", description: "use the real KV namespace through wrangler (the default)" },
  { name: "env", type: "string", value: "NAME", description: "wrangler environment whose ROUTES namespace to use" },
  { name: "config", type: "string", value: "FILE", description: "wrangler configuration (default wrangler.toml)" },
];

export const DRY_RUN_FLAG: FlagSpec = {
  name: "dry-run",
  type: "boolean",
  description: "write nothing; print every write (key, size, where, command line)",
};

export interface Target {
  kv: KvWriter;
  /** Present when --dry-run: the recorder wrapping the real store. */
  dryRun: DryRunKv | null;
  /** The real store (what the dry run wraps). */
  inner: KvWriter;
  local: boolean;
  namespaceId: string;
}

export function openTarget(args: ParsedArgs): Target {
  const local = boolFlag(args, "local");
  if (local && boolFlag(args, "remote")) throw new UsageError("--local and --remote exclude each other");
  const persistTo = stringFlag(args, "persist-to");
  if (persistTo !== undefined && !local) throw new UsageError("--persist-to needs --local");
  const configFlag = stringFlag(args, "config");
  const configPath = configFlag ?? "wrangler.toml";
  let namespaceId: string;
  try {
    namespaceId = routesNamespaceId(configPath, stringFlag(args, "env"));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const dry = boolFlag(args, "dry-run");
  const inner: KvWriter = local
    ? // Same default as wrangler: relative to the directory of the configuration file.
      new LocalKv(persistTo ?? path.join(path.dirname(configPath), DEFAULT_PERSIST_DIR), namespaceId)
    : new RemoteKv({ namespaceId, configPath: configFlag, keepStaged: dry });
  const dryRun = dry ? new DryRunKv(inner) : null;
  return { kv: dryRun ?? inner, dryRun, inner, local, namespaceId };
}
