/**
 * The types the admin app (app.ts) and the console (console.tsx) share: what a request proved,
 * the per-request variables, and what worker.ts hands the admin surface.
 */
import type { Context } from "hono";
import type { Env } from "../env.ts";
import type { PreparedTable } from "../prepare.ts";
import type { LoadedTable, ServedVersion, TableStore } from "../store/table-store.ts";

/** How the request proved it holds ADMIN_TOKEN. A session carries its cookie value (the CSRF token is bound to it). */
export type AdminAuth = { kind: "bearer" } | { kind: "session"; session: string };

export interface AdminVars {
  auth: AdminAuth;
  /** ms since epoch for this request (injectable through AdminDeps.now). */
  now: number;
}

export type AdminEnv = { Bindings: Env; Variables: AdminVars };
export type AdminContext = Context<AdminEnv>;

export interface AdminDeps {
  /** The Worker's own per-isolate table cache: the console shows exactly what requests are served with. */
  store: TableStore<PreparedTable>;
  /** The version a request would be served with (pipeline.loadTable: a cold isolate loads, a warm one may start a refresh). */
  loadTable: (env: Env, ctx: ExecutionContext) => Promise<ServedVersion<PreparedTable> | null>;
  /**
   * Its whole table (pipeline.wholeTable): a sharded version is read shard by shard and assembled
   * for the page that asks (routes, explain, health), outside the data path's shard cache.
   */
  wholeTable: (env: Env, ctx: ExecutionContext) => Promise<LoadedTable<PreparedTable> | { failed: string } | null>;
  now?: () => number;
}
