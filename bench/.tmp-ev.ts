import jsYaml from "js-yaml";
for (const t of ["a: 1\n---\n---\n# c\nb: [1]\n---\n", "--- {a: 1}\n--- x\n...\n---\n- 1\n", "spec:\n  h:\n  - a\n---\nx: |\n  y\n  ---\n"]) {
const open: number[] = []; const roots: any[] = [];
const vals = jsYaml.loadAll(t, undefined, { listener(ev, st) {
  if (ev === "open") open.push(st.position); else { const at = open.pop(); if (open.length === 0) roots.push([at, st.position, JSON.stringify(st.result)]); }
} });
console.log(JSON.stringify(vals), JSON.stringify(roots));
}
