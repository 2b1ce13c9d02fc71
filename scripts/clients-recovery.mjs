// @ts-check
// Part 2 of scripts/bench-clients.mjs: one client-recovery measurement on a running local rig. A producer
// (FailoverProducer, RECOVERY_RATE msg/s through Envoy) runs while every primary broker stops (fault) and
// then starts again (restore); Envoy's own view of the routing is polled next to it. See the header of
// bench-clients.mjs for what each figure means.
import { brokersOf } from '#dist/config/topology.js';
import { RoutingReader } from '#dist/envoy/routing.js';
import { FailoverProducer } from '#dist/kafka/producer.js';
import { allHostsHealthy, readRoutingOrUndefined } from '#dist/runtime/local/readiness.js';
import { delay, waitFor } from '#dist/util/wait.js';

/** @typedef {import('#dist/config/topology.js').Topology} Topology */
/** @typedef {import('#dist/runtime/types.js').Runtime} Runtime */
/** @typedef {import('#dist/runtime/types.js').Endpoints} Endpoints */
/** @typedef {import('#dist/util/progress.js').Progress} Progress */

export const RECOVERY_RATE = 100;
/** coherent: every primary broker healthy this long before the controller fails back. */
export const FAILBACK_HOLD_MS = 2_000;
/** After the first ack on the primary, acks on the secondary within this long are in flight, not left behind. */
export const FAILBACK_GRACE_MS = 2_000;
/** Failback wait cap beyond the hold. */
export const FAILBACK_CAP_EXTRA_MS = 20_000;
/** How long acks on the secondary are counted after (first primary ack + grace) or after the cap. */
export const RECOVERY_OBSERVE_MS = 5_000;

/** The largest, or undefined when any is missing. @param {readonly (number | undefined)[]} xs */
const maxOf = (xs) => (xs.length && xs.every((x) => x !== undefined) ? Math.max(.../** @type {number[]} */ (xs)) : undefined);

/**
 * Polls Envoy's routing (every listener's target) in the background and records when the overall
 * active cluster changes, so a measurement can ask "first time every listener routed to X after T".
 * @param {string} adminUrl
 * @param {Topology} t
 */
function watchRouting(adminUrl, t) {
  const reader = new RoutingReader(adminUrl, t, { timeoutMs: 1_000 });
  /** @type {{ at: number, active: string | undefined }[]} */
  const changes = [];
  let running = true;
  const loop = (async () => {
    /** @type {string | undefined} */
    let last;
    while (running) {
      try {
        const s = await reader.read();
        if (s.activeCluster !== last) {
          changes.push({ at: Date.now(), active: s.activeCluster });
          last = s.activeCluster;
        }
      } catch {
        // Envoy busy or restarting its listeners: try again.
      }
      await delay(50);
    }
  })();
  return {
    /** @type {(cluster: string, since: number) => number | undefined} */
    firstAfter: (cluster, since) => changes.find((c) => c.active === cluster && c.at >= since)?.at,
    async stop() {
      running = false;
      await loop;
      await reader.close().catch(() => undefined);
    },
  };
}

/**
 * The recovery producer, every ack recorded with its time and cluster. `until` polls a check and fails at
 * once when the producer failed (a producer that fails early must not leave the waits hanging).
 * @param {Endpoints} endpoints
 * @param {string} topic
 */
