import type { Issue, SourceFile } from "./issue.ts";
import type { DestinationRule, Gateway, ServiceEntry, VirtualService } from "./schema/index.ts";

export interface Located<T> {
  file: string;
  /** Index of the YAML document in the file. */
  doc: number;
  value: T;
  /** Best position for a path inside this object, falling back to the nearest parent. */
  at(path: ReadonlyArray<string | number>): { line: number; col: number };
}

export interface ConfigObjects {
  gateways: Located<Gateway>[];
  virtualServices: Located<VirtualService>[];
  destinationRules: Located<DestinationRule>[];
  serviceEntries: Located<ServiceEntry>[];
}

export function loadConfig(_files: SourceFile[]): { objects: ConfigObjects; issues: Issue[] } {
  return { objects: { gateways: [], virtualServices: [], destinationRules: [], serviceEntries: [] }, issues: [] };
}
