/**
 * The drill report: its shape (report.json, a contract: passed, steps[] with name / expected / observed /
 * passed / ms, detectionMs, failbackMs, clientRecoveryMs, ackedMissing), and pure renderers for
 * report.md and the timeline picture (timeline.svg).
 */
import type { CrashMeasures } from './crash.js';
import type { HealthCheckSettings } from '../config/topology.js';
import { formatSeconds } from '../envoy/timing.js';
import { describeRouting, type ExpectedRouting, type ObservedRouting } from '../envoy/routing-model.js';
import type { StepWindow } from './scenarios.js';

export interface PredictedWindow {
  /** Which predictTiming window: refused / hung / errorStatus / recovered. */
  case: string;
  earliestMs: number;
  latestMs: number;
}

export interface StepResult {
  name: string;
  /** PoC walkthrough step(s). */
  poc?: string;
  why: string;
  expected: ExpectedRouting;
  observed: ObservedRouting;
  passed: boolean;
  /** Step start → expected routing seen (or → giving up). */
  ms: number;
  /** Time the runtime calls took (stopping, restarting brokers). */
  actionMs: number;
  /**
   * Time Envoy took, measured against the prediction: from the moment the fault took effect (effectAt:
   * each stopped broker's process had exited, each started one was ready).
   */
  settleMs?: number;
  /** The same, measured from the command (the first runtime call, faultAt). */
  fromCommandMs?: number;
  predicted: PredictedWindow & { window: StepWindow; deadlineMs: number };
  /**
   * What had marked the hosts when the routing got there: the active health check, or outlier detection
   * (connections through Envoy failing: faster than the health check while clients keep connecting).
   */
  detectedBy?: 'health check' | 'outlier detection' | 'health check + outlier detection';
  /** For steps whose routing must not change: how long it was watched. */
  heldMs?: number;
  /** Epoch ms: step start, first runtime call that changed a broker, the fault took effect, end of the runtime calls, step end. */
  startedAt: number;
  faultAt: number;
  effectAt: number;
  actionDoneAt: number;
  /** What the runtime said about brokers it could not wait for (a cluster without quorum). */
  notes?: string[];
  endedAt: number;
  /** Why it failed. */
  error?: string;
}

export interface RoutingSample {
  /** Epoch ms. */
  at: number;
  activeCluster: string;
  listeners: string[];
  /** Hosts Envoy holds unhealthy, with its flags ("primary-broker-0: failed_active_hc"): why routing moved. */
  unhealthy?: string[];
}

/** Open client connections through Envoy per Redpanda cluster (Envoy's cx_active), when they changed. */
export interface ConnectionSample {
  at: number;
  byCluster: Record<string, number>;
}

export interface AckBucket {
  /** Second since the drill started. */
  second: number;
  primary: number;
  secondary: number;
  unknown: number;
  failed: number;
}

