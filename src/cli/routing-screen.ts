/**
 * Rendering of the routing monitor (pure: snapshot → lines). The command decides where lines go:
 * redrawn in place on a TTY (see TtyScreen), appended when not a TTY.
 */
import { Chalk, type ChalkInstance } from 'chalk';
import type { HostRouting, ListenerRouting, RoutingEvent, RoutingSnapshot } from '../envoy/routing.js';
import { describeHostState, listenerLabel, newConnections } from '../envoy/routing.js';
import { replicationSummary, type ReplicationReading } from './replication-view.js';

/** chalk honouring NO_COLOR (https://no-color.org: set and not empty → no colour), which chalk 5 does not. */
export function colors(env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  return env.NO_COLOR ? new Chalk({ level: 0 }) : new Chalk();
}

/** HH:MM:SS.mmm, local time. */
export function clock(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

export function eventLine(e: Pick<RoutingEvent, 'at' | 'kind' | 'message'>, c: ChalkInstance): string {
  const text = e.kind === 'state' ? c.bold(e.message) : e.kind === 'routing' ? c.yellow(e.message) : e.message;
  return `${c.dim(clock(e.at))}  ${text}`;
}

export function errorLine(at: number, message: string, c: ChalkInstance): string {
  return `${c.dim(clock(at))}  ${c.red(message)}`;
}

function stateBanner(s: RoutingSnapshot, c: ChalkInstance): string[] {
  switch (s.activeCluster) {
    case 'primary':
      return [c.green.bold('ROUTING: PRIMARY') + c.dim('  every listener routes to the primary cluster')];
    case 'secondary':
      return [c.cyan.bold('ROUTING: SECONDARY') + c.dim('  every listener routes to the secondary cluster (failed over)')];
    case 'split': {
      const where = s.listeners.map((l) => `${l.index ?? l.name}→${Object.keys(l.loadByCluster).join('+') || l.routesTo}`).join(' ');
      return [
        c.bgYellow.black.bold(' ⚠ SPLIT ROUTING ') + ' ' + c.yellow.bold(`listeners route to different clusters (${where})`),
        c.yellow('  a client using several brokers now talks to two Kafka clusters at once'),
      ];
    }
    case 'none': {
      const dead = s.listeners.filter((l) => l.routesTo === 'none').map((l) => listenerLabel(l.name));
      const which = s.listeners.length === 0 ? 'Envoy reports no clusters' : `${dead.join(', ')}: no healthy upstream`;
      return [
        c.bgRed.white.bold(' ✖ NO ROUTE ') + ' ' + c.red.bold(which),
        c.red('  new connections on those listeners fail' + (s.listeners.some((l) => l.panic) ? ' or go to unhealthy hosts (panic routing)' : '')),
      ];
    }
  }
}

function clusterOverview(s: RoutingSnapshot, c: ChalkInstance): string {
  const parts = s.clusters.map((k) => {
    const text = `${k.name} ${k.healthy}/${k.total} healthy`;
    return k.total > 0 && k.healthy === k.total ? c.green(text) : k.healthy === 0 ? c.red(text) : c.yellow(text);
  });
  return `${c.bold('Clusters')}   ${parts.join('   ')}`;
}

function hostHealthText(h: HostRouting, c: ChalkInstance): string {
  const text = describeHostState(h) + (h.excluded && h.health === 'healthy' ? ' (excluded)' : '');
  const padded = text.padEnd(44);
  return h.health === 'healthy' ? c.green(padded) : h.health === 'degraded' ? c.yellow(padded) : c.red(padded);
}

const COLS = { listener: 20, routes: 34, host: 20 } as const;

function listenerRows(l: ListenerRouting, c: ChalkInstance, fresh: Map<string, number> | undefined): string[] {
  const routes =
    l.routesTo === 'none'
      ? c.red.bold('none'.padEnd(COLS.routes))
      : (`${l.routesTo}${l.routesToHost ? ` (${l.routesToHost})` : ''}${l.panic ? ' [panic]' : ''}`).padEnd(COLS.routes);
  return l.hosts.map((h, i) => {
    const first = i === 0;
    const load = `${Math.round(h.loadPercent)}%`.padStart(5);
    const conn = h.activeConnections === undefined ? '    -' : String(h.activeConnections).padStart(5);
    const n = fresh?.get(`${l.name}|${h.host}|${h.address}`);
    // new connections since the last read: shown loud when Envoy sends them to a host it calls unhealthy
    const added = n === undefined ? '    -' : n > 0 && h.health === 'unhealthy' ? c.red.bold(`+${n}`.padStart(5)) : (n > 0 ? `+${n}` : '0').padStart(5);
    return [
      (first ? listenerLabel(l.name) : '').padEnd(COLS.listener),
      first ? routes : ''.padEnd(COLS.routes),
      (h.loadPercent > 0 ? c.bold(h.host.padEnd(COLS.host)) : h.host.padEnd(COLS.host)),
      `P${h.priority}`.padEnd(4),
      hostHealthText(h, c),
      h.loadPercent > 0 ? c.bold(load) : c.dim(load),
      conn,
      added,
    ].join(' ');
  });
}

export interface ScreenView {
  adminUrl: string;
  intervalMs: number;
  snapshot?: RoutingSnapshot;
  /** The read before `snapshot`: the NEW column counts connections opened in between. */
  previous?: RoutingSnapshot;
  /** Most recent last. */
  events: { at: number; kind: RoutingEvent['kind'] | 'error'; message: string }[];
  /** Current read failure, shown above the (stale) snapshot. */
  error?: { at: number; message: string };
  /** replication.mode shadow: the replicator's last reading (phase, lag), or why there is none. */
  replication?: ReplicationReading;
  now: number;
}

/** The routing table (banner, overview, per-listener rows): used by the live screen and by --once. */
export function snapshotLines(s: RoutingSnapshot, c: ChalkInstance, previous?: RoutingSnapshot): string[] {
  const fresh = previous ? newConnections(previous, s) : undefined;
  const header = [
    'LISTENER'.padEnd(COLS.listener),
    'ROUTES TO'.padEnd(COLS.routes),
    'HOST'.padEnd(COLS.host),
    'PRI ',
    'HEALTH'.padEnd(44),
    ' LOAD',
    ' CONN',
    '  NEW',
  ].join(' ');
  return [
    ...stateBanner(s, c),
    clusterOverview(s, c),
    ...clientTruth(s, c),
    '',
    c.dim(header),
    ...s.listeners.flatMap((l) => listenerRows(l, c, fresh)),
    c.dim('LOAD: share of new connections Envoy gives the host · CONN: open connections · NEW: opened since the previous read'),
  ];
}

/**
 * Where clients really are (open connections per cluster) next to where new connections go, and under
 * `coherent` the controller's decision with its reason; flags connections left on the non-active cluster.
 */
export function clientTruth(s: RoutingSnapshot, c: ChalkInstance): string[] {
  const lines: string[] = [];
  const d = s.decision;
  if (d && d.reachable) {
    const since = new Date(d.since);
    lines.push(`Decision: ${c.bold(d.activeCluster)} since ${Number.isNaN(since.getTime()) ? d.since : clock(since.getTime())}: ${d.reason}` + (d.pendingFailbackSince ? c.dim(` (failback pending since ${clock(new Date(d.pendingFailbackSince).getTime())})`) : ''));
  } else if (d) {
    lines.push(c.red(`Failover controller down (${d.error}): Envoy keeps routing as last decided; the runtime restarts it.`));
  }
  const cx = s.connectionsByCluster ?? {};
  const names = Object.keys(cx).sort();
  if (names.length > 0) {
    const active = s.activeCluster === 'primary' || s.activeCluster === 'secondary' ? s.activeCluster : undefined;
    const parts = names.map((n) => {
      const text = `${n} ${cx[n]}`;
      return active && n !== active && (cx[n] ?? 0) > 0 ? c.yellow(`${text} (left on the non-active cluster)`) : text;
    });
    lines.push(`Open client connections: ${parts.join(', ')}`);
  }
  return lines;
}

/** Whole live screen. */
export function screenLines(v: ScreenView, c: ChalkInstance, maxEvents = 12): string[] {
  const lines = [
    `${c.bold('failover-demo routing')}  ${c.dim(`Envoy admin ${v.adminUrl} · every ${v.intervalMs} ms · ${clock(v.now)} · Ctrl+C to quit`)}`,
    '',
  ];
  if (v.error) lines.push(errorLine(v.error.at, v.error.message, c), '');
  if (v.snapshot) {
    lines.push(...snapshotLines(v.snapshot, c, v.previous));
    if (v.error) lines.push(c.dim(`(last read at ${clock(v.snapshot.at)})`));
  } else if (!v.error) {
    lines.push(c.dim('reading Envoy …'));
  }
  if (v.replication) lines.push('', replicationSummary(v.replication, c, v.now));
  lines.push('', c.bold('Events'));
  const recent = v.events.slice(-maxEvents);
  if (recent.length === 0) lines.push(c.dim('  (none yet)'));
  for (const e of recent) lines.push('  ' + (e.kind === 'error' ? errorLine(e.at, e.message, c) : eventLine({ ...e, kind: e.kind }, c)));
  return lines;
}

/** One line for appended (non-TTY) output: state, cluster health, each listener's target. */
export function summaryLine(s: RoutingSnapshot, c: ChalkInstance): string {
  const clusters = s.clusters.map((k) => `${k.name} ${k.healthy}/${k.total}`).join(', ');
  const listeners = s.listeners.map((l) => `${l.index ?? l.name}→${l.routesToHost ?? l.routesTo}`).join(' ');
  return `${c.dim(clock(s.at))}  ${c.bold(s.activeCluster)} · healthy ${clusters} · ${listeners}`;
}

const ESC = '\u001b[';

/**
 * In-place redraw on a terminal without flicker: cursor home, each line followed by clear-to-end-of-line,
 * then clear below; the cursor is hidden while drawing and restored by close() (also on exit).
 */
export class TtyScreen {
  private closed = false;
  private readonly restore = () => this.out.write(`${ESC}?25h`);

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {
    this.out.write(`${ESC}?25l${ESC}2J`);
    process.once('exit', this.restore);
  }

  draw(lines: string[]): void {
    if (this.closed) return;
    const width = this.out.columns || 0;
    const body = lines.map((l) => (width > 0 ? clip(l, width) : l) + `${ESC}K`).join('\n');
    this.out.write(`${ESC}H${body}\n${ESC}J`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.restore();
    process.removeListener('exit', this.restore);
  }
}

/** Cuts a line to `width` visible characters, keeping ANSI colour codes intact (no wrapping on redraw). */
export function clip(line: string, width: number): string {
  let visible = 0;
  let out = '';
  // eslint-disable-next-line no-control-regex
  const re = /\u001b\[[0-9;?]*[A-Za-z]|[\s\S]/gu;
  for (const m of line.matchAll(re)) {
    const tok = m[0];
    if (tok.length > 1 && tok.startsWith('\u001b[')) {
      out += tok;
      continue;
    }
    if (visible >= width) continue;
    out += tok;
    visible++;
  }
  return out + (line.includes('\u001b[') ? `${ESC}0m` : '');
}
