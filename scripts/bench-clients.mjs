#!/usr/bin/env node
// Benchmark of the Kafka clients on the local rig (real Kafka 3.9 brokers, stand-ins, real Envoy):
//   1. produce throughput (unthrottled, acks=all) and ack latency through Envoy vs straight to the primary
//      brokers' direct listeners: the ratio is Envoy's cost. Also p50/p99 at a fixed, unsaturated rate.
//      This part runs under the `per-broker` failover policy (the PoC layout), as it did before the
//      `coherent` policy existed, so its figures compare with earlier ones.
//   2. client recovery after the whole primary cluster stops, and after it comes back, under BOTH failover
//      policies side by side (`per-broker` and `coherent`), each on its own rig (start, measure, stop with
//      its data removed), with the test suite's fast health checks (FAST_HEALTH_CHECK) and, for `coherent`,
//      a 2 s failback hold. A producer (FailoverProducer, 100 msg/s through Envoy) runs while:
//        - fault: stopBroker on every primary broker; its effect is the latest `servingEndedAt ?? stoppedAt`;
//          client failover = fault effect -> first ack on the secondary;
//        - restore: startBroker on every primary broker at once (each `alongside` the others); its effect is
//          the latest `servingAt ?? readyAt`; client failback = restore effect -> first ack on the primary
//          after it, or "never" when none comes within failbackHold + 20 s (expected under per-broker:
//          nothing closes the clients' connections to the secondary);
//        - acks on the secondary after failback: acks on the secondary more than 2 s after that first ack
//          on the primary (or after the cap), counted over the RECOVERY_OBSERVE_MS that follow.
//      Envoy's own view (every listener routed to the secondary / back to the primary, polled on the admin
//      API) is reported next to the client figures. Each measurement is repeated --repeat times per policy.
// brokersStoppedMs (fault -> every primary broker process gone) is reported next to the client figure:
// Envoy's health check only steers new connections, and requests already sent to a broker that is still
// shutting down wait for it (or for the client's request timeout).
// Usage: npm run bench:clients [-- --port-base 24000 --count 100000 --runs 2 --fast --repeat 2 --recovery-only
//                                  --out reports/bench-clients.json]
//   --fast          the throughput rig uses the test suite's short health checks (500 ms interval) instead of
//                   the defaults (3 s); the recovery rigs always use them.
//   --recovery-only skip part 1 (throughput/latency): only the per-policy recovery measurement.
//   --repeat N      recovery measurements per policy (default 2).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brokersOf, defaultTopology, FAST_HEALTH_CHECK } from '../dist/config/topology.js';
import { createLocalRuntime } from '../dist/runtime/local/index.js';
import { allHostsHealthy, readRoutingOrUndefined } from '../dist/runtime/local/readiness.js';
import { writeState } from '../dist/runtime/state.js';
import { RoutingReader } from '../dist/envoy/routing.js';
import { predictTiming } from '../dist/envoy/timing.js';
import { FailoverProducer } from '../dist/kafka/producer.js';
import { createTopicOnClusters } from '../dist/kafka/topic.js';
import { writeFileAtomic } from '../dist/util/fs.js';
import { delay, waitFor } from '../dist/util/wait.js';
import { applyKafkajsFixes } from '../dist/kafka/kafkajs-fixes.js';
import { consoleProgress, runScript, onPortRange } from './lib.mjs';

const { values } = parseArgs({
  options: {
    'port-base': { type: 'string', default: '24000' },
    count: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '2' },
    rate: { type: 'string', default: '200' },
    'rate-seconds': { type: 'string', default: '10' },
    'payload-bytes': { type: 'string', default: '200' },
    fast: { type: 'boolean', default: false },
    'recovery-only': { type: 'boolean', default: false },
    repeat: { type: 'string', default: '2' },
    out: { type: 'string', default: 'reports/bench-clients.json' },
  },
});

/** Policy of the throughput/latency rig: the PoC layout, so its figures compare with earlier runs. */
const THROUGHPUT_POLICY = 'per-broker';
/** Recovery: both policies, side by side. */
const RECOVERY_POLICIES = ['per-broker', 'coherent'];
const RECOVERY_RATE = 100;
/** coherent: every primary broker healthy this long before the controller fails back. */
const FAILBACK_HOLD_MS = 2_000;
/** After the first ack on the primary, acks on the secondary within this long are in flight, not left behind. */
const FAILBACK_GRACE_MS = 2_000;
/** Failback wait cap beyond the hold. */
const FAILBACK_CAP_EXTRA_MS = 20_000;
/** How long acks on the secondary are counted after (first primary ack + grace) or after the cap. */
const RECOVERY_OBSERVE_MS = 5_000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (n, d = 1) => (n === undefined ? undefined : Math.round(n * 10 ** d) / 10 ** d);
const maxOf = (xs) => (xs.length && xs.every((x) => x !== undefined) ? Math.max(...xs) : undefined);

