/** The static parts of the site: the HTML shell and the stylesheet. */

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The page. A strict Content-Security-Policy forbids inline scripts and any
 * network access beyond the site's own files, so even a missed escape cannot
 * run a script or call out.
 */
export function indexHtml(project: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'none'">
<meta name="referrer" content="no-referrer">
<link rel="icon" href="data:,">
<title>${escapeHtml(project)} · tx docs</title>
<link rel="stylesheet" href="assets/style.css">
</head>
<body>
<div id="app"><div class="boot" id="boot">Loading the docs of <b>${escapeHtml(project)}</b>…
<p class="muted">If this message stays, the site's scripts or data did not load: check that <code>assets/</code> and <code>data/</code> sit beside this page, or run <code>tx docs generate</code> again.</p></div></div>
<noscript><p class="boot">This site needs JavaScript.</p></noscript>
<script src="data/index.js"></script>
<script src="assets/app.js"></script>
</body>
</html>
`;
}

export const STYLE_CSS = `
:root{--bg:#fff;--fg:#1d2430;--muted:#667085;--line:#e3e7ee;--panel:#f6f8fb;--accent:#2f6fde;
--model:#3b82f6;--source:#16a34a;--seed:#a16207;--test:#6b7280;--export:#9333ea;
--ok:#16a34a;--bad:#dc2626;--warn:#d97706;--skip:#9ca3af;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;font-size:14px;color:var(--fg);background:var(--bg)}
*{box-sizing:border-box}body{margin:0}a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
.boot{padding:40px;font-size:16px}.muted{color:var(--muted)}
header.top{display:flex;align-items:center;gap:16px;padding:8px 16px;border-bottom:1px solid var(--line);background:var(--panel);position:sticky;top:0;z-index:5}
header.top .brand{font-weight:700}header.top nav a{margin-right:12px}
.search{position:relative;margin-left:auto}.search input{width:320px;padding:6px 10px;border:1px solid var(--line);border-radius:6px}
.search ul{position:absolute;right:0;top:34px;width:420px;max-height:60vh;overflow:auto;background:#fff;border:1px solid var(--line);border-radius:6px;margin:0;padding:4px 0;list-style:none;box-shadow:0 6px 24px rgba(0,0,0,.12)}
.search li a{display:flex;gap:8px;padding:5px 10px;color:var(--fg)}.search li a.active,.search li a:hover{background:var(--panel);text-decoration:none}
main{padding:16px 24px;max-width:1400px}main.full{max-width:none;padding:0}
.banner{padding:8px 12px;border-radius:6px;margin:8px 0;background:#fff7e6;border:1px solid #f5c26b}
.banner.error{background:#fdecec;border-color:#f09999}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:12px 0}.card{border:1px solid var(--line);border-radius:8px;padding:10px 14px;min-width:170px;background:#fff}
.card h3{margin:0 0 6px;font-size:13px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}.card .big{font-size:24px;font-weight:700}
.pill{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;color:#fff;background:var(--skip);white-space:nowrap}
.pill.success,.pill.pass{background:var(--ok)}.pill.error,.pill.fail{background:var(--bad)}.pill.warn{background:var(--warn)}.pill.skipped,.pill.cancelled,.pill.unknown,.pill.not-run{background:var(--skip)}
.type{display:inline-block;padding:0 6px;border-radius:4px;font-size:11px;font-weight:600;color:#fff}
.type.model{background:var(--model)}.type.source{background:var(--source)}.type.seed{background:var(--seed)}.type.test{background:var(--test)}.type.export{background:var(--export)}
table{border-collapse:collapse;width:100%;margin:8px 0 16px}th,td{border-bottom:1px solid var(--line);padding:6px 8px;text-align:left;vertical-align:top}th{background:var(--panel);font-weight:600}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:22px 0 8px}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px}.kv dt{color:var(--muted)}.kv dd{margin:0}
.desc{line-height:1.5}.desc p{margin:4px 0}
.tabs button{border:1px solid var(--line);background:var(--panel);padding:4px 12px;border-radius:6px 6px 0 0;cursor:pointer}.tabs button.on{background:#fff;border-bottom-color:#fff;font-weight:600}
pre.sql{background:#fbfcfe;border:1px solid var(--line);padding:10px 12px;overflow:auto;margin:0 0 12px;max-height:520px;line-height:1.45}
.sql .kw{color:#7c3aed;font-weight:600}.sql .str{color:#047857}.sql .num{color:#b45309}.sql .cm{color:#8a94a6;font-style:italic}.sql .id{color:#1d4ed8}.sql .fn{color:#0e7490}.sql .tpl{color:#be185d;background:#fdf2f8}
.untraced{color:var(--warn)}.lin a{white-space:nowrap}
.graph-wrap{position:relative;height:calc(100vh - 50px);display:flex;flex-direction:column}
.graph-bar{display:flex;gap:8px;align-items:center;padding:6px 12px;border-bottom:1px solid var(--line);flex-wrap:wrap}
.graph-bar input[type=text]{width:260px;padding:4px 8px;border:1px solid var(--line);border-radius:6px}
.graph-bar .err{color:var(--bad)}
canvas.graph{flex:1;width:100%;display:block;cursor:grab;background:#fcfdff}canvas.graph.drag{cursor:grabbing}
.legend{display:flex;gap:10px;align-items:center;font-size:12px}.legend i{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:3px}
.tip{position:absolute;pointer-events:none;background:#111827;color:#fff;padding:4px 8px;border-radius:4px;font-size:12px;display:none;white-space:nowrap}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.two{display:grid;grid-template-columns:1fr 1fr;gap:24px}@media(max-width:900px){.two{grid-template-columns:1fr}}
ul.plain{list-style:none;padding:0;margin:0}ul.plain li{padding:2px 0}
`;
