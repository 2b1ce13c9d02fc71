/**
 * The routing monitor's poll loop: read Envoy every `intervalMs` (fixed cadence, not "interval after
 * the read"), turn each read into a snapshot + event-log entries, and keep going through failures
 * (Envoy not running, malformed answers). Rendering is the caller's business (onUpdate).
 */
import { EnvoyUnreachableError } from './admin.js';
import type { AdminOutage } from './restart.js';
import { routingTransitions } from './routing-events.js';
import { MalformedClustersError, type RoutingEvent, type RoutingSnapshot } from './routing-types.js';
import { delay } from '../util/wait.js';

export interface SnapshotUpdate {
  kind: 'snapshot';
  snapshot: RoutingSnapshot;
  /**
   * Transitions since the previous successful read (first read: the initial state); after failed
   * reads, an Envoy restart or the admin API answering again comes first, with how long it did not.
   */
  events: RoutingEvent[];
}

export interface ErrorUpdate {
  kind: 'error';
  at: number;
  /** One line for people: "Envoy admin unreachable at URL (reason), retrying". */
  message: string;
  error: unknown;
  /** Same message as the previous failed read: print it once, not every poll. */
  repeated: boolean;
}

export type MonitorUpdate = SnapshotUpdate | ErrorUpdate;

export interface SnapshotSource {
  read(): Promise<RoutingSnapshot>;
}

export interface MonitorOptions {
  intervalMs: number;
  signal?: AbortSignal;
  onUpdate: (update: MonitorUpdate) => void;
  /** Stop after this many polls (benchmarks, tests). */
  maxPolls?: number;
}

export function describeReadError(err: unknown): string {
  if (err instanceof EnvoyUnreachableError) return `${err.message}, retrying`;
  if (err instanceof MalformedClustersError) return `${err.message}, retrying`;
  return `reading Envoy failed: ${(err as Error)?.message ?? String(err)}, retrying`;
}

/** Polls until the signal aborts (resolves, never rejects on abort) or maxPolls is reached. */
export async function monitorRouting(source: SnapshotSource, opts: MonitorOptions): Promise<void> {
  const { intervalMs, signal, onUpdate } = opts;
  let previous: RoutingSnapshot | undefined;
  let lastError: string | undefined;
  let outage: AdminOutage | undefined;
  let polls = 0;
  let next = Date.now();
  while (!signal?.aborted && (opts.maxPolls === undefined || polls < opts.maxPolls)) {
    polls++;
    try {
      const snapshot = await source.read();
      if (signal?.aborted) break;
      const events = routingTransitions(previous, snapshot, outage);
      previous = snapshot;
      lastError = undefined;
      outage = undefined;
      onUpdate({ kind: 'snapshot', snapshot, events });
    } catch (err) {
      if (signal?.aborted) break;
      const message = describeReadError(err);
      const at = Date.now();
      outage = { since: outage?.since ?? at, failedReads: (outage?.failedReads ?? 0) + 1 };
      onUpdate({ kind: 'error', at, message, error: err, repeated: message === lastError });
      lastError = message;
    }
    if (opts.maxPolls !== undefined && polls >= opts.maxPolls) break;
    next += intervalMs;
    const wait = next - Date.now();
    if (wait < 0) next = Date.now(); // a slow read: don't burst to catch up
    try {
      await delay(Math.max(0, wait), signal);
    } catch {
      break; // aborted
    }
  }
}