function recordingProducer({ bootstrap, direct }, topic) {
  /** @type {{ at: number, cluster: string }[]} */
  const acks = [];
  const producer = new FailoverProducer({ bootstrap, direct, topic, ratePerSecond: RECOVERY_RATE, durationMs: 30 * 60_000 });
  producer.on('ack', (a) => acks.push({ at: a.at, cluster: a.cluster }));
  const producing = producer.run();
  /** @type {unknown} */
  let producerError;
  producing.catch((err) => (producerError = err));
  const alive = () => {
    if (producerError) throw producerError;
  };
  /**
   * Polls `check` (a value or undefined) until it has one; fails at once if the producer failed.
   * @template T
   * @param {() => T | undefined} check
   * @param {number} timeoutMs
   * @param {string} what
   * @returns {Promise<T>}
   */
  const until = async (check, timeoutMs, what) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      alive();
      const v = check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (producer: ${producer.stats().lastError ?? 'no error'})`);
      await delay(50);
    }
  };
  /** @type {(cluster: string, since: number) => number | undefined} */
  const firstAck = (cluster, since) => acks.find((a) => a.cluster === cluster && a.at >= since)?.at;
  return { acks, producer, producing, alive, until, firstAck };
}

/** @typedef {ReturnType<typeof recordingProducer>} Recording */

/**
 * Fault: every primary broker stops; then the first of RECOVERY_RATE acks on the secondary.
 * @param {Runtime} runtime
 * @param {string[]} primaries
 * @param {Recording} p
 * @param {Progress} progress
 */
async function fault(runtime, primaries, p, progress) {
  progress.step(`fault: stopping ${primaries.join(', ')}`);
  const faultAt = Date.now();
  const stopped = await Promise.all(primaries.map((n) => runtime.stopBroker(n)));
  const brokersStoppedAt = Date.now();
  const faultEffectAt = /** @type {number} */ (maxOf(stopped.map((c) => c.servingEndedAt ?? c.stoppedAt)));
  progress.done(`primary brokers stopped (effect ${faultEffectAt - faultAt} ms after the command)`);
  const firstSecondaryAt = await p.until(
    () => {
      const at = p.firstAck('secondary', faultAt);
      return at !== undefined && p.acks.filter((a) => a.cluster === 'secondary' && a.at >= faultAt).length >= RECOVERY_RATE ? at : undefined;
    },
    120_000,
    `${RECOVERY_RATE} acks on the secondary after the fault`,
  );
  return { faultAt, brokersStoppedAt, faultEffectAt, firstSecondaryAt };
}

/**
 * Restore: every primary broker starts again, at once; then the first ack on the primary, if one comes
 * within the failback hold + FAILBACK_CAP_EXTRA_MS after the restore took effect.
 * @param {Runtime} runtime
 * @param {Topology} t
 * @param {string[]} primaries
 * @param {Recording} p
 * @param {Progress} progress
 */
async function restore(runtime, t, primaries, p, progress) {
  progress.step(`restore: starting ${primaries.join(', ')}`);
  const restoreAt = Date.now();
  const started = await Promise.all(primaries.map((n) => runtime.startBroker(n, { alongside: primaries.filter((x) => x !== n) })));
  const restoreEffectAt = /** @type {number} */ (maxOf(started.map((c) => c.servingAt ?? c.readyAt)) ?? maxOf(started.map((c) => c.startedAt)));
  progress.done(`primary brokers serving (effect ${restoreEffectAt - restoreAt} ms after the command)`);
  const capMs = t.failover.failbackHoldMs + FAILBACK_CAP_EXTRA_MS;
  const capAt = restoreEffectAt + capMs;
  progress.step(`waiting for an ack on the primary (at most ${capMs / 1000} s after the restore took effect)`);
  /** @type {number | undefined} */
  let firstPrimaryAt;
  while (Date.now() <= capAt) {
    p.alive();
    firstPrimaryAt = p.firstAck('primary', restoreAt);
    if (firstPrimaryAt !== undefined) break;
    await delay(50);
  }
  progress.done(firstPrimaryAt !== undefined ? 'acked on the primary' : `no ack on the primary within ${capMs / 1000} s`);
  return { restoreAt, restoreEffectAt, started, capMs, capAt, firstPrimaryAt };
}

/**
 * One recovery measurement on a running rig: fault, failover, restore, failback.
 * @param {Runtime} runtime
 * @param {Topology} t
 * @param {Endpoints} endpoints
 * @param {string} topic
 * @param {Progress} progress
 */
export async function recoveryRun(runtime, t, endpoints, topic, progress) {
  const primaries = brokersOf(t, 'primary').map((b) => b.name);
  progress.step('waiting for Envoy to route every listener to the primary with every endpoint healthy');
  await waitFor(
    async () => {
      const s = await readRoutingOrUndefined(endpoints.envoyAdminUrl, t);
      return s?.activeCluster === 'primary' && allHostsHealthy(s, t.brokers * 2);
    },
    { timeoutMs: 120_000, intervalMs: 250, what: 'Envoy to route every listener to the primary with every endpoint healthy' },
  );
  progress.done('Envoy routes to the primary');

  const p = recordingProducer(endpoints, topic);
  const routing = watchRouting(endpoints.envoyAdminUrl, t);
  try {
    await p.until(() => (p.producer.stats().ackedBy.primary >= 3 * RECOVERY_RATE ? true : undefined), 60_000, `${3 * RECOVERY_RATE} acks on the primary`);
    const f = await fault(runtime, primaries, p, progress);
    const r = await restore(runtime, t, primaries, p, progress);
    const leftBehindFrom = r.firstPrimaryAt !== undefined ? r.firstPrimaryAt + FAILBACK_GRACE_MS : r.capAt;
    const leftBehindTo = leftBehindFrom + RECOVERY_OBSERVE_MS;
    const waitMore = leftBehindTo - Date.now();
    if (waitMore > 0) await delay(waitMore);
    p.alive();
    p.producer.stop();
    const s = await p.producing;
    /** @param {string} c */
    const inWindow = (c) => p.acks.filter((a) => a.cluster === c && a.at > leftBehindFrom && a.at <= leftBehindTo).length;
    const detectedAt = routing.firstAfter('secondary', f.faultAt);
    const routedBackAt = routing.firstAfter('primary', r.restoreAt);
    return {
      clientFailoverMs: f.firstSecondaryAt - f.faultEffectAt,
      clientFailbackMs: r.firstPrimaryAt !== undefined ? r.firstPrimaryAt - r.restoreEffectAt : undefined,
      failback: r.firstPrimaryAt !== undefined ? 'client followed' : `never (within ${r.capMs / 1000} s)`,
      failbackCapMs: r.capMs,
      acksOnSecondaryAfterFailback: inWindow('secondary'),
      acksOnPrimaryInThatWindow: inWindow('primary'),
      leftBehindWindow: r.firstPrimaryAt !== undefined
        ? `first primary ack + ${FAILBACK_GRACE_MS} ms, for ${RECOVERY_OBSERVE_MS} ms`
        : `cap (restore effect + ${r.capMs} ms), for ${RECOVERY_OBSERVE_MS} ms`,
      failed: s.failed,
      faultEffectAfterCommandMs: f.faultEffectAt - f.faultAt,
      brokersStoppedMs: f.brokersStoppedAt - f.faultAt,
      envoyFailoverMs: detectedAt !== undefined ? detectedAt - f.faultEffectAt : undefined,
      restoreEffectAfterCommandMs: r.restoreEffectAt - r.restoreAt,
      envoyFailbackMs: routedBackAt !== undefined ? routedBackAt - r.restoreEffectAt : undefined,
      ackedBy: s.ackedBy,
      clusterChanges: s.clusterChanges.length,
      maxAckLatencyMs: s.latencyMs.max,
      restoreNotes: [...new Set(r.started.map((c) => c.note).filter(Boolean))],
    };
  } finally {
    p.producer.stop();
    await p.producing.catch(() => undefined);
    await routing.stop();
  }
}

/** @typedef {Awaited<ReturnType<typeof recoveryRun>>} RecoveryFigures */

/**
 * The recovery runs of every policy as a text table, with what the columns mean.
 * @param {{ policies: Record<string, { runs: RecoveryFigures[] }> }} recovery
 */
export function recoveryTable(recovery) {
  const header = ['policy', 'run', 'client failover ms', 'client failback ms', 'acks on secondary after failback', 'failed'];
  /** @type {string[][]} */
  const rows = [];
  for (const [policy, { runs }] of Object.entries(recovery.policies)) {
    runs.forEach((r, i) =>
      rows.push([policy, String(i + 1), String(r.clientFailoverMs), r.clientFailbackMs !== undefined ? String(r.clientFailbackMs) : r.failback, String(r.acksOnSecondaryAfterFailback), String(r.failed)]),
    );
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  /** @param {string[]} cells */
  const line = (cells) => cells.map((x, c) => x.padEnd(widths[c] ?? 0)).join(' | ').trimEnd();
  return [
    `client recovery, whole primary cluster stopped then restored (producer ${RECOVERY_RATE} msg/s through Envoy, FAST_HEALTH_CHECK; coherent failback hold ${FAILBACK_HOLD_MS / 1000} s):`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
    `failover: fault effect -> first ack on the secondary; failback: restore effect -> first ack on the primary (cap: failback hold + ${FAILBACK_CAP_EXTRA_MS / 1000} s);`,
    `acks on secondary after failback: in the ${RECOVERY_OBSERVE_MS / 1000} s after (first primary ack + ${FAILBACK_GRACE_MS / 1000} s), or after the cap when the client never failed back.`,
  ].join('\n');
}