export interface DrillReport {
  scenario: string;
  description: string;
  passed: boolean;
  /** ISO time. */
  startedAt: string;
  durationMs: number;
  runtime: string;
  brokers: number;
  healthCheck: HealthCheckSettings;
  steps: StepResult[];
  /** Fault (first runtime call of the fault step) → first listener routing change seen. */
  detectionMs: number | null;
  /** Fault (first runtime call of the fault step) → first message acknowledged by the secondary cluster. */
  clientRecoveryMs: number | null;
  /** Failback step end (last broker serving again) → every listener on primary. */
  failbackMs: number | null;
  /** Total time Envoy routed some listeners to primary and others to secondary. */
  splitMs: number;
  /** Failover policy the demo ran with. */
  policy?: 'coherent' | 'per-broker';
  /** Failback (the primary serving again) → first message acknowledged by the primary cluster: when clients really came back. */
  clientFailbackMs?: number | null;
  /**
   * Acknowledgements by the cluster Envoy no longer routes to, more than failover.settleGrace after the
   * routing settled on the other one: clients left behind (per-broker: after a failback, connections to
   * the healthy secondary stay open). 0 under coherent.
   */
  acksOnInactiveCluster?: number;
  /** The first of those (sequence number, cluster that holds it, time after the routing settled): for diagnosis. */
  inactiveAcks?: { seq: number; cluster: string; afterSwitchMs: number; relabelled: boolean }[];
  /**
   * Clients started after the last step, next to the ones that ran through it: where a fresh producer's
   * acknowledgements and a fresh consumer's cluster land, and where the drill's producer acked last.
   */
  lateClients?: { producerAckedBy: Record<string, number>; consumerCluster?: string; runningProducerCluster?: string };
  /** A crash scenario (`proxy-restart`, `broker-crash`): the part's time back and the clients' recovery. */
  crash?: CrashMeasures;
  /** Acknowledged messages not found where their ack said (read back from each cluster directly). null: not checked. */
  ackedMissing: number | null;
  predicted: { detection?: PredictedWindow; failback?: PredictedWindow };
  clients: {
    sent: number;
    acked: number;
    failed: number;
    ackedBy: Record<string, number>;
    received?: number;
    gaps?: number;
    duplicates?: number;
    clusterSwitches?: number;
  };
  /**
   * checked: acknowledged messages; missing: found on neither cluster at the acknowledged offset;
   * onOtherCluster: found, but on the other cluster than the acknowledgement named (a split: the client's
   * metadata came from one cluster while a listener sent its writes to the other).
   */
  ledger: { checked: number; missing: number; onOtherCluster: number; missingSamples?: unknown[] } | null;
  /** Routing poll period: measured times are accurate to about this. */
  pollMs: number;
  timeline: { startedAt: number; endedAt: number; routing: RoutingSample[]; acks: AckBucket[]; connections?: ConnectionSample[] };
  /** Set when the drill stopped early. */
  failure?: { step: string; message: string; environment: 'left as it failed' | 'restored' };
}

// ---------------------------------------------------------------------------------------------
// Measurements from the timelines (pure)

/** Total ms the overall routing was `state`, up to `to`. */
export function timeIn(state: string, routing: readonly RoutingSample[], to: number): number {
  let total = 0;
  routing.forEach((s, i) => {
    if (s.activeCluster !== state) return;
    const end = routing[i + 1]?.at ?? to;
    total += Math.max(0, end - s.at);
  });
  return total;
}

/**
 * Acknowledgements by a cluster other than the one every listener had routed to for more than
 * `graceMs` (the routing's overall state `primary`/`secondary`), and still did for `graceMs` after:
 * clients left on the old cluster.
 */
export function acksOnInactiveCluster(acks: readonly { at: number; cluster: string }[], routing: readonly RoutingSample[], graceMs: number): number {
  return inactiveAcks(acks, routing, graceMs).length;
}

/** The acknowledgements acksOnInactiveCluster counts, each with how long after the routing settled it came. */
export function inactiveAcks<A extends { at: number; cluster: string }>(acks: readonly A[], routing: readonly RoutingSample[], graceMs: number): (A & { afterSwitchMs: number })[] {
  const out: (A & { afterSwitchMs: number })[] = [];
  for (const a of acks) {
    if (a.cluster !== 'primary' && a.cluster !== 'secondary') continue;
    const now = routing.filter((x) => x.at <= a.at).at(-1);
    if (!now || (now.activeCluster !== 'primary' && now.activeCluster !== 'secondary') || now.activeCluster === a.cluster) continue;
    // Since when has it been that cluster without a break?
    let since = now.at;
    for (let i = routing.indexOf(now) - 1; i >= 0 && routing[i]!.activeCluster === now.activeCluster; i--) since = routing[i]!.at;
    // The routing is read every poll, so a switch shows up a little after it happened: an ack on the
    // new cluster just before the sample that shows the switch is not left behind. Count it only when
    // the routing stays off its cluster for the grace after it too.
    const switchesSoon = routing.some((x) => x.at > a.at && x.at <= a.at + graceMs && x.activeCluster === a.cluster);
    if (a.at - since > graceMs && !switchesSoon) out.push({ ...a, afterSwitchMs: a.at - since });
  }
  return out;
}

/** First routing sample at or after `from` whose listeners differ from the one in force at `from`. */
export function firstRoutingChange(routing: readonly RoutingSample[], from: number): RoutingSample | undefined {
  let current: RoutingSample | undefined;
  for (const s of routing) {
    if (s.at <= from) current = s;
    else if (!current || s.listeners.join() !== current.listeners.join()) return s;
  }
  return undefined;
}

