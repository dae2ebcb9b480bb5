/**
 * `routes status --gateway URL`: what a running gateway says (admin API, GATEWAY_ADMIN_TOKEN):
 * the active version (the state plane's pointer object and KV's pointer), the version the
 * location that answered serves and since when, and the state plane's health (object reachable,
 * endpoint health per cluster).
 */
import type { Command } from "../lib/io.ts";
import { EXIT_FAILURE, EXIT_OK, UsageError } from "../lib/args.ts";
import { GATEWAY_FLAGS, gatewayStatus, gatewayTarget } from "../lib/gateway.ts";

type Ptr = { version?: string; activatedAt?: string; reason?: string } | null | undefined;

const short = (v: unknown) => (typeof v === "string" ? v.slice(0, 12) : "none");
const describe = (p: Ptr) => (p && p.version ? `${short(p.version)} since ${p.activatedAt ?? "?"} (${p.reason ?? "?"})` : "none");

interface StateBody {
  pointer?: {
    object?: { pointer?: Ptr; error?: string };
    kv?: { pointer?: Ptr; error?: string };
    isolate?: { objectError?: { detail: string; at: string } | null };
  };
  health?: {
    clusters?: Array<{ cluster: string; endpoints: Array<{ url: string; ejected?: boolean; healthy?: boolean | null; lastProbe?: { ok: boolean; detail?: string } | null }> }>;
    error?: string;
  };
}

export const statusCommand: Command = {
  spec: {
    name: "status",
    summary: "Ask a running gateway what is active, what its location serves and since when, and how its state plane is.",
    usage: "--gateway URL",
    flags: GATEWAY_FLAGS.filter((f) => f.name === "gateway"),
    positionals: { min: 0, max: 0, name: "" },
    notes: ["The admin token is read from GATEWAY_ADMIN_TOKEN. Exit 1 when the gateway cannot be asked."],
  },
  async run(args, io) {
    const g = gatewayTarget(args);
    if (!g) throw new UsageError("status needs --gateway URL");
    const { config, state, errors } = await gatewayStatus(g);
    io.out(`gateway ${g.base.origin}`);
    if (!config) {
      for (const e of errors) io.err(e);
      return EXIT_FAILURE;
    }
    const s = state as StateBody | null;
    if (s?.pointer) {
      const obj = s.pointer.object;
      io.out(`active (state object): ${obj?.error ? `unreachable: ${obj.error}` : describe(obj?.pointer)}`);
      io.out(`active (KV pointer):   ${s.pointer.kv?.error ? `unreadable: ${s.pointer.kv.error}` : describe(s.pointer.kv?.pointer)}`);
    }
    io.out(`this location serves: ${short(config.version)} since ${String(config.loadedAt ?? "-")} (activated ${String(config.activatedAt ?? "-")})`);
    const lastError = config.lastError as { reason: string; detail: string } | null | undefined;
    if (lastError) io.out(`last refresh error: ${lastError.reason}: ${lastError.detail}`);
    if (!s) {
      io.out("state plane: not configured (KV pointer only; pushes land within KV's propagation, a minute or more)");
      return EXIT_OK;
    }
    const objectError = s.pointer?.object?.error ?? s.pointer?.isolate?.objectError?.detail;
    io.out(`state plane: ${objectError ? `DEGRADED (${objectError}); serving from KV's pointer` : "ok"}`);
    for (const c of s.health?.clusters ?? []) {
      const bad = c.endpoints.filter((e) => e.ejected || e.healthy === false);
      io.out(`  ${c.cluster}: ${c.endpoints.length - bad.length}/${c.endpoints.length} endpoints in service` + (bad.length ? ` (out: ${bad.map((e) => `${e.url}${e.ejected ? " ejected" : ""}${e.healthy === false ? " failing health check" : ""}`).join(", ")})` : ""));
    }
    return EXIT_OK;
  },
};
