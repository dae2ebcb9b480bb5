import { readSources } from "/work/wt/cli-scale/scripts/lib/files.ts";
import { loadConfig } from "/work/wt/cli-scale/src/config/index.ts";
import v8 from "node:v8";
import { readFileSync } from "node:fs";
const sources = (await readSources([process.argv[2]!]));
const keep = loadConfig(sources);
(globalThis as any).gc();
const file = v8.writeHeapSnapshot("/tmp/load.heapsnapshot");
const snap = JSON.parse(readFileSync(file, "utf8"));
const f = snap.snapshot.meta.node_fields; const types = snap.snapshot.meta.node_types[0];
const N = f.length; const nodes = snap.nodes; const strings = snap.strings;
const agg = new Map<string, [number, number]>();
for (let i = 0; i < nodes.length; i += N) {
  const t = types[nodes[i + f.indexOf("type")]]; const name = strings[nodes[i + f.indexOf("name")]];
  const k = t === "object" || t === "closure" ? `${t}:${name}` : t;
  const a = agg.get(k) ?? [0, 0]; a[0] += nodes[i + f.indexOf("self_size")]; a[1]++; agg.set(k, a);
}
console.log([...agg].sort((a, b) => b[1][0] - a[1][0]).slice(0, 25).map(([k, [s, c]]) => `${(s / 2 ** 20).toFixed(1)} MiB ${c} ${k}`).join("\n"));
console.log(keep.objects.virtualServices.length);
