/**
 * Route coverage of golden cases: which `http[]` entries (per VirtualService rule, as written by
 * the user) no case exercised — Envoy router_check_tool's coverage, at the granularity users edit.
 */
import type { RouteTable } from "../table/types.ts";

export interface CoverageEntry {
  key: string;
  virtualService: string;
  ruleIndex: number;
  name: string;
  source?: string;
  hits: number;
}

export interface Coverage {
  entries: CoverageEntry[];
  covered: number;
  total: number;
  /** 0–100; 100 when the table has no routes. */
  percent: number;
}

/** Strip the `.matchName` suffix: coverage counts rules, not their match entries. */
function ruleName(routeName: string, matchName: string | undefined): string {
  return matchName && routeName.endsWith(`.${matchName}`) ? routeName.slice(0, -matchName.length - 1) : routeName;
}

export function coverage(table: RouteTable, hitKeys: Iterable<string>): Coverage {
  const byKey = new Map<string, CoverageEntry>();
  for (const vh of table.vhosts) {
    for (const r of vh.routes) {
      const key = `${r.virtualService}#${r.ruleIndex}`;
      if (!byKey.has(key)) {
        const e: CoverageEntry = { key, virtualService: r.virtualService, ruleIndex: r.ruleIndex, name: ruleName(r.name, r.match?.name), hits: 0 };
        if (r.source) e.source = r.source;
        byKey.set(key, e);
      }
    }
  }
  for (const k of hitKeys) {
    const e = byKey.get(k);
    if (e) e.hits++;
  }
  const entries = [...byKey.values()].sort((a, b) => a.virtualService.localeCompare(b.virtualService) || a.ruleIndex - b.ruleIndex);
  const covered = entries.filter((e) => e.hits > 0).length;
  const total = entries.length;
  return { entries, covered, total, percent: total === 0 ? 100 : Math.round((covered / total) * 1000) / 10 };
}