/** When the routing first satisfies `pred` at or after `from` (`from` itself when the sample in force does). */
export function firstTimeWhen(routing: readonly RoutingSample[], from: number, pred: (s: RoutingSample) => boolean): number | undefined {
  let inForce: RoutingSample | undefined;
  for (const s of routing) {
    if (s.at <= from) {
      inForce = s;
      continue;
    }
    if (inForce) {
      if (pred(inForce)) return from;
      inForce = undefined;
    }
    if (pred(s)) return s.at;
  }
  return inForce && pred(inForce) ? from : undefined;
}

/** When the overall routing is first `state` at or after `from`. */
export function firstTimeIn(routing: readonly RoutingSample[], from: number, state: string): number | undefined {
  return firstTimeWhen(routing, from, (s) => s.activeCluster === state);
}

// ---------------------------------------------------------------------------------------------
// Markdown

const ms = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${formatSeconds(v)} s`);
const win = (w: PredictedWindow | undefined) => (w ? `${formatSeconds(w.earliestMs)}–${formatSeconds(w.latestMs)} s` : '—');

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The crash scenarios' own table: the part's time back and the clients' recovery. */
function crashSection(r: DrillReport): string[] {
  const c = r.crash;
  if (!c) return [];
  return [
    '## Crash',
    '',
    '| | measured |',
    '|---|---|',
    `| killed (SIGKILL) | ${c.killed} |`,
    `| running again (kill → its supervisor restarted it) | ${ms(c.backMs)} |`,
    `| serving again (kill → ${c.part === 'envoy' ? "Envoy's admin API LIVE" : 'Kafka API and Schema Registry answer'}) | ${ms(c.servingMs)} |`,
    ...(c.ledPartitions ? [`| leader election (kill → partitions ${c.ledPartitions.join(', ')} led by another broker) | ${c.leaderElectionMs === null ? 'not moved: the broker was back first' : ms(c.leaderElectionMs ?? null)} |`] : []),
    `| producer recovery (kill → every partition acknowledged again) | ${ms(c.producerRecoveryMs)} |`,
    `| consumer recovery (kill → every partition received again) | ${ms(c.consumerRecoveryMs)} |`,
    `| sends failed meanwhile (after kafkajs retries) | ${c.failedSends} |`,
    `| restarts counted by the supervisor | ${c.restarts ?? '—'} |`,
    '',
  ];
}

export function renderMarkdown(r: DrillReport, svgFile = 'timeline.svg'): string {
  const hc = r.healthCheck;
  const lines = [
    `# Drill \`${r.scenario}\`: ${r.passed ? 'passed ✓' : 'FAILED ✗'}`,
    '',
    `${r.description} ${r.brokers} brokers per cluster, ${r.runtime} runtime, ${r.startedAt}, ${formatSeconds(r.durationMs)} s.`,
    `Health check: every ${formatSeconds(hc.intervalMs)} s (+0–${formatSeconds(hc.intervalJitterMs)} s jitter), timeout ${formatSeconds(hc.timeoutMs)} s, ` +
      `unhealthy after ${hc.unhealthyThreshold}, healthy after ${hc.healthyThreshold}. Routing polled every ${r.pollMs} ms.`,
    '',
    `![routing timeline](${svgFile})`,
    '',
    '## Measured vs predicted',
    '',
    '| | measured | predicted (`failover-demo timing`) |',
    '|---|---|---|',
    `| detection (fault → Envoy routing change) | ${ms(r.detectionMs)}${r.steps.find((s) => s.detectedBy)?.detectedBy ? ` (${r.steps.find((s) => s.detectedBy)!.detectedBy})` : ''} | ${win(r.predicted.detection)} (health check) |`,
    `| client recovery (fault → first ack on secondary) | ${ms(r.clientRecoveryMs)} | detection + client retry/metadata refresh |`,
    `| failback (broker serving again → all listeners on primary) | ${ms(r.failbackMs)} | ${win(r.predicted.failback)} |`,
    `| time split (listeners on different clusters) | ${ms(r.splitMs)} | |`,
    ...(r.clientFailbackMs !== undefined ? [`| client failback (primary serving again → first ack on primary) | ${ms(r.clientFailbackMs)} | failback + client reconnect |`] : []),
    ...(r.acksOnInactiveCluster !== undefined ? [`| acks on the cluster Envoy no longer routes to (clients left behind) | ${r.acksOnInactiveCluster} | ${r.policy === 'coherent' ? '0' : '—'} |`] : []),
    ...(r.lateClients
      ? [
          `| clients started after the last step | producer acked on ${Object.entries(r.lateClients.producerAckedBy).filter(([, n]) => n > 0).map(([c]) => c).join(', ') || 'nothing'}, consumer on ${r.lateClients.consumerCluster ?? '—'}; the drill's producer acked last on ${r.lateClients.runningProducerCluster ?? '—'} | the same cluster |`,
        ]
      : []),
    `| acknowledged messages missing | ${r.ackedMissing ?? 'not checked'} | 0 |`,
    '',
    ...crashSection(r),
    '## Steps',
    '',
    '| # | step | PoC | expected | observed | Envoy took (from effect / from command) | predicted | step total | |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.steps.map((s, i) =>
      `| ${i + 1} | ${escapeCell(s.name)} | ${s.poc ?? ''} | ${escapeCell(describeRouting(s.expected))} | ${escapeCell(describeRouting(s.observed))} | ` +
        `${s.heldMs !== undefined ? `held ${ms(s.heldMs)}` : `${ms(s.settleMs)} / ${ms(s.fromCommandMs)}`}${s.detectedBy ? ` (${s.detectedBy})` : ''} | ${win(s.predicted)} (${s.predicted.case}) | ${ms(s.ms)} | ${s.passed ? '✓' : '✗'} |`,
    ),
    '',
    ...r.steps.map((s, i) => `${i + 1}. ${escapeCell(s.why)}${s.notes?.length ? ` (${escapeCell(s.notes.join('; '))})` : ''}${s.error ? ` **Failed:** ${escapeCell(s.error)}` : ''}`),
    '',
    ...(r.steps.some((s) => s.detectedBy?.includes('outlier'))
      ? [
          'Outlier detection: while clients keep connecting, Envoy ejects a broker after consecutive failed connections through its listener, ' +
            'usually well before the health check marks it; the health check then keeps it out and brings it back (the predicted windows are for the health check).',
          '',
        ]
      : []),
    '## Clients',
    '',
    `Producer: ${r.clients.sent} sent, ${r.clients.acked} acknowledged (${Object.entries(r.clients.ackedBy)
      .filter(([, n]) => n > 0)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || 'none'}), ${r.clients.failed} failed sends.`,
  ];
  if (r.clients.received !== undefined) {
    lines.push(
      `Consumer: ${r.clients.received} received, ${r.clients.gaps ?? 0} gaps, ${r.clients.duplicates ?? 0} duplicates, ${r.clients.clusterSwitches ?? 0} cluster switches.`,
    );
  }
  if (r.ledger) {
    lines.push(
      `Ledger: ${r.ledger.checked} acknowledged messages read back directly from the clusters; ${r.ledger.missing} missing.` +
        (r.ledger.onOtherCluster > 0
          ? ` ${r.ledger.onOtherCluster} of them were on the other cluster than their acknowledgement said: written during the split, when the client's metadata came from one cluster and a listener sent its writes to the other.`
          : ''),
    );
  } else {
    lines.push('Ledger: not checked.');
  }
  if (r.failure) {
    lines.push('', '## Failure', '', `Step "${r.failure.step}": ${r.failure.message}`, '', `Environment: ${r.failure.environment}.`);
  }
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------------------------
// SVG timeline

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

