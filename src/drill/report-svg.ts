/**
 * timeline.svg (pure): a self-contained SVG with one lane per listener coloured by where Envoy routes
 * it, the overall state, open client connections per cluster, the acknowledged-messages rate per cluster
 * below, each step marked with a numbered line and its predicted window shaded.
 */
import { formatSeconds } from '../envoy/timing.js';
import { describeRouting } from '../envoy/routing-model.js';
import { msText as ms, windowText as win, type DrillReport } from './report-model.js';

const COLORS: Record<string, string> = {
  primary: '#2563eb',
  secondary: '#f59e0b',
  none: '#dc2626',
  split: '#a855f7',
};
const colorOf = (target: string) => COLORS[target] ?? '#9ca3af';

function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmt(n: number): string {
  return String(Math.round(n * 10) / 10);
}

/** Where everything goes: the picture's size, its bands from top to bottom, and time → x. */
interface Layout {
  width: number;
  height: number;
  left: number;
  plotW: number;
  laneH: number;
  laneGap: number;
  spanMs: number;
  /** Routing lanes: one per listener, then the overall state. */
  top: number;
  lanes: string[];
  lanesH: number;
  /** Open connections per cluster (no band when the report has no connection samples). */
  connTop: number;
  connClusters: readonly ('primary' | 'secondary')[];
  /** Acks per second. */
  ackTop: number;
  ackH: number;
  /** One line per step. */
  stepTop: number;
  x: (at: number) => number;
}

function layoutOf(r: DrillReport): Layout {
  const { startedAt, endedAt } = r.timeline;
  const spanMs = Math.max(1000, endedAt - startedAt);
  const width = 960;
  const left = 120;
  const right = 20;
  const plotW = width - left - right;
  const laneH = 22;
  const laneGap = 6;
  const top = 56;
  const lanes = [...Array.from({ length: r.brokers }, (_, i) => `listener ${i}`), 'overall'];
  const lanesH = lanes.length * (laneH + laneGap);
  const connTop = top + lanesH + 8;
  const connClusters = (r.timeline.connections ?? []).length > 0 ? (['primary', 'secondary'] as const) : [];
  const connH = connClusters.length * (laneH + laneGap);
  const ackTop = connTop + connH + 24;
  const ackH = 90;
  const stepTop = ackTop + ackH + 34;
  const height = stepTop + r.steps.length * 30 + 30;
  const x = (at: number) => left + ((at - startedAt) / spanMs) * plotW;
  return { width, height, left, plotW, laneH, laneGap, spanMs, top, lanes, lanesH, connTop, connClusters, ackTop, ackH, stepTop, x };
}

function heading(r: DrillReport, { width, height, left }: Layout): string[] {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>Drill ${esc(r.scenario)}: ${r.passed ? 'passed' : 'failed'}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">Drill ${esc(r.scenario)} — ${r.passed ? 'passed' : 'FAILED'}</text>`,
    `<text x="${left}" y="40" fill="#4b5563">${r.policy ? `${esc(r.policy)} · ` : ''}detection ${ms(r.detectionMs)} · client recovery ${ms(r.clientRecoveryMs)} · failback ${ms(r.failbackMs)}${r.clientFailbackMs !== undefined ? ` · client failback ${ms(r.clientFailbackMs)}` : ''} · split ${ms(r.splitMs)}${r.acksOnInactiveCluster !== undefined ? ` · acks on the inactive cluster ${r.acksOnInactiveCluster}` : ''} · acked missing ${r.ackedMissing ?? 'not checked'}</text>`,
  ];
}