async function produceRun(bootstrap, direct, topic, opts) {
  const producer = new FailoverProducer({ bootstrap, direct, topic, payloadBytes: Number(values['payload-bytes']), ...opts });
  const s = await producer.run();
  if (s.failed > 0) throw new Error(`${s.failed} message(s) failed during a throughput run`);
  return { acked: s.acked, durationMs: s.durationMs, ackRate: s.ackRate, p50Ms: s.latencyMs.p50, p99Ms: s.latencyMs.p99 };
}

const base = Number(values['port-base']);
const progress = consoleProgress('bench-clients');
/** The rig running now (for Ctrl+C). */
let current;

/** The bench's topology on its own port range, under `policy`. */
function benchTopology(policy, fastHealthCheck) {
  const t = defaultTopology();
  t.project = 'failover-demo-bench-clients';
  onPortRange(t, base);
  if (fastHealthCheck) t.healthCheck = { ...t.healthCheck, ...FAST_HEALTH_CHECK };
  // failbackHoldMs only acts under `coherent`; set on both so the failback wait's cap is the same.
  t.failover = { ...t.failover, policy, failbackHoldMs: FAILBACK_HOLD_MS, controllerPort: base + 902 };
  return t;
}

/** Starts a rig for `t`, creates the bench topic, runs `fn`, then stops the rig and removes its data. */
async function withRig(t, topic, fn) {
  const project = mkdtempSync(join(tmpdir(), 'failover-demo-bench-clients-'));
  const runtime = createLocalRuntime(t, { projectDir: project });
  current = runtime;
  try {
    progress.info(`starting a rig (failover policy: ${t.failover.policy})`);
    await runtime.start({ progress });
    writeState(project, { runtime: 'local', topology: t, startedAt: new Date().toISOString() });
    const endpoints = runtime.endpoints();
    const created = await createTopicOnClusters(endpoints.direct, { topic, partitions: 3, replicationFactor: t.brokers });
    for (const [cluster, r] of Object.entries(created)) if (r.startsWith('failed')) throw new Error(`topic ${topic} on ${cluster}: ${r}`);
    return await fn(runtime, endpoints);
  } finally {
    progress.step(`stopping the ${t.failover.policy} rig and removing its data`);
    await runtime.stop({ removeData: true });
    rmSync(project, { recursive: true, force: true });
    current = undefined;
    progress.done('rig stopped');
  }
}

process.once('SIGINT', () => {
  (current ? current.stop({ removeData: true }) : Promise.resolve()).finally(() => process.exit(130));
});

