/**
 * When Envoy's active HTTP health check should notice a change, from the health-check settings alone.
 *
 * A pure model of Envoy's health checker, checked against the real binary (Envoy 1.36.4, see
 * scripts/bench-timing.mjs, which runs it against loopback responders and compares with this function):
 *
 * - The wait before the next check starts when the previous check *finished* (answer, refusal or timeout).
 * - While the Envoy cluster has never carried traffic (no upstream connection yet), every wait is
 *   `no_traffic_interval`. Once it has, the wait depends on the host's state:
 *     healthy, check passed ............................ `interval`
 *     check failed, host not marked unhealthy yet ...... `unhealthy_edge_interval`  (transition pending)
 *     host marked unhealthy, check failed .............. `unhealthy_interval`
 *     host unhealthy, check passed, not healthy yet .... `healthy_edge_interval`     (transition pending)
 *   So the edge intervals space the checks *while a transition is pending* — measured, and not what
 *   Envoy's API docs suggest ("first check after the host was marked").
 * - Jitter adds 0..interval_jitter to every wait.
 * - A refused connection or a timeout counts toward `unhealthy_threshold`; an HTTP status other than
 *   200 marks the host unhealthy on that one check; `healthy_threshold` passes mark it healthy.
 * - Outlier detection is the other way a host leaves the load balancer: while clients keep connecting, a
 *   broker whose connections fail is ejected after `consecutive_5xx` failures, often within a second (the
 *   drills measure it), long before the health check. It has no window of its own (it follows the clients'
 *   retry rate); a passing health check un-ejects the host. See outlierDetectionNote().
 * - Each Envoy listener's cluster holds one broker per Kafka cluster (priority 0 primary, 1 secondary)
 *   and panic routing is off, so the listener's routing flips the moment its primary host is marked.
 */
import type { HealthCheckSettings, OutlierDetectionSettings, RecoveryBehaviour } from '../config/topology.js';

export interface TimingWindow {
  /** Fastest possible time from the event to Envoy marking the host, ms. */
  earliestMs: number;
  /** Slowest possible time, ms. */
  latestMs: number;
  /** One-line summary with the arithmetic, for people. */
  explanation: string;
}

export interface TimingPrediction {
  /** Whether the windows assume the Envoy cluster has carried traffic (see module comment). */
  traffic: boolean;
  /** Broker killed: the health check's connection is refused → marked unhealthy. */
  refused: TimingWindow;
  /** Broker hung: the health check connects but gets no answer → timeouts → marked unhealthy. */
  hung: TimingWindow;
  /** Schema Registry answers a non-200 status (e.g. 503) → marked unhealthy at the first such check. */
  errorStatus: TimingWindow;
  /**
   * Container stopped (Docker runtime): its Schema Registry closes at the stop signal, so the first
   * checks are refused; once the container has exited its address leaves the Docker network and the
   * checks time out instead. Any mix of the two: from the refused window's earliest to the hung one's latest.
   */
  vanished: TimingWindow;
  /**
   * Container started again (Docker runtime): its hostname resolves again and Envoy's DNS refresh
   * (STRICT_DNS, every 5 s) adds the broker back as a new host, which one passing check marks healthy.
   */
  returned: TimingWindow;
  /** Schema Registry answers 200 again → marked healthy (measured from its first 200 answer being possible). */
  recovered: TimingWindow;
}

export interface PredictOptions {
  /** Has the Envoy cluster carried traffic? Default true (clients are connected, as in a drill). */
  traffic?: boolean;
}

/** The waits Envoy uses in each situation, with their config names (for the explanations). */
interface Waits {
  healthy: Wait;
  pendingUnhealthy: Wait;
  unhealthy: Wait;
  pendingHealthy: Wait;
}
interface Wait {
  ms: number;
  name: string;
}

function waitsFor(hc: HealthCheckSettings, traffic: boolean): Waits {
  if (!traffic) {
    const w = { ms: hc.noTrafficIntervalMs, name: 'no_traffic_interval' };
    return { healthy: w, pendingUnhealthy: w, unhealthy: w, pendingHealthy: w };
  }
  return {
    healthy: { ms: hc.intervalMs, name: 'interval' },
    pendingUnhealthy: { ms: hc.unhealthyEdgeIntervalMs, name: 'unhealthy_edge_interval' },
    unhealthy: { ms: hc.unhealthyIntervalMs, name: 'unhealthy_interval' },
    pendingHealthy: { ms: hc.healthyEdgeIntervalMs, name: 'healthy_edge_interval' },
  };
}