/**
 * A self-contained SVG: one lane per listener coloured by where Envoy routes it, the overall state,
 * the acknowledged-messages rate per cluster below, each step marked with a numbered line and its
 * predicted window shaded.
 */
export function renderSvg(r: DrillReport): string {
  const { routing, acks, startedAt, endedAt } = r.timeline;
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
  const connections = r.timeline.connections ?? [];
  const connTop = top + lanesH + 8;
  const connClusters = connections.length > 0 ? (['primary', 'secondary'] as const) : [];
  const connH = connClusters.length * (laneH + laneGap);
  const ackTop = connTop + connH + 24;
  const ackH = 90;
  const stepTop = ackTop + ackH + 34;
  const height = stepTop + r.steps.length * 30 + 30;
  const x = (at: number) => left + ((at - startedAt) / spanMs) * plotW;
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>Drill ${esc(r.scenario)}: ${r.passed ? 'passed' : 'failed'}</title>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${left}" y="22" font-size="16" font-weight="bold">Drill ${esc(r.scenario)} — ${r.passed ? 'passed' : 'FAILED'}</text>`,
    `<text x="${left}" y="40" fill="#4b5563">${r.policy ? `${esc(r.policy)} · ` : ''}detection ${ms(r.detectionMs)} · client recovery ${ms(r.clientRecoveryMs)} · failback ${ms(r.failbackMs)}${r.clientFailbackMs !== undefined ? ` · client failback ${ms(r.clientFailbackMs)}` : ''} · split ${ms(r.splitMs)}${r.acksOnInactiveCluster !== undefined ? ` · acks on the inactive cluster ${r.acksOnInactiveCluster}` : ''} · acked missing ${r.ackedMissing ?? 'not checked'}</text>`,
  );

  // Routing lanes.
  out.push('<g class="lanes">');
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

  // Predicted windows of each step (drawn over the lanes, translucent).
  out.push('<g class="predicted">');
  for (const s of r.steps) {
    const base = s.effectAt ?? (s.predicted.window === 'recovered' ? s.actionDoneAt : s.faultAt);
    const x0 = x(base + s.predicted.earliestMs);
    const x1 = x(base + s.predicted.latestMs);
    out.push(`<rect x="${fmt(x0)}" y="${top - 4}" width="${fmt(Math.max(1, x1 - x0))}" height="${lanesH}" fill="#10b981" fill-opacity="0.35" stroke="#047857" stroke-width="1"><title>${esc(`${s.name}: predicted ${win(s.predicted)}`)}</title></rect>`);
  }
  out.push('</g>');

  // Open client connections per cluster (where clients really are), as a step line per cluster.
  if (connClusters.length > 0) {
    const maxCx = Math.max(1, ...connections.flatMap((c) => connClusters.map((k) => c.byCluster[k] ?? 0)));
    out.push('<g class="connections">');
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
  }

  // Ack rate, stacked per cluster.
  const maxRate = Math.max(1, ...acks.map((b) => b.primary + b.secondary + b.unknown + b.failed));
  out.push('<g class="acks">');
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

  // Time axis.
  out.push('<g class="axis" fill="#6b7280">');
  const stepS = spanMs > 240_000 ? 30 : spanMs > 90_000 ? 10 : 5;
  for (let s = 0; s * 1000 <= spanMs; s += stepS) {
    const tx = x(startedAt + s * 1000);
    out.push(`<line x1="${fmt(tx)}" y1="${ackTop + ackH}" x2="${fmt(tx)}" y2="${ackTop + ackH + 4}" stroke="#9ca3af"/>`);
    out.push(`<text x="${fmt(tx)}" y="${ackTop + ackH + 16}" text-anchor="middle">${s}s</text>`);
  }
  out.push('</g>');

  // Step markers.
  out.push('<g class="steps">');
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

  // Legend.
  const ly = height - 16;
  const legend: [string, string][] = [
    ['primary', COLORS.primary!],
    ['secondary', COLORS.secondary!],
    ['no upstream / failed sends', COLORS.none!],
    ['split', COLORS.split!],
    ['predicted window', '#10b981'],
  ];
  out.push('<g class="legend">');
  let lx = left;
  for (const [label, color] of legend) {
    out.push(`<rect x="${lx}" y="${ly - 10}" width="12" height="12" fill="${color}"${label === 'predicted window' ? ' fill-opacity="0.3"' : ''}/>`);
    out.push(`<text x="${lx + 16}" y="${ly}">${esc(label)}</text>`);
    lx += 30 + label.length * 6.5;
  }
  out.push('</g>');
  out.push('</svg>');
  return out.join('\n') + '\n';
}
