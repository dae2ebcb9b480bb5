/**
 * Istio's own verdicts (issue #11 part A, DESIGN.md §9): every case of test/conformance/istio/*.yaml
 * (written for this project from istio/istio's validation tests and rules, see its README) is
 * loaded as a config. `validate --istio` must give Istio's verdict; `validate` must give the same
 * verdict except where a case lists an edge error (a deliberate difference, with its reason) —
 * and where a case says a field is ignored at the edge, a warning must name it.
 */
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { load as parseYaml } from "js-yaml";
import { stringify } from "yaml";
import { findingKind, formatIssue, loadConfig, sourceAccepts, type Issue } from "../../../src/config/index.ts";
import { ruleFindings } from "../../../src/analyze/index.ts";
import { expandCorpusValue } from "../../fixtures/istio-corpus.ts";

interface Case {
  upstream: string;
  istio: "accept" | "reject" | "warn";
  edge?: "ignored" | "error";
  why?: string;
  kind: "route" | "vs" | "dr" | "se" | "gw";
  name?: string;
  spec: Record<string, unknown>;
}

const DIR = path.resolve(import.meta.dirname, "../../conformance/istio");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yaml")).sort();
const cases: Array<Case & { file: string }> = files.flatMap((f) =>
  (parseYaml(readFileSync(path.join(DIR, f), "utf8")) as Case[]).map((c) => ({ ...c, spec: expandCorpusValue(c.spec) as Case["spec"], file: f })),
);

const KIND = { vs: "VirtualService", dr: "DestinationRule", se: "ServiceEntry", gw: "Gateway" } as const;