/** Routing lanes: one rect per stretch of the routing, coloured by where the listener (or overall) went. */
function routingLanes(r: DrillReport, { left, plotW, laneH, laneGap, top, lanes, x }: Layout): string[] {
  const { routing, startedAt, endedAt } = r.timeline;
  const out = ['<g class="lanes">'];
  lanes.forEach((label, li) => {
    const y = top + li * (laneH + laneGap);
    out.push(`<text x="${left - 8}" y="${y + laneH / 2 + 4}" text-anchor="end">${esc(label)}</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${laneH}" fill="#f3f4f6"/>`);
    routing.forEach((s, i) => {
      const end = routing[i + 1]?.at ?? endedAt;
      const target = li < r.brokers ? (s.listeners[li] ?? 'missing') : s.activeCluster;
      const x0 = x(Math.max(s.at, startedAt));
      const x1 = x(end);
      if (x1 <= x0) return;
      out.push(
        `<rect class="segment" x="${fmt(x0)}" y="${y}" width="${fmt(x1 - x0)}" height="${laneH}" fill="${colorOf(target)}"><title>${esc(`${label}: ${target} from ${formatSeconds(s.at - startedAt)} s to ${formatSeconds(end - startedAt)} s${s.unhealthy?.length ? ` (unhealthy: ${s.unhealthy.join('; ')})` : ''}`)}</title></rect>`,
      );
    });
  });
  out.push('</g>');
  return out;
}

/** Predicted windows of each step (drawn over the lanes, translucent). */
function predictedWindows(r: DrillReport, { top, lanesH, x }: Layout): string[] {
  const out = ['<g class="predicted">'];
  for (const s of r.steps) {
    const base = s.effectAt ?? (s.predicted.window === 'recovered' ? s.actionDoneAt : s.faultAt);
    const x0 = x(base + s.predicted.earliestMs);
    const x1 = x(base + s.predicted.latestMs);
    out.push(`<rect x="${fmt(x0)}" y="${top - 4}" width="${fmt(Math.max(1, x1 - x0))}" height="${lanesH}" fill="#10b981" fill-opacity="0.35" stroke="#047857" stroke-width="1"><title>${esc(`${s.name}: predicted ${win(s.predicted)}`)}</title></rect>`);
  }
  out.push('</g>');
  return out;
}

/** Open client connections per cluster (where clients really are), as a step line per cluster. */
function connectionLines(r: DrillReport, { left, plotW, laneH, laneGap, connTop, connClusters, x }: Layout): string[] {
  if (connClusters.length === 0) return [];
  const { startedAt, endedAt } = r.timeline;
  const connections = r.timeline.connections ?? [];
  const maxCx = Math.max(1, ...connections.flatMap((c) => connClusters.map((k) => c.byCluster[k] ?? 0)));
  const out = ['<g class="connections">'];
  connClusters.forEach((k, ci) => {
    const y = connTop + ci * (laneH + laneGap);
    out.push(`<text x="${left - 8}" y="${y + laneH / 2 + 4}" text-anchor="end">${k} conns</text>`);
    out.push(`<rect x="${left}" y="${y}" width="${plotW}" height="${laneH}" fill="#f9fafb" stroke="#e5e7eb"/>`);
    const pts: string[] = [];
    connections.forEach((c, i) => {
      const n = c.byCluster[k] ?? 0;
      const yy = y + laneH - (n / maxCx) * (laneH - 2);
      const x0 = x(Math.max(c.at, startedAt));
      const x1 = x(connections[i + 1]?.at ?? endedAt);
      pts.push(`${fmt(x0)},${fmt(yy)}`, `${fmt(x1)},${fmt(yy)}`);
    });
    out.push(`<polyline points="${pts.join(' ')}" fill="none" stroke="${COLORS[k]}" stroke-width="2"><title>${esc(`open client connections to ${k} (max ${maxCx})`)}</title></polyline>`);
  });
  out.push('</g>');
  return out;
}

/** Ack rate, stacked per cluster. */
function ackBars(r: DrillReport, { left, plotW, spanMs, ackTop, ackH, x }: Layout): string[] {
  const { acks, startedAt } = r.timeline;
  const maxRate = Math.max(1, ...acks.map((b) => b.primary + b.secondary + b.unknown + b.failed));
  const out = ['<g class="acks">'];
  out.push(`<text x="${left - 8}" y="${ackTop + ackH / 2}" text-anchor="end">acks/s</text>`);
  out.push(`<text x="${left - 8}" y="${ackTop + 10}" text-anchor="end" fill="#6b7280">${maxRate}</text>`);
  out.push(`<rect x="${left}" y="${ackTop}" width="${plotW}" height="${ackH}" fill="#f9fafb" stroke="#e5e7eb"/>`);
  const barW = Math.max(1, plotW / (spanMs / 1000));
  for (const b of acks) {
    let y = ackTop + ackH;
    const bx = x(startedAt + b.second * 1000);
    for (const [key, color] of [['primary', COLORS.primary], ['secondary', COLORS.secondary], ['unknown', '#9ca3af'], ['failed', COLORS.none]] as const) {
      const n = b[key];
      if (n <= 0) continue;
      const h = (n / maxRate) * ackH;
      y -= h;
      out.push(`<rect x="${fmt(bx)}" y="${fmt(y)}" width="${fmt(Math.max(1, barW - 1))}" height="${fmt(h)}" fill="${color}"><title>${esc(`${b.second} s: ${n} ${key === 'failed' ? 'failed sends' : `acked by ${key}`}`)}</title></rect>`);
    }
  }
  out.push('</g>');
  return out;
}

