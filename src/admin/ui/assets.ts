/**
 * The console's only assets, served by the Worker itself (no third-party hosts, so the
 * Content-Security-Policy can say `'self'` and nothing else). The pages read and work without the
 * script; it only adds filtering as you type on the routes page.
 * Colours keep WCAG AA contrast (4.5:1 for text) on both backgrounds.
 */

export const CSS = `
:root { --fg:#1b1f24; --muted:#4a5360; --bg:#fff; --panel:#f4f6f8; --line:#cfd6de; --accent:#0b5cad; --ok:#116329; --bad:#a40e26; --warn:#7d4e00; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--fg); background:var(--bg); }
a { color:var(--accent); }
a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, summary:focus-visible { outline:3px solid var(--accent); outline-offset:2px; }
.skip { position:absolute; left:-9999px; } .skip:focus { left:1rem; top:1rem; background:#fff; padding:.5rem; z-index:2; }
header.top { display:flex; flex-wrap:wrap; gap:1rem; align-items:center; padding:.6rem 1.2rem; background:#14212f; color:#fff; }
header.top .brand { font-weight:700; margin-right:1rem; }
header.top nav ul { display:flex; flex-wrap:wrap; gap:.2rem; list-style:none; margin:0; padding:0; }
header.top nav a { color:#fff; text-decoration:none; padding:.35rem .7rem; border-radius:4px; display:inline-block; }
header.top nav a[aria-current=page] { background:#2f4d6e; text-decoration:underline; }
header.top nav a:hover { background:#24384f; }
header.top nav .soon { color:#b8c4d0; padding:.35rem .7rem; display:inline-block; }
header.top form { margin-left:auto; }
header.top .who { margin-left:auto; color:#d7e0ea; }
main { padding:1rem 1.2rem 3rem; max-width:1280px; }
h1 { font-size:1.5rem; margin:.3rem 0 1rem; } h2 { font-size:1.2rem; margin:1.4rem 0 .5rem; } h3 { font-size:1.05rem; margin:1rem 0 .4rem; }
table { border-collapse:collapse; width:100%; margin:.4rem 0 1rem; }
th, td { text-align:left; vertical-align:top; padding:.35rem .5rem; border-bottom:1px solid var(--line); }
th { background:var(--panel); font-weight:600; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:.92em; }
.muted { color:var(--muted); }
.ok { color:var(--ok); font-weight:600; } .bad { color:var(--bad); font-weight:600; } .warn { color:var(--warn); font-weight:600; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(240px,1fr)); gap:.8rem; }
.card { border:1px solid var(--line); border-radius:6px; padding:.7rem .9rem; background:var(--panel); }
.card h2 { margin:0 0 .3rem; font-size:1rem; }
dl.kv { display:grid; grid-template-columns:max-content 1fr; gap:.2rem .8rem; margin:0; } dl.kv dt { color:var(--muted); } dl.kv dd { margin:0; overflow-wrap:anywhere; }
form.inline { display:inline; }
.field { display:flex; flex-direction:column; gap:.2rem; margin:.5rem 0; }
.row { display:flex; flex-wrap:wrap; gap:.8rem; align-items:flex-end; }
label { font-weight:600; }
input, select, textarea { font:inherit; padding:.35rem .5rem; border:1px solid #8a96a3; border-radius:4px; background:#fff; color:var(--fg); }
textarea { width:100%; min-height:5rem; font-family:ui-monospace,Menlo,Consolas,monospace; }
button { font:inherit; padding:.4rem .9rem; border-radius:4px; border:1px solid var(--accent); background:var(--accent); color:#fff; cursor:pointer; }
button.secondary { background:#fff; color:var(--accent); }
button.danger { background:var(--bad); border-color:var(--bad); }
header.top button { background:transparent; border-color:#9fb3c8; color:#fff; }
.error { border-left:4px solid var(--bad); background:#fdecee; padding:.6rem .8rem; margin:.6rem 0; }
.notice { border-left:4px solid var(--ok); background:#e9f5ec; padding:.6rem .8rem; margin:.6rem 0; }
.host { border:1px solid var(--line); border-radius:6px; margin:.8rem 0; }
.host > h2 { margin:0; padding:.5rem .8rem; background:var(--panel); border-bottom:1px solid var(--line); font-size:1.05rem; }
.host .body { padding:.2rem .8rem .6rem; }
.split { display:block; width:100%; max-width:420px; height:18px; margin:.25rem 0; }
.legend { list-style:none; padding:0; margin:.2rem 0; } .legend li { margin:.1rem 0; }
.swatch { display:inline-block; width:.8em; height:.8em; margin-right:.35em; vertical-align:-.05em; border:1px solid #0003; }
.c0 { fill:#0b5cad; background:#0b5cad; } .c1 { fill:#c05a00; background:#c05a00; } .c2 { fill:#2a7d3b; background:#2a7d3b; } .c3 { fill:#8a3fa0; background:#8a3fa0; } .c4 { fill:#a40e26; background:#a40e26; } .c5 { fill:#4a5360; background:#4a5360; }
.diff { font-family:ui-monospace,Menlo,Consolas,monospace; background:var(--panel); border:1px solid var(--line); padding:.7rem; white-space:pre-wrap; overflow-wrap:anywhere; }
.diff .add { color:var(--ok); } .diff .del { color:var(--bad); } .diff .chg { color:var(--warn); }
tr.active td { background:#eef5fc; font-weight:600; }
.badge { display:inline-block; padding:0 .4rem; border-radius:3px; font-size:.85em; background:#e1e7ee; color:var(--fg); }
.badge.active { background:var(--ok); color:#fff; }
.badge.bad { background:var(--bad); color:#fff; }
tr.bad-row td { background:#fdf3f4; }
ul.actions { list-style:none; padding:0; margin:.4rem 0; }
ul.actions a { display:inline-block; padding:.35rem .8rem; border:1px solid var(--accent); border-radius:4px; text-decoration:none; }
table.history td, table.history th { white-space:nowrap; } table.history td:last-child { white-space:normal; }
.login { max-width:420px; margin:3rem auto; }
[hidden] { display:none !important; }
`;

/** Progressive enhancement only: every feature below also works as a plain form submission. */
export const JS = `
(function () {
  // Routes page: filter the host sections while typing (the form still submits ?host= without JS).
  var filter = document.getElementById("host-filter");
  if (filter) {
    var hosts = document.querySelectorAll("[data-host]");
    var count = document.getElementById("host-count");
    var apply = function () {
      var q = filter.value.trim().toLowerCase(); var shown = 0;
      hosts.forEach(function (el) { var hit = el.getAttribute("data-host").toLowerCase().indexOf(q) !== -1; el.hidden = !hit; if (hit) shown++; });
      if (count) count.textContent = shown + " of " + hosts.length + " hosts";
    };
    filter.addEventListener("input", apply);
  }
})();
`;
