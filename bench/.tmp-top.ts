import { readFileSync } from "node:fs";
const p = JSON.parse(readFileSync(process.argv[2]!, "utf8"));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const self = new Map<string, number>();
p.samples.forEach((id: number, i: number) => {
  const n = byId.get(id);
  const k = `${n.callFrame.url.replace(/.*node_modules\//, "nm/").replace(/.*cli-scale\//, "")} ${n.callFrame.functionName}`;
  self.set(k, (self.get(k) ?? 0) + p.timeDeltas[i] / 1000);
});
const byUrl = new Map<string, number>();
for (const [k, v] of self) { const u = k.split(" ")[0]!; byUrl.set(u, (byUrl.get(u) ?? 0) + v); }
console.log([...byUrl].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(0)} ${k}`).join("\n"));
console.log("---");
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 30).map(([k, v]) => `${v.toFixed(0)} ${k}`).join("\n"));
