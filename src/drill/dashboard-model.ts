/**
 * What the dashboard page shows (`failover-demo dashboard`, and a drill's report.html): one data shape
 * for both, so the live page and the static report are the same picture. Pure.
 *
 * Live, the server sends `init` (this whole shape) when a browser connects, then one `tick` per
 * monitor poll; the page appends the ticks. The report embeds the shape with every sample of the drill.
 */
import type { RoutingEvent, RoutingSnapshot } from '../envoy/routing-types.js';
import type { ConnectionSample, DrillReport, RoutingSample } from './report-model.js';
import { msText, windowText } from './report-model.js';

/** Acknowledgements per second per cluster, from the probe producer (live) or the drill's producer. */
export interface AckRateSample {
  at: number;
  byCluster: Record<string, number>;
}

/** The latest reading, shown large: active cluster, the controller's decision, health per cluster. */
export interface CurrentView {
  at: number;
  activeCluster: string;
  policy: string;
  connectionsByCluster: Record<string, number>;
  /** The controller's decision (coherent policy): who is active and why; or why it could not be read. */
  decision?: { active?: string; reason: string; since?: string };
  clusters: { name: string; healthy: number; total: number }[];
  /** Hosts Envoy holds unhealthy, with their flags. */
  unhealthy: string[];
}

export interface DashboardStep {
  name: string;
  status: 'pending' | 'running' | 'passed' | 'failed';
  window: string;
  measured: string;
  why: string;
}

export interface DashboardAction {
  /** Path segment of POST /api/actions/<id>. */
  id: string;
  label: string;
  /** The confirmation question the page asks first. */
  confirm: string;
}

export interface DashboardData {
  title: string;
  live: boolean;
  /** Static pages: the end of the time axis (the drill's end). */
  endedAt?: number;
  listenerNames: string[];
  routing: RoutingSample[];
  connections: ConnectionSample[];
  acks: AckRateSample[];
  current?: CurrentView;
  events: { at: number; kind: string; message: string }[];
  steps?: DashboardStep[];
  /** Whose steps: "drill broker-loss, started 19:43:40" (live: the last drill's). */
  stepsTitle?: string;
  /** Present only when the server runs with --allow-actions. */
  actions?: DashboardAction[];
  /** The last read error, until a read succeeds again. */
  error?: string;
}

/** One monitor poll, as sent to the page. */
export interface DashboardTick {
  routing: RoutingSample;
  current: CurrentView;
  connections: ConnectionSample;
  acks?: AckRateSample;
  events: { at: number; kind: string; message: string }[];
  /** A drill's steps, when they changed. */
  steps?: DashboardStep[];
  stepsTitle?: string;
}

export function routingSample(s: RoutingSnapshot): RoutingSample {
  return { at: s.at, activeCluster: s.activeCluster, listeners: s.listeners.map((l) => l.routesTo), unhealthy: unhealthyHosts(s) };
}

function unhealthyHosts(s: RoutingSnapshot): string[] {
  return s.listeners.flatMap((l) => l.hosts.filter((h) => !h.healthy).map((h) => `${h.host}: ${h.flags.join(', ') || h.health}`));
}

export function currentView(s: RoutingSnapshot): CurrentView {
  const d = s.decision;
  const decision = d === undefined ? undefined : d.reachable ? { active: d.active, reason: d.reason, since: d.since } : { reason: `controller unreachable: ${d.error}` };
  return {
    at: s.at,
    activeCluster: s.activeCluster,
    policy: s.policy,
    connectionsByCluster: s.connectionsByCluster,
    decision,
    clusters: s.clusters.map((c) => ({ name: c.name, healthy: c.healthy, total: c.total })),
    unhealthy: unhealthyHosts(s),
  };
}

export function dashboardTick(s: RoutingSnapshot, events: readonly RoutingEvent[], acks?: AckRateSample): DashboardTick {
  return {
    routing: routingSample(s),
    current: currentView(s),
    connections: { at: s.at, byCluster: s.connectionsByCluster },
    acks,
    events: events.map((e) => ({ at: e.at, kind: e.kind, message: e.message })),
  };
}

/** A drill's report as the dashboard's data (static: no live updates, no actions). */
export function reportDashboardData(r: DrillReport): DashboardData {
  const t = r.timeline;
  const last = t.routing.at(-1);
  const listenerCount = Math.max(0, ...t.routing.map((s) => s.listeners.length));
  return {
    title: `drill ${r.scenario}: ${r.passed ? 'passed' : 'FAILED'}`,
    live: false,
    endedAt: t.endedAt,
    listenerNames: Array.from({ length: listenerCount }, (_, i) => `listener ${i}`),
    routing: t.routing,
    connections: t.connections ?? [],
    acks: t.acks.map((b) => ({ at: t.startedAt + b.second * 1000, byCluster: { primary: b.primary, secondary: b.secondary } })),
    current: last && {
      at: last.at,
      activeCluster: last.activeCluster,
      policy: r.policy ?? 'per-broker',
      connectionsByCluster: t.connections?.at(-1)?.byCluster ?? {},
      clusters: [],
      unhealthy: last.unhealthy ?? [],
    },
    events: r.steps.map((s) => ({ at: s.endedAt, kind: s.passed ? 'step' : 'error', message: `${s.passed ? '✓' : '✗'} ${s.name}: ${s.why}` })),
    steps: r.steps.map((s) => ({ name: s.name, status: s.passed ? 'passed' : 'failed', window: windowText(s.predicted), measured: msText(s.settleMs ?? s.ms), why: s.why })),
  };
}

/** JSON safe inside a <script> element. */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}