/** Part 1: Envoy vs direct, unthrottled and at a fixed rate. */
async function envoyVsDirectPart() {
  const t = benchTopology(THROUGHPUT_POLICY, values.fast);
  const topic = 'bench-clients';
  return withRig(t, topic, async (_runtime, { bootstrap, direct }) => {
    const count = Number(values.count);
    const paths = { envoy: bootstrap, direct: direct.primary };
    const throughput = { envoy: [], direct: [] };
    const steady = { envoy: [], direct: [] };
    progress.info('warm-up (both paths, 2,000 messages each)');
    for (const b of Object.values(paths)) await produceRun(b, direct, topic, { count: 2_000, ratePerSecond: 0 });
    for (let i = 0; i < Number(values.runs); i++) {
      // Alternate the order so neither path always runs on a warmer JVM.
      const order = i % 2 === 0 ? ['envoy', 'direct'] : ['direct', 'envoy'];
      for (const path of order) {
        const r = await produceRun(paths[path], direct, topic, { count, ratePerSecond: 0 });
        throughput[path].push(r);
        progress.info(`run ${i + 1} ${path}: ${r.ackRate} msg/s unthrottled, p99 ${r.p99Ms} ms`);
        const rate = Number(values.rate);
        const s = await produceRun(paths[path], direct, topic, { ratePerSecond: rate, durationMs: Number(values['rate-seconds']) * 1000 });
        steady[path].push(s);
        progress.info(`run ${i + 1} ${path}: at ${rate} msg/s p50 ${s.p50Ms} ms, p99 ${s.p99Ms} ms`);
      }
    }
    const summarise = (runs) => ({
      ackRate: round(median(runs.map((r) => r.ackRate))),
      p50Ms: round(median(runs.map((r) => r.p50Ms))),
      p99Ms: round(median(runs.map((r) => r.p99Ms))),
      runs,
    });
    const envoyVsDirect = {
      policy: THROUGHPUT_POLICY,
      healthCheck: values.fast ? 'fast (test suite: 500 ms interval, threshold 2)' : 'defaults (3 s interval, threshold 3)',
      unthrottled: { envoy: summarise(throughput.envoy), direct: summarise(throughput.direct) },
      [`at${values.rate}PerSecond`]: { envoy: summarise(steady.envoy), direct: summarise(steady.direct) },
    };
    const u = envoyVsDirect.unthrottled;
    const r = envoyVsDirect[`at${values.rate}PerSecond`];
    envoyVsDirect.ratios = {
      throughputEnvoyOverDirect: round(u.envoy.ackRate / u.direct.ackRate, 2),
      unthrottledP99EnvoyOverDirect: round(u.envoy.p99Ms / u.direct.p99Ms, 2),
      steadyP99EnvoyOverDirect: round(r.envoy.p99Ms / r.direct.p99Ms, 2),
    };
    return { count, envoyVsDirect };
  });
}

/**
 * Polls Envoy's routing (every listener's target) in the background and records when the overall
 * active cluster changes, so a measurement can ask "first time every listener routed to X after T".
 */