function timeAxis(r: DrillReport, { spanMs, ackTop, ackH, x }: Layout): string[] {
  const out = ['<g class="axis" fill="#6b7280">'];
  const stepS = spanMs > 240_000 ? 30 : spanMs > 90_000 ? 10 : 5;
  for (let s = 0; s * 1000 <= spanMs; s += stepS) {
    const tx = x(r.timeline.startedAt + s * 1000);
    out.push(`<line x1="${fmt(tx)}" y1="${ackTop + ackH}" x2="${fmt(tx)}" y2="${ackTop + ackH + 4}" stroke="#9ca3af"/>`);
    out.push(`<text x="${fmt(tx)}" y="${ackTop + ackH + 16}" text-anchor="middle">${s}s</text>`);
  }
  out.push('</g>');
  return out;
}

/** A numbered dashed line where each step started, and one line of text per step below. */
function stepMarkers(r: DrillReport, { left, top, ackTop, ackH, stepTop, x }: Layout): string[] {
  const out = ['<g class="steps">'];
  r.steps.forEach((s, i) => {
    const sx = x(s.startedAt);
    out.push(`<line x1="${fmt(sx)}" y1="${top - 8}" x2="${fmt(sx)}" y2="${ackTop + ackH}" stroke="#111827" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${fmt(sx + 3)}" y="${top - 10}" font-weight="bold">${i + 1}</text>`);
    const ly = stepTop + i * 30;
    out.push(`<text x="${left}" y="${ly}" fill="${s.passed ? '#047857' : '#b91c1c'}">${s.passed ? '✓' : '✗'} ${i + 1}. ${esc(s.name)} → ${esc(describeRouting(s.observed))}</text>`);
    out.push(
      `<text x="${left + 16}" y="${ly + 13}" fill="#4b5563" font-size="11">${s.heldMs !== undefined ? `held ${ms(s.heldMs)}` : `Envoy took ${ms(s.settleMs)}`}, predicted ${win(s.predicted)} (${esc(s.predicted.case)}); runtime calls ${ms(s.actionMs)}${s.error ? ` — ${esc(s.error)}` : ''}</text>`,
    );
  });
  out.push('</g>');
  return out;
}

function legend({ left, height }: Layout): string[] {
  const ly = height - 16;
  const entries: [string, string][] = [
    ['primary', COLORS.primary!],
    ['secondary', COLORS.secondary!],
    ['no upstream / failed sends', COLORS.none!],
    ['split', COLORS.split!],
    ['predicted window', '#10b981'],
  ];
  const out = ['<g class="legend">'];
  let lx = left;
  for (const [label, color] of entries) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color}"${label === 'predicted window' ? ' fill-opacity="0.3"' : ''}/>`);
    out.push(`<text x="${lx + 16}" y="${ly}">${esc(label)}</text>`);
    lx += 30 + label.length * 6.5;
  }
  out.push('</g>');
  return out;
}

/** The whole picture; see the module comment. */
export function renderSvg(r: DrillReport): string {
  const layout = layoutOf(r);
  const out = [
    ...heading(r, layout),
    ...routingLanes(r, layout),
    ...predictedWindows(r, layout),
    ...connectionLines(r, layout),
    ...ackBars(r, layout),
    ...timeAxis(r, layout),
    ...stepMarkers(r, layout),
    ...legend(layout),
    '</svg>',
  ];
  return out.join('\n') + '\n';
}