/** "3000 ms" / "3000+500 ms" (wait plus jitter). */
function withJitter(ms: number, jitterMs: number): string {
  return jitterMs > 0 ? `${ms}+${jitterMs}` : `${ms}`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/**
 * A host changes state after `checks` consecutive checks with the new outcome. The first such check
 * comes 0..(firstWait + jitter) after the event (the previous check may have just happened), each later
 * one `checkMs` (time a check takes) + pendingWait + 0..jitter after the one before; the last check's
 * own duration counts too.
 */
function window(
  checks: number,
  firstWait: Wait,
  pendingWait: Wait,
  jitterMs: number,
  checkMs: number,
  what: string,
): TimingWindow {
  const later = checks - 1;
  const earliestMs = checks * checkMs + later * pendingWait.ms;
  const latestMs = firstWait.ms + jitterMs + checks * checkMs + later * (pendingWait.ms + jitterMs);
  const firstPart = `first check 0–${withJitter(firstWait.ms, jitterMs)} ms after (${firstWait.name}${jitterMs > 0 ? ' + jitter' : ''})`;
  const checkPart = checkMs > 0 ? `, each check waits its ${checkMs} ms timeout` : '';
  const laterPart = later > 0 ? `, then ${later} more each ${withJitter(pendingWait.ms, jitterMs)} ms apart (${pendingWait.name}${jitterMs > 0 ? ' + jitter' : ''})` : '';
  const earliestSum = [checkMs > 0 ? `${checks}×${checkMs}` : '', later > 0 ? `${later}×${pendingWait.ms}` : ''].filter(Boolean).join(' + ') || '0';
  const latestSum = [
    `${firstWait.ms + jitterMs}`,
    checkMs > 0 ? `${checks}×${checkMs}` : '',
    later > 0 ? `${later}×${pendingWait.ms + jitterMs}` : '',
  ]
    .filter(Boolean)
    .join(' + ');
  return {
    earliestMs,
    latestMs,
    explanation:
      `${what}: ${plural(checks, 'check')}${firstPart ? '; ' + firstPart : ''}${checkPart}${laterPart}. ` +
      `Earliest ${earliestSum === '0' ? '' : earliestSum + ' = '}${earliestMs} ms, latest ${latestSum === String(latestMs) ? '' : latestSum + ' = '}${latestMs} ms.`,
  };
}

export function predictTiming(hc: HealthCheckSettings, options: PredictOptions = {}): TimingPrediction {
  const traffic = options.traffic ?? true;
  const w = waitsFor(hc, traffic);
  const j = hc.intervalJitterMs;
  const n = hc.unhealthyThreshold;
  return {
    traffic,
    refused: window(n, w.healthy, w.pendingUnhealthy, j, 0, `connection refused counts toward unhealthy_threshold ${n}`),
    hung: window(n, w.healthy, w.pendingUnhealthy, j, hc.timeoutMs, `a timeout counts toward unhealthy_threshold ${n}`),
    errorStatus: window(1, w.healthy, w.pendingUnhealthy, j, 0, 'a non-200 answer marks the host unhealthy at once'),
    vanished: vanishedWindow(n, w, j, hc.timeoutMs),
    returned: returnedWindow(w, j),
    recovered: window(hc.healthyThreshold, w.unhealthy, w.pendingHealthy, j, 0, `healthy_threshold ${hc.healthyThreshold} passing checks`),
  };
}

function vanishedWindow(n: number, w: Waits, j: number, timeoutMs: number): TimingWindow {
  const refused = window(n, w.healthy, w.pendingUnhealthy, j, 0, '');
  const hung = window(n, w.healthy, w.pendingUnhealthy, j, timeoutMs, '');
  return {
    earliestMs: refused.earliestMs,
    latestMs: hung.latestMs,
    explanation:
      `a stopped container: ${n} failed checks, refused while it shuts down, then timing out (${timeoutMs} ms each) once its address has left the network. ` +
      `Earliest as all refused (${refused.earliestMs} ms), latest as all timed out (${hung.latestMs} ms).`,
  };
}

/** Envoy's default DNS refresh rate for STRICT_DNS clusters (the Docker runtime's). */
export const DNS_REFRESH_MS = 5_000;

function returnedWindow(w: Waits, j: number): TimingWindow {
  const latestMs = DNS_REFRESH_MS + w.unhealthy.ms + j;
  return {
    earliestMs: 0,
    latestMs,
    explanation:
      `a restarted container: Envoy re-resolves its name (every ${DNS_REFRESH_MS} ms), adds it back as a new host and marks it healthy on its first passing check ` +
      `(0–${withJitter(w.unhealthy.ms, j)} ms later, ${w.unhealthy.name}${j > 0 ? ' + jitter' : ''}). Earliest 0 ms (already re-added), latest ${DNS_REFRESH_MS} + ${w.unhealthy.ms + j} = ${latestMs} ms.`,
  };
}

export type DetectionCase = 'refused' | 'hung' | 'errorStatus' | 'vanished';

/**
 * Which window applies when a broker enters recovery mode: its Schema Registry is disabled, and how it
 * fails decides the case (the local runtime's stand-in is configurable; Redpanda closes the port).
 */
export function recoveryModeCase(behaviour: RecoveryBehaviour | undefined): DetectionCase {
  return behaviour === 'http-503' ? 'errorStatus' : 'refused';
}

/** What outlier detection adds to the windows, in words. */
export function outlierDetectionNote(o: OutlierDetectionSettings): string {
  return (
    `Outlier detection: while clients keep connecting through a listener, Envoy ejects a broker after ${o.consecutive5xx} consecutive failed connections ` +
    `(for ${formatSeconds(o.baseEjectionTimeMs)} s × times ejected, or until a health check passes) — often within a second of the fault, ` +
    'before any window above; it depends on how fast clients retry, so it has no window of its own. The health-check windows bound it from above.'
  );
}

/** "6.0–10.5 s" */
export function formatWindow(w: Pick<TimingWindow, 'earliestMs' | 'latestMs'>): string {
  return `${formatSeconds(w.earliestMs)}–${formatSeconds(w.latestMs)} s`;
}

export function formatSeconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/** coherent policy: when the controller moves every listener, from the health-check windows. */
export interface CoherentPrediction {
  /** The broker whose loss takes the active cluster below its quorum is marked (killed: refused case), then the controller switches. */
  failover: TimingWindow;
  /** Every primary broker healthy again (recovered case), then failover.failbackHold, then the switch. */
  failback: TimingWindow;
}

/**
 * coherent windows: Envoy's window for the broker that decides, plus the controller's reaction (it reads
 * Envoy every `pollMs`: up to two reads, one to see the change and one to act after a hold) and, for a
 * failback, the hold.
 */
export function predictCoherent(p: TimingPrediction, o: { failbackHoldMs: number; pollMs: number; failback: 'auto' | 'manual'; detection?: DetectionCase }): CoherentPrediction {
  const d = p[o.detection ?? 'refused'];
  const reaction = 2 * o.pollMs;
  return {
    failover: {
      earliestMs: d.earliestMs,
      latestMs: d.latestMs + reaction,
      explanation: `the broker that takes the active cluster below its quorum is marked unhealthy (${formatWindow(d)}), then the controller, reading Envoy every ${o.pollMs} ms, moves every listener (+0–${reaction} ms).`,
    },
    failback:
      o.failback === 'manual'
        ? { earliestMs: Number.POSITIVE_INFINITY, latestMs: Number.POSITIVE_INFINITY, explanation: 'failback: manual — every listener returns with `failover-demo switch primary`.' }
        : {
            earliestMs: p.recovered.earliestMs + o.failbackHoldMs,
            latestMs: p.recovered.latestMs + o.failbackHoldMs + reaction,
            explanation: `every primary broker is marked healthy (${formatWindow(p.recovered)}), stays so for failover.failbackHold (${formatSeconds(o.failbackHoldMs)} s), then the controller moves every listener back (+0–${reaction} ms).`,
          },
  };
}
