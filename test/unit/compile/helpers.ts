/**
 * Test helpers: compile Istio YAML the way the CLI does (loadConfig → compile), so cases read
 * like the configs users write.
 */
import { expect } from "vitest";
import { loadConfig, type Issue } from "../../../src/config/index.ts";
import { compile } from "../../../src/compile/index.ts";
import type { Route, RouteTable, VirtualHost } from "../../../src/table/types.ts";

/** A Gateway `gw` in namespace default with one HTTP server on port 80 for the given hosts. */
export function gateway(hosts: string[] = ["*"], extra = ""): string {
  return `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: gw}
spec:
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ${JSON.stringify(hosts)}
${extra}`;
}

export async function compileYaml(files: string | Record<string, string>, opts: { allowLoadErrors?: boolean } = {}) {
  const sources = typeof files === "string" ? [{ path: "routes/test.yaml", text: files }] : Object.entries(files).map(([path, text]) => ({ path, text }));
  const loaded = loadConfig(sources);
  if (!opts.allowLoadErrors) expect(loaded.issues.filter((i) => i.severity === "error"), "config must load without errors").toEqual([]);
  const result = await compile(loaded.objects, { sources: sources.map((s) => s.path) });
  return { ...result, loadIssues: loaded.issues };
}

/** Compile and require success. */
export async function table(files: string | Record<string, string>): Promise<RouteTable> {
  const { table, issues } = await compileYaml(files);
  expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  expect(table).not.toBeNull();
  return table!;
}

/** The vhost an exact (or `*`, or suffix) domain selects on a listener. */
export function vhost(t: RouteTable, domain: string, scheme: "http" | "https" = "http"): VirtualHost {
  const l = t.listeners[scheme];
  const idx = domain === "*" ? l.star : domain.startsWith("*") ? l.suffix[domain.slice(1)] : l.exact[domain];
  expect(idx, `vhost ${domain} on ${scheme}`).not.toBeUndefined();
  expect(idx).not.toBeNull();
  return t.vhosts[idx!]!;
}

export function routeNames(v: VirtualHost): string[] {
  return v.routes.map((r) => `${r.virtualService}:${r.name}`);
}

export function firstRoute(t: RouteTable, domain = "a.com"): Route {
  const r = vhost(t, domain).routes[0];
  expect(r).toBeDefined();
  return r!;
}

export function codes(issues: Issue[], severity: "error" | "warning"): string[] {
  return issues.filter((i) => i.severity === severity).map((i) => i.code ?? "");
}

/** A VirtualService document; `body` is the YAML under `spec:` (indented by two spaces). */
export function vs(name: string, body: string, meta = ""): string {
  return `
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}${meta ? `, ${meta}` : ""}}
spec:
${indent(body)}`;
}

export function doc(kind: string, name: string, body: string, meta = ""): string {
  return `
---
apiVersion: networking.istio.io/v1
kind: ${kind}
metadata: {name: ${name}${meta ? `, ${meta}` : ""}}
spec:
${indent(body)}`;
}

function indent(body: string): string {
  const lines = body.replace(/^\n+|\s+$/g, "").split("\n");
  const min = Math.min(...lines.filter((l) => l.trim()).map((l) => l.match(/^ */)![0].length));
  return lines.map((l) => "  " + l.slice(min)).join("\n");
}
