/**
 * Envoy process restarts (a supervisor brings a crashed Envoy back within about a second): the process
 * start time every routing read learns from `GET /server_info`, and the event-log entry when two
 * snapshots come from different processes — seen whether or not a read failed in between.
 *
 * Why /server_info and not the `server.uptime` stat: Envoy sets that gauge only when it flushes stats
 * (every 5 s by default, 0 before the first flush), while `uptime_current_epoch` is computed on each
 * request. Both have whole-second resolution.
 */
import type { EnvoyAdmin } from './admin.js';
import type { RoutingEvent, RoutingSnapshot } from './routing-types.js';
import { formatSeconds } from './timing.js';

/**
 * Start times of one process, estimated by two reads, differ by less than this: the uptime is whole
 * seconds (an estimate lands anywhere in a 1 s window) plus the request's latency.
 */
export const RESTART_TOLERANCE_MS = 1_500;

/** A /server_info document's `uptime_current_epoch` (proto Duration JSON, "12s") → process start, epoch ms. */
export function startedAtFromServerInfo(doc: unknown, now: number): number | undefined {
  const uptime = typeof doc === 'object' && doc !== null ? (doc as { uptime_current_epoch?: unknown }).uptime_current_epoch : undefined;
  const m = typeof uptime === 'string' ? /^(\d+(?:\.\d+)?)s$/.exec(uptime) : null;
  return m ? now - Math.round(Number(m[1]) * 1000) : undefined;
}

/** Envoy's process start time (epoch ms), or undefined when /server_info cannot be read. Never rejects. */
export async function readEnvoyStartedAt(admin: EnvoyAdmin): Promise<number | undefined> {
  try {
    const doc = await admin.serverInfo();
    return startedAtFromServerInfo(doc, Date.now());
  } catch {
    return undefined;
  }
}

/** The failed reads just before a successful one (the monitor counts them). */
export interface AdminOutage {
  /** Epoch ms of the first failed read. */
  since: number;
  failedReads: number;
}

/** Both snapshots know Envoy's start time, and they are different processes. */
export function envoyRestarted(prev: RoutingSnapshot, next: RoutingSnapshot): boolean {
  return (
    prev.envoyStartedAt !== undefined &&
    next.envoyStartedAt !== undefined &&
    Math.abs(next.envoyStartedAt - prev.envoyStartedAt) > RESTART_TOLERANCE_MS
  );
}

const wholeSeconds = (ms: number) => `${Math.max(0, Math.round(ms / 1000))} s`;

const failedReads = (o: AdminOutage) => `${o.failedReads} failed read${o.failedReads === 1 ? '' : 's'}`;
const outageSeconds = (o: AdminOutage, at: number) => `${formatSeconds(Math.max(0, at - o.since))} s`;

/**
 * "Envoy restarted (up 1 s; previous process ran 42 s)" when the snapshots come from different Envoy
 * processes (the previous one ran at least until `prev` was read), plus "admin API unreachable for
 * 2.3 s, 3 failed reads" when reads failed in between (measured from the first failed read). After
 * failed reads and no restart seen: "Envoy admin API answering again after 2.3 s (3 failed reads …)".
 */
export function envoyRestartEvents(prev: RoutingSnapshot, next: RoutingSnapshot, outage?: AdminOutage): RoutingEvent[] {
  const at = next.at;
  if (envoyRestarted(prev, next)) {
    const details = [`up ${wholeSeconds(at - next.envoyStartedAt!)}`, `previous process ran ${wholeSeconds(prev.at - prev.envoyStartedAt!)}`];
    if (outage) details.push(`admin API unreachable for ${outageSeconds(outage, at)}, ${failedReads(outage)}`);
    return [{ at, kind: 'state', message: `Envoy restarted (${details.join('; ')})` }];
  }
  if (!outage) return [];
  const same = prev.envoyStartedAt !== undefined && next.envoyStartedAt !== undefined ? `; same process, up ${wholeSeconds(at - next.envoyStartedAt)}` : '';
  return [{ at, kind: 'state', message: `Envoy admin API answering again after ${outageSeconds(outage, at)} (${failedReads(outage)}${same})` }];
}