/** The config text for a case: the object, plus a Gateway for every gateway it names (so references resolve). */
function configOf(c: Case): string {
  const kind = c.kind === "route" ? "vs" : c.kind;
  const spec = c.kind === "route" ? { hosts: ["foo.bar"], http: [c.spec] } : c.spec;
  const docs: object[] = [{ apiVersion: "networking.istio.io/v1", kind: KIND[kind], metadata: { name: c.name ?? (kind === "gw" ? "gateway" : "obj"), namespace: "default" }, spec }];
  const named = new Set<string>();
  const collect = (list: unknown) => Array.isArray(list) && list.forEach((g) => typeof g === "string" && g !== "mesh" && named.add(g));
  if (kind === "vs") {
    collect((spec as { gateways?: unknown }).gateways);
    for (const r of ((spec as { http?: Array<{ match?: Array<{ gateways?: unknown }> }> }).http ?? []))
      for (const m of Array.isArray(r?.match) ? r.match : []) collect(m?.gateways);
  }
  for (const g of named) {
    const [ns, name] = g.includes("/") ? g.split("/") : g.includes(".") ? [g.split(".")[1], g.split(".")[0]] : ["default", g];
    if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(ns ?? "") || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name ?? "")) continue;
    docs.push({ apiVersion: "networking.istio.io/v1", kind: "Gateway", metadata: { name, namespace: ns }, spec: { servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*/*"] }] } });
  }
  return docs.map((d) => stringify(d)).join("---\n");
}

function verdict(c: Case) {
  const text = configOf(c);
  const loaded = loadConfig([{ path: `${c.kind}.yaml`, text }]);
  // As `validate --istio`: the loader's findings plus Istio's webhook warnings on the rules as written (IST0130/IST0131).
  const issues = [...loaded.issues, ...ruleFindings(loaded.objects).map(({ vs: _vs, ...i }) => i)];
  const istio = issues.filter((i) => findingKind(i) === "source");
  return {
    text,
    issues,
    istioAccepts: sourceAccepts(issues),
    istioWarns: istio.some((i) => i.severity === "warning"),
    edgeErrors: issues.filter((i) => i.severity === "error" && findingKind(i) !== "source"),
    ignored: issues.filter((i) => i.severity === "warning" && findingKind(i) === "ignored"),
  };
}

const show = (issues: Issue[]) => issues.map(formatIssue).join("\n");

describe("Istio's verdicts (test/conformance/istio)", () => {
  it("has hundreds of cases, each stating its upstream and its verdict", () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    for (const c of cases) {
      expect(c.upstream, JSON.stringify(c)).toMatch(/\.go |samples\/|testdata\/crds\//);
      expect(["accept", "reject", "warn"]).toContain(c.istio);
      if (c.edge === "error") expect(c.why, `${c.upstream}: an edge error needs its reason`).toBeTruthy();
      if (c.edge === "error") expect(c.istio, `${c.upstream}: an edge error is only a difference when Istio accepts`).not.toBe("reject");
    }
  });

  it.each(cases.map((c) => [`${c.file}: ${c.upstream} → ${c.istio}${c.edge ? ` (edge: ${c.edge})` : ""}`, c] as const))("%s", (_n, c) => {
    const v = verdict(c);
    const context = `${v.text}\n${show(v.issues)}`;
    expect(v.istioAccepts, `Istio's verdict\n${context}`).toBe(c.istio !== "reject");
    // "warn" and "accept" are distinct verdicts: Istio's warning appears exactly when Istio warns.
    expect(v.istioWarns, `Istio ${c.istio === "warn" ? "warns" : "does not warn"}\n${context}`).toBe(c.istio === "warn");
    if (c.istio === "reject") return;
    // Accepted by Istio: the edge agrees unless the case lists an edge error (a deliberate difference).
    if (c.edge === "error") expect(v.edgeErrors.length, `an edge error\n${context}`).toBeGreaterThan(0);
    else expect(show(v.edgeErrors), `no edge error\n${context}`).toBe("");
    if (c.edge === "ignored") expect(v.ignored.length, `a warning naming what is ignored\n${context}`).toBeGreaterThan(0);
  });

  it("reports the totals per kind of finding", () => {
    const total = cases.length;
    const by = (k: Case["istio"]) => cases.filter((c) => c.istio === k).length;
    const edgeErrors = cases.filter((c) => c.edge === "error").length;
    const ignored = cases.filter((c) => c.edge === "ignored").length;
    const agreeing = cases.filter((c) => {
      const v = verdict(c);
      return v.istioAccepts === (c.istio !== "reject") && (c.istio === "reject" || (v.edgeErrors.length === 0) === (c.edge !== "error"));
    }).length;
    console.info(
      `Istio conformance: ${total} cases (${by("accept")} accepted, ${by("warn")} accepted with Istio's warning, ${by("reject")} rejected by Istio); ` +
        `validate --istio agrees on ${total}; validate agrees on ${agreeing - edgeErrors} and differs deliberately on ${edgeErrors} (edge errors); ${ignored} accepted with an ignored-at-the-edge warning`,
    );
    expect(agreeing).toBe(total);
  });
});

/** Istio's samples as shipped (examples/istio/samples, byte for byte): Istio accepts every one. */
const SAMPLES = path.resolve(import.meta.dirname, "../../../examples/istio/samples");
function sampleFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sampleFiles(path.join(dir, e.name)) : e.name.endsWith(".yaml") && !e.name.endsWith(".cases.yaml") && e.name !== "origins.yaml" ? [path.join(dir, e.name)] : [],
  );
}

describe("Istio's samples validate with --istio as shipped", () => {
  const samples = sampleFiles(SAMPLES).sort();
  it("finds the samples", () => expect(samples.length).toBeGreaterThanOrEqual(20));
  it.each(samples.map((f) => [path.relative(SAMPLES, f), f] as const))("samples/%s: Istio accepts it", (_n, f) => {
    const { issues } = loadConfig([{ path: f, text: readFileSync(f, "utf8") }]);
    expect(show(issues.filter((i) => findingKind(i) === "source" && i.severity === "error"))).toBe("");
  });
});
