/**
 * `routes route`: explain the decision for one request — which virtual host, VirtualService,
 * http[] rule and match entry, the destination and endpoint, rewrites, header operations,
 * redirect / direct response / fault, timeout and retry policy. The Worker's own decide() makes
 * it; dice are pinned by --random and --visitor, so the answer is reproducible.
 */
import { formatIssue } from "../../src/config/index.ts";
import type { Decision } from "../../src/decision.ts";
import { prepare } from "../../src/prepare.ts";
import { CaseRequest } from "../../src/cases/schema.ts";
import { decideCase } from "../../src/cases/run.ts";
import { summarize, type DecisionSummary } from "../../src/cases/summary.ts";
import { badRequest } from "../../src/respond.ts";
import { explainRows } from "../../src/cases/explain.ts";
import { explainPrecedence } from "../../src/cases/precedence.ts";
import { EXIT_FAILURE, EXIT_OK, UsageError, boolFlag, listFlag, stringFlag } from "../lib/args.ts";
import type { Command, Io } from "../lib/io.ts";
import { MAX_FILE_BYTES_FLAG, build, readOptions } from "../lib/build.ts";

function parseHeader(h: string): [string, string] {
  const i = h.indexOf(":");
  if (i <= 0) throw new UsageError(`-H needs "name: value", got ${JSON.stringify(h)}`);
  return [h.slice(0, i).trim(), h.slice(i + 1).trim()];
}

function parseCookie(c: string): [string, string] {
  const i = c.indexOf("=");
  if (i <= 0) throw new UsageError(`--cookie needs name=value, got ${JSON.stringify(c)}`);
  return [c.slice(0, i), c.slice(i + 1)];
}

export const routeCommand: Command = {
  spec: {
    name: "route",
    summary: "Explain which route, destination and policies one request gets (the Worker's decide()).",
    usage: "<file|dir>... --url URL [--method M] [-H 'name: value']... [--cookie k=v]... [--visitor ID] [--random R] [--json]",
    flags: [
      { name: "url", type: "string", value: "URL", description: "absolute http(s) URL of the request (required)" },
      { name: "method", type: "string", value: "M", description: "HTTP method (default GET)" },
      { name: "header", short: "H", type: "list", value: "'NAME: VALUE'", description: "request header (repeatable)" },
      { name: "cookie", type: "list", value: "NAME=VALUE", description: "request cookie (repeatable)" },
      { name: "visitor", type: "string", value: "ID", description: "visitor id for sticky A/B splits" },
      { name: "random", type: "string", value: "R", description: "pins every die to R in [0,1) (default 0.5)" },
      { name: "client-ip", type: "string", value: "IP", description: "client address (cf-connecting-ip)" },
      { name: "path-normalization", type: "string", value: "MODE", description: "the Worker's PATH_NORMALIZATION: BASE (default), MERGE_SLASHES, DECODE_AND_MERGE_SLASHES" },
      { name: "json", type: "boolean", description: "print the decision as JSON" },
      MAX_FILE_BYTES_FLAG,
    ],
    positionals: { min: 1, name: "route files or folders" },
    notes: ["example: npm run routes -- route routes/ --url http://bookinfo.example.com/reviews/1 -H 'end-user: jason'"],
  },
  async run(args, io) {
    const url = stringFlag(args, "url");
    if (!url) throw new UsageError("--url is required");
    const randomText = stringFlag(args, "random");
    const raw = {
      url,
      method: stringFlag(args, "method") ?? "GET",
      headers: Object.fromEntries(listFlag(args, "header").map(parseHeader)),
      cookies: Object.fromEntries(listFlag(args, "cookie").map(parseCookie)),
      ...(stringFlag(args, "visitor") ? { visitor: stringFlag(args, "visitor") } : {}),
      ...(randomText !== undefined ? { random: Number(randomText) } : {}),
      ...(stringFlag(args, "client-ip") ? { clientIp: stringFlag(args, "client-ip") } : {}),
      ...(stringFlag(args, "path-normalization") ? { pathNormalization: stringFlag(args, "path-normalization") } : {}),
    };
    const req = CaseRequest.safeParse(raw);
    if (!req.success) throw new UsageError(req.error.issues.map((i) => `${i.path.join(".") || "request"}: ${i.message}`).join("; "));

    const built = await build(args.positionals, readOptions(args));
    // Errors stop the command; warnings are `validate`'s job, counted here so nothing is hidden.
    for (const i of built.issues) if (i.severity === "error") io.err(formatIssue(i));
    const warnings = built.issues.filter((i) => i.severity === "warning").length;
    if (warnings > 0) io.err(`(${warnings} warning(s): see \`npm run routes -- validate\`)`);
    if (!built.table) return EXIT_FAILURE;

    const prepared = prepare(built.table);
    const decided = decideCase(prepared, req.data);
    const { decision } = decided;
    if (!decision) {
      const { status } = badRequest(decided.reason);
      if (boolFlag(args, "json")) io.out(JSON.stringify({ kind: "badRequest", status, reason: decided.reason }, null, 2));
      else io.out(`${status} bad request: ${decided.reason}`);
      return EXIT_OK;
    }
    const s = summarize(decision, decided.facts, decided.headers);
    // HTTPRoute: which precedence step put this rule first (GATEWAY-API-SEMANTICS §5).
    const precedence = explainPrecedence(prepared, decided.facts, decision);
    if (boolFlag(args, "json")) io.out(JSON.stringify({ ...(toJson(s, decision) as object), ...(precedence ? { precedence } : {}) }, null, 2));
    else {
      explain(io, req.data.method, url, s, decision);
      if (precedence) io.out(`${"precedence".padEnd(18)}${precedence}`);
    }
    return EXIT_OK;
  },
};

function headersObject(h: Headers | undefined): Record<string, string> | undefined {
  return h ? Object.fromEntries(h.entries()) : undefined;
}

function toJson(s: DecisionSummary, d: Decision): unknown {
  return {
    ...s,
    requestHeaders: headersObject(s.requestHeaders),
    responseHeaders: headersObject(s.responseHeaders),
    ...(d.kind === "forward" ? { requestHeaderOps: d.requestHeaders, responseHeaderOps: d.responseHeaders, retryPolicy: d.retries } : {}),
  };
}

function explain(io: Io, method: string, url: string, s: DecisionSummary, d: Decision): void {
  for (const [k, v] of explainRows(method, url, s, d)) io.out(`${k.padEnd(18)}${v}`);
}
