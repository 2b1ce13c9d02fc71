/**
 * What `failover-demo status` reports, for any runtime: each process (running/stopped, id, recovery
 * mode) and Envoy's view of each endpoint when its admin API answers. A plain object, so `--json`
 * prints it as is and later additions (e.g. routing state) are one more field. `statusTable` is the broker
 * table the CLI prints from it, as plain text the CLI colours through a `Paint`.
 */
import type { Topology } from '../config/topology.js';
import { readDecision, readRouting, type RoutingSnapshot } from '../envoy/routing.js';
import type { Endpoints, PartStatus, Runtime, RuntimeKind, RuntimeStatus } from './types.js';

export interface EndpointView {
  /** Envoy cluster (one per listener), e.g. broker_0_cluster. */
  listener: string;
  host: string;
  cluster: string;
  priority: number;
  healthy: boolean;
  flags: string[];
}

export interface StatusReport {
  runtime: RuntimeKind;
  project: string;
  startedAt?: string;
  envoyRunning: boolean;
  /** coherent policy: the failover controller's process/container, and its decision (or why it could not be read). */
  controller?: { running: boolean; decision: NonNullable<RoutingSnapshot['decision']> };
  brokers: RuntimeStatus['brokers'];
  /** Each supervised part's restarts and last exit (see RuntimeStatus.parts). */
  parts?: RuntimeStatus['parts'];
  endpoints: Endpoints;
  /** Envoy's admin API view; `reachable: false` (with the reason) when it does not answer. */
  envoy: { reachable: true; endpoints: EndpointView[] } | { reachable: false; error: string };
}

export function endpointViews(snapshot: RoutingSnapshot): EndpointView[] {
  return snapshot.listeners.flatMap((l) =>
    l.hosts.map((h) => ({ listener: l.name, host: h.host, cluster: h.cluster, priority: h.priority, healthy: h.healthy, flags: h.flags })),
  );
}

export async function collectStatus(runtime: Runtime, project: string, startedAt?: string): Promise<StatusReport> {
  const status = await runtime.status();
  const endpoints = runtime.endpoints();
  let envoy: StatusReport['envoy'];
  try {
    envoy = { reachable: true, endpoints: endpointViews(await readRouting(endpoints.envoyAdminUrl, runtime.topology as Topology)) };
  } catch (err) {
    envoy = { reachable: false, error: (err as Error).message };
  }
  const controller =
    endpoints.controllerUrl !== undefined ? { running: status.controllerRunning === true, decision: await readDecision(endpoints.controllerUrl) } : undefined;
  return { runtime: status.kind, project, startedAt, envoyRunning: status.envoyRunning, ...(controller ? { controller } : {}), brokers: status.brokers, parts: status.parts, endpoints, envoy };
}

/** How a table cell is shown: the CLI maps each tone to a colour; the default `Paint` shows plain text. */
export type Tone = 'plain' | 'dim' | 'good' | 'bad' | 'warn';

export interface TableCell {
  text: string;
  tone?: Tone;
}

export type Paint = (text: string, tone: Tone) => string;

const plainPaint: Paint = (text) => text;

/** Spaces between the widest cell of a column and the next column. */
export const COLUMN_GAP = 2;

/**
 * Rows as lines whose columns are each as wide as their widest cell plus COLUMN_GAP spaces, so no cell
 * (a 12-character container id, a long state) runs into the next column. Widths come from the plain text,
 * before painting, so colours never shift a column. The last cell of a line gets no padding.
 */
export function formatTable(rows: readonly (readonly TableCell[])[], paint: Paint = plainPaint): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.text.length)));
  return rows.map((row) =>
    row
      .map((cell, i) => {
        const shown = paint(cell.text, cell.tone ?? 'plain');
        return i === row.length - 1 ? shown : shown + ' '.repeat(widths[i]! - cell.text.length + COLUMN_GAP);
      })
      .join(''),
  );
}

/** Envoy's verdict on one broker: every endpoint of that host healthy, any unhealthy, not one of its endpoints, or unknown. */
function envoyCell(r: StatusReport, broker: string): TableCell {
  if (!r.envoy.reachable) return { text: '?', tone: 'dim' };
  const health = r.envoy.endpoints.filter((e) => e.host === broker).map((e) => e.healthy);
  if (health.length === 0) return { text: 'not an endpoint', tone: 'dim' };
  return health.every(Boolean) ? { text: 'healthy', tone: 'good' } : { text: 'unhealthy', tone: 'bad' };
}

/** "2 (last: was killed by SIGKILL 14:02:11)", or "0". */
export function restartsText(p: PartStatus | undefined): TableCell {
  if (!p) return { text: '?', tone: 'dim' };
  if (p.gaveUp) return { text: `gave up: ${p.gaveUp.reason}`, tone: 'bad' };
  if (p.restarts === 0 && !p.lastExit) return { text: '0', tone: 'dim' };
  const when = p.lastExitAt ? ` ${p.lastExitAt.slice(11, 19)}` : '';
  return { text: `${p.restarts}${p.lastExit ? ` (last: ${p.lastExit}${when})` : ''}`, tone: p.restarts > 0 ? 'warn' : 'plain' };
}

/** The broker table of `status`, one line per broker: process state and id (pid or container id), recovery mode, Envoy's view, restarts. */
export function statusTable(r: StatusReport, paint: Paint = plainPaint): string {
  const withRestarts = r.parts !== undefined;
  const header: TableCell[] = ['broker', 'process', 'recovery', 'envoy', ...(withRestarts ? ['restarts'] : [])].map((text) => ({ text, tone: 'dim' }));
  const rows = r.brokers.map((b): TableCell[] => [
    { text: b.name },
    b.running ? { text: b.id ? `running ${b.id}` : 'running', tone: 'good' } : { text: 'stopped', tone: 'bad' },
    b.recoveryMode ? { text: 'on', tone: 'warn' } : { text: 'off' },
    envoyCell(r, b.name),
    ...(withRestarts ? [restartsText(r.parts?.find((p) => p.name === b.name))] : []),
  ]);
  return formatTable([header, ...rows], paint).map((line) => `${line}\n`).join('');
}