function watchRouting(adminUrl, t) {
  const reader = new RoutingReader(adminUrl, t, { timeoutMs: 1_000 });
  const changes = [];
  let running = true;
  const loop = (async () => {
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
    firstAfter: (cluster, since) => changes.find((c) => c.active === cluster && c.at >= since)?.at,
    async stop() {
      running = false;
      await loop;
      await reader.close().catch(() => undefined);
    },
  };
}

/** One recovery measurement on a running rig: fault, failover, restore, failback. */
async function recoveryRun(runtime, t, { bootstrap, direct, envoyAdminUrl }, topic) {
  const primaries = brokersOf(t, 'primary').map((b) => b.name);
  progress.step('waiting for Envoy to route every listener to the primary with every endpoint healthy');
  await waitFor(
    async () => {
      const s = await readRoutingOrUndefined(envoyAdminUrl, t);
      return s?.activeCluster === 'primary' && allHostsHealthy(s, t.brokers * 2);
    },
    { timeoutMs: 120_000, intervalMs: 250, what: 'Envoy to route every listener to the primary with every endpoint healthy' },
  );
  progress.done('Envoy routes to the primary');

  const acks = [];
  const producer = new FailoverProducer({ bootstrap, direct, topic, ratePerSecond: RECOVERY_RATE, durationMs: 30 * 60_000 });
  producer.on('ack', (a) => acks.push({ at: a.at, cluster: a.cluster }));
  const producing = producer.run();
  // A producer that fails early must not leave the waits below hanging until their timeouts.
  let producerError;
  producing.catch((err) => (producerError = err));
  const alive = () => {
    if (producerError) throw producerError;
  };
  /** Polls `check` (a value or undefined) until it has one; fails at once if the producer failed. */
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
  const firstAck = (cluster, since) => acks.find((a) => a.cluster === cluster && a.at >= since)?.at;
  const routing = watchRouting(envoyAdminUrl, t);
  try {
    await until(() => (producer.stats().ackedBy.primary >= 3 * RECOVERY_RATE ? true : undefined), 60_000, `${3 * RECOVERY_RATE} acks on the primary`);

    // Fault: every primary broker stops.
    progress.step(`fault: stopping ${primaries.join(', ')}`);
    const faultAt = Date.now();
    const stopped = await Promise.all(primaries.map((n) => runtime.stopBroker(n)));
    const brokersStoppedAt = Date.now();
    const faultEffectAt = maxOf(stopped.map((c) => c.servingEndedAt ?? c.stoppedAt));
    progress.done(`primary brokers stopped (effect ${faultEffectAt - faultAt} ms after the command)`);
    const firstSecondaryAt = await until(
      () => {
        const at = firstAck('secondary', faultAt);
        return at !== undefined && acks.filter((a) => a.cluster === 'secondary' && a.at >= faultAt).length >= RECOVERY_RATE ? at : undefined;
      },
      120_000,
      `${RECOVERY_RATE} acks on the secondary after the fault`,
    );

    // Restore: every primary broker starts again, at once.
    progress.step(`restore: starting ${primaries.join(', ')}`);
    const restoreAt = Date.now();
    const started = await Promise.all(primaries.map((n) => runtime.startBroker(n, { alongside: primaries.filter((x) => x !== n) })));
    const restoreEffectAt = maxOf(started.map((c) => c.servingAt ?? c.readyAt)) ?? maxOf(started.map((c) => c.startedAt));
    progress.done(`primary brokers serving (effect ${restoreEffectAt - restoreAt} ms after the command)`);
    const capMs = t.failover.failbackHoldMs + FAILBACK_CAP_EXTRA_MS;
    const capAt = restoreEffectAt + capMs;
    progress.step(`waiting for an ack on the primary (at most ${capMs / 1000} s after the restore took effect)`);
    let firstPrimaryAt;
    while (Date.now() <= capAt) {
      alive();
      firstPrimaryAt = firstAck('primary', restoreAt);
      if (firstPrimaryAt !== undefined) break;
      await delay(50);
    }
    progress.done(firstPrimaryAt !== undefined ? 'acked on the primary' : `no ack on the primary within ${capMs / 1000} s`);
    const leftBehindFrom = firstPrimaryAt !== undefined ? firstPrimaryAt + FAILBACK_GRACE_MS : capAt;
    const leftBehindTo = leftBehindFrom + RECOVERY_OBSERVE_MS;
    const waitMore = leftBehindTo - Date.now();
    if (waitMore > 0) await delay(waitMore);
    alive();
    producer.stop();
    const s = await producing;
    const inWindow = (c) => acks.filter((a) => a.cluster === c && a.at > leftBehindFrom && a.at <= leftBehindTo).length;
    const detectedAt = routing.firstAfter('secondary', faultAt);
    const routedBackAt = routing.firstAfter('primary', restoreAt);
    return {
      clientFailoverMs: firstSecondaryAt - faultEffectAt,
      clientFailbackMs: firstPrimaryAt !== undefined ? firstPrimaryAt - restoreEffectAt : undefined,
      failback: firstPrimaryAt !== undefined ? 'client followed' : `never (within ${capMs / 1000} s)`,
      failbackCapMs: capMs,
      acksOnSecondaryAfterFailback: inWindow('secondary'),
      acksOnPrimaryInThatWindow: inWindow('primary'),
      leftBehindWindow: firstPrimaryAt !== undefined
        ? `first primary ack + ${FAILBACK_GRACE_MS} ms, for ${RECOVERY_OBSERVE_MS} ms`
        : `cap (restore effect + ${capMs} ms), for ${RECOVERY_OBSERVE_MS} ms`,
      failed: s.failed,
      faultEffectAfterCommandMs: faultEffectAt - faultAt,
      brokersStoppedMs: brokersStoppedAt - faultAt,
      envoyFailoverMs: detectedAt !== undefined ? detectedAt - faultEffectAt : undefined,
      restoreEffectAfterCommandMs: restoreEffectAt - restoreAt,
      envoyFailbackMs: routedBackAt !== undefined ? routedBackAt - restoreEffectAt : undefined,
      ackedBy: s.ackedBy,
      clusterChanges: s.clusterChanges.length,
      maxAckLatencyMs: s.latencyMs.max,
      restoreNotes: [...new Set(started.map((c) => c.note).filter(Boolean))],
    };
  } finally {
    producer.stop();
    await producing.catch(() => undefined);
    await routing.stop();
  }
}

/** Part 2: recovery under each failover policy, each on its own rig. */
async function recoveryPart() {
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, not ${values.repeat}`);
  const byPolicy = {};
  for (const policy of RECOVERY_POLICIES) {
    const t = benchTopology(policy, true);
    const topic = 'bench-clients-recovery';
    byPolicy[policy] = await withRig(t, topic, async (runtime, endpoints) => {
      const runs = [];
      for (let i = 0; i < repeat; i++) {
        progress.info(`recovery ${policy} run ${i + 1}/${repeat}: producer at ${RECOVERY_RATE} msg/s through Envoy; every primary broker stops, then starts again`);
        const r = await recoveryRun(runtime, t, endpoints, topic);
        runs.push(r);
        progress.info(
          `recovery ${policy} run ${i + 1}: client failover ${r.clientFailoverMs} ms (Envoy ${r.envoyFailoverMs ?? '?'} ms), ` +
            `client failback ${r.clientFailbackMs ?? r.failback} (Envoy ${r.envoyFailbackMs ?? '?'} ms), ` +
            `acks on secondary after failback ${r.acksOnSecondaryAfterFailback}, failed ${r.failed}`,
        );
      }
      return { failbackHoldMs: policy === 'coherent' ? t.failover.failbackHoldMs : undefined, runs };
    });
  }
  const predicted = predictTiming({ ...defaultTopology().healthCheck, ...FAST_HEALTH_CHECK }).refused;
  return {
    healthCheck: 'fast (FAST_HEALTH_CHECK: 500 ms interval, threshold 2)',
    predictedDetectionMs: { earliest: predicted.earliestMs, latest: predicted.latestMs },
    producer: { ratePerSecond: RECOVERY_RATE, library: 'FailoverProducer (kafkajs, acks=all)' },
    fault: 'stopBroker on every primary broker; effect = latest servingEndedAt ?? stoppedAt',
    restore: 'startBroker on every primary broker at once (alongside the others); effect = latest servingAt ?? readyAt',
    policies: byPolicy,
  };
}

function recoveryTable(recovery) {
  const header = ['policy', 'run', 'client failover ms', 'client failback ms', 'acks on secondary after failback', 'failed'];
  const rows = [];
  for (const [policy, { runs }] of Object.entries(recovery.policies)) {
    runs.forEach((r, i) =>
      rows.push([policy, String(i + 1), String(r.clientFailoverMs), r.clientFailbackMs !== undefined ? String(r.clientFailbackMs) : r.failback, String(r.acksOnSecondaryAfterFailback), String(r.failed)]),
    );
  }
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells) => cells.map((x, c) => x.padEnd(widths[c])).join(' | ').trimEnd();
  return [
    `client recovery, whole primary cluster stopped then restored (producer ${RECOVERY_RATE} msg/s through Envoy, FAST_HEALTH_CHECK; coherent failback hold ${FAILBACK_HOLD_MS / 1000} s):`,
    line(header),
    widths.map((w) => '-'.repeat(w)).join('-|-'),
    ...rows.map(line),
    `failover: fault effect -> first ack on the secondary; failback: restore effect -> first ack on the primary (cap: failback hold + ${FAILBACK_CAP_EXTRA_MS / 1000} s);`,
    `acks on secondary after failback: in the ${RECOVERY_OBSERVE_MS / 1000} s after (first primary ack + ${FAILBACK_GRACE_MS / 1000} s), or after the cap when the client never failed back.`,
  ].join('\n');
}

await runScript(async () => {
  // Kafka clients are created in this process (by the dist/ modules it drives): the kafkajs fixes go in first.
  applyKafkajsFixes();
  const part1 = values['recovery-only'] ? undefined : await envoyVsDirectPart();
  const recovery = await recoveryPart();
  const t = benchTopology(THROUGHPUT_POLICY, values.fast);
  const report = {
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    topology: { brokersPerCluster: t.brokers, kafka: t.local.kafkaVersion, partitions: 3, replicationFactor: t.brokers },
    ...(part1
      ? { messages: { count: part1.count, payloadBytes: Number(values['payload-bytes']), acks: 'all' }, envoyVsDirect: part1.envoyVsDirect }
      : { envoyVsDirect: 'skipped (--recovery-only)' }),
    recovery,
    at: new Date().toISOString(),
  };
  writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
  const summary = { recovery: Object.fromEntries(Object.entries(recovery.policies).map(([p, v]) => [p, v.runs])) };
  if (part1) {
    const u = part1.envoyVsDirect.unthrottled;
    summary.envoyVsDirect = { policy: THROUGHPUT_POLICY, ratios: part1.envoyVsDirect.ratios, unthrottled: { envoy: u.envoy.ackRate, direct: u.direct.ackRate } };
  }
  console.log(JSON.stringify(summary, null, 2));
  console.log('');
  if (part1) console.log(`throughput/latency (Envoy vs direct) ran under the ${THROUGHPUT_POLICY} policy, as before, to compare with earlier figures; report in ${values.out}.`);
  else console.log(`throughput/latency (Envoy vs direct) skipped (--recovery-only); report in ${values.out}.`);
  console.log(recoveryTable(recovery));
});
