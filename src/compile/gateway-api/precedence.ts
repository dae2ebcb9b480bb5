/**
 * HTTPRoute precedence (GATEWAY-API-SEMANTICS §5): every `matches[]` entry of every rule of every
 * route on one virtual host is ranked on its own, by
 *   1. path type: Exact > PathPrefix > RegularExpression (our choice for regexes, as Istio),
 *   2. path length (PathPrefix without its ignored trailing "/"; "/" counts 1),
 *   3. a method match before none,
 *   4. more header matches, 5. more query-param matches,
 *   6. the older route (creationTimestamp; a route without one counts as oldest, so files without
 *      timestamps fall through to the name: file order never matters),
 *   7. `namespace/name` alphabetically, 8. rule order, then match order inside the rule.
 * The order depends only on the config, so it is computed once at compile time and the Worker keeps
 * its one first-match loop (DESIGN.md §10). `decidingStep` says which step put one match first,
 * for `routes route` explanations.
 */

import type { Precedence } from "../../table/types.ts";

export type { Precedence };
export type PathType = Precedence["pathType"];

const PATH_RANK: Record<PathType, number> = { Exact: 3, PathPrefix: 2, RegularExpression: 1 };

export type PrecedenceStep =
  | "path type"
  | "path length"
  | "method"
  | "header count"
  | "query parameter count"
  | "route age"
  | "route name"
  | "rule order"
  | "match order"
  | "identical";

/** Negative when `a` goes first; the step that decided. */
export function comparePrecedence(a: Precedence, b: Precedence): { order: number; step: PrecedenceStep } {
  const steps: Array<[PrecedenceStep, number]> = [
    ["path type", PATH_RANK[b.pathType] - PATH_RANK[a.pathType]],
    ["path length", b.pathLength - a.pathLength],
    ["method", Number(b.method) - Number(a.method)],
    ["header count", b.headers - a.headers],
    ["query parameter count", b.queryParams - a.queryParams],
    ["route age", a.createdMs - b.createdMs],
    ["route name", a.route < b.route ? -1 : a.route > b.route ? 1 : 0],
    ["rule order", a.ruleIndex - b.ruleIndex],
    ["match order", a.matchIndex - b.matchIndex],
  ];
  for (const [step, order] of steps) if (order !== 0) return { order, step };
  return { order: 0, step: "identical" };
}

/** Why `winner` ranks before `other`, in words (for `routes route`). */
export function explainStep(winner: Precedence, other: Precedence): string {
  const { step } = comparePrecedence(winner, other);
  switch (step) {
    case "path type":
      return `path type: ${winner.pathType} ranks before ${other.pathType}`;
    case "path length":
      return `path length: ${winner.pathLength} characters before ${other.pathLength}`;
    case "method":
      return "method: a match with a method ranks before one without";
    case "header count":
      return `header count: ${winner.headers} header matches before ${other.headers}`;
    case "query parameter count":
      return `query parameter count: ${winner.queryParams} before ${other.queryParams}`;
    case "route age":
      return `route age: ${winner.route} was created before ${other.route}`;
    case "route name":
      return `route name: ${winner.route} sorts before ${other.route}`;
    case "rule order":
      return `rule order: rules[${winner.ruleIndex}] comes before rules[${other.ruleIndex}]`;
    case "match order":
      return `match order: matches[${winner.matchIndex}] comes before matches[${other.matchIndex}]`;
    case "identical":
      return "identical precedence";
  }
}
