/**
 * The dashboard as one self-contained HTML page: inline style and script, no CDN, no external fonts
 * (system fonts only). Live (`failover-demo dashboard`): the script follows /api/events (server-sent
 * events). Static (a drill's report.html): the data is embedded and drawn once. Pure.
 *
 * Readable at a distance: large type; every colour also has a label and a shape or pattern
 * (● primary solid, ▲ secondary hatched, ◆ split, ✖ none), so nothing depends on telling colours apart.
 */
import { scriptJson, type DashboardData } from './dashboard-model.js';
import { DASHBOARD_SCRIPT } from './dashboard-script.js';

const STYLE = `
:root { --primary: #1f5fbf; --secondary: #d9730d; --split: #b3261e; --none: #555; --bg: #fff; --fg: #111; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 22px/1.35 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 34px; margin: 0 0 16px; }
h2 { font-size: 26px; margin: 24px 0 8px; }
.top { display: flex; gap: 24px; flex-wrap: wrap; align-items: stretch; }
.card { border: 3px solid #ccc; border-radius: 10px; padding: 12px 20px; min-width: 260px; }
.big { font-size: 52px; font-weight: 700; letter-spacing: 1px; }
.state-primary { color: var(--primary); } .state-secondary { color: var(--secondary); }
.state-split { color: var(--split); } .state-none { color: var(--none); }
.label { font-size: 18px; text-transform: uppercase; color: #444; }
table { border-collapse: collapse; } td, th { padding: 4px 14px 4px 0; text-align: left; }
.num { font-variant-numeric: tabular-nums; font-weight: 700; }
#lanes svg, #acks svg { width: 100%; height: auto; display: block; }
#log { font: 19px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; max-height: 340px; overflow-y: auto; border: 2px solid #ddd; padding: 8px; white-space: pre-wrap; }
.error { color: var(--split); font-weight: 700; }
.actions button { font-size: 22px; padding: 10px 18px; margin: 0 12px 12px 0; border-radius: 8px; border: 3px solid #333; background: #f4f4f4; cursor: pointer; }
.pass { color: #0a6b2d; font-weight: 700; } .run { color: var(--primary); font-weight: 700; } .fail { color: var(--split); font-weight: 700; }
.legend span { margin-right: 24px; }
`;

function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** The page. `data` is drawn at once; live pages then follow /api/events. */
export function dashboardHtml(data: DashboardData): string {
  const title = escapeHtml(data.title);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,"><title>${title}</title><style>${STYLE}</style></head>
<body data-active="${escapeHtml(data.current?.activeCluster ?? 'unknown')}">
<h1 id="title">${title}</h1>
<div class="top">
  <div class="card"><div class="label">active cluster (new connections)</div><div id="active" class="big">…</div><div id="policy" class="label"></div></div>
  <div class="card"><div class="label">controller decision</div><div id="decision">—</div></div>
  <div class="card"><div class="label">open client connections</div><table id="connections"></table></div>
  <div class="card"><div class="label">acks per second (where clients really write)</div><table id="ackrate"></table></div>
</div>
<p id="error" class="error" role="alert"></p>
<h2>Listeners over time</h2>
<div class="legend"><span class="state-primary">● PRIMARY (solid)</span><span class="state-secondary">▲ SECONDARY (hatched)</span><span class="state-split">◆ SPLIT</span><span class="state-none">✖ NONE (dotted)</span></div>
<div id="lanes"></div>
<h2>Acknowledgements per second, by cluster</h2>
<div id="acks"></div>
<div id="steps-box" hidden><h2>Drill steps <span id="steps-title" class="label"></span></h2><table id="steps"></table></div>
<div id="actions-box" class="actions" hidden><h2>Actions</h2><div id="actions"></div><p id="action-result" role="status"></p></div>
<h2>Event log</h2>
<div id="log" aria-live="polite"></div>
<script id="dashboard-data" type="application/json">${scriptJson(data)}</script>
<script>${DASHBOARD_SCRIPT}</script>
</body></html>
`;
}
