#!/usr/bin/env node
// @ts-check
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
import { defaultTopology, FAST_HEALTH_CHECK } from '#dist/config/topology.js';
import { createLocalRuntime } from '#dist/runtime/local/index.js';
import { writeState } from '#dist/runtime/state.js';
import { predictTiming } from '#dist/envoy/timing.js';
import { FailoverProducer } from '#dist/kafka/producer.js';
import { createTopicOnClusters } from '#dist/kafka/topic.js';
import { writeFileAtomic } from '#dist/util/fs.js';
import { applyKafkajsFixes } from '#dist/kafka/kafkajs-fixes.js';
import { FAILBACK_HOLD_MS, RECOVERY_RATE, recoveryRun, recoveryTable } from './clients-recovery.mjs';
import { consoleProgress, runScript, onPortRange } from './lib.mjs';

/** @typedef {import('#dist/config/topology.js').Topology} Topology */
/** @typedef {import('#dist/config/topology.js').FailoverPolicy} FailoverPolicy */
/** @typedef {import('#dist/runtime/types.js').Runtime} Runtime */
/** @typedef {import('#dist/runtime/types.js').Endpoints} Endpoints */
/** @typedef {{ acked: number, durationMs: number, ackRate: number, p50Ms: number | undefined, p99Ms: number | undefined }} ProduceRun */

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

/** @type {FailoverPolicy} Policy of the throughput/latency rig: the PoC layout, so its figures compare with earlier runs. */
const THROUGHPUT_POLICY = 'per-broker';
/** @type {FailoverPolicy[]} Recovery: both policies, side by side. */
const RECOVERY_POLICIES = ['per-broker', 'coherent'];

/** @param {readonly (number | undefined)[]} xs */
const median = (xs) => {
  const s = /** @type {number[]} */ ([...xs]).sort((a, b) => a - b);
  const at = (/** @type {number} */ i) => /** @type {number} */ (s[i]);
  return s.length % 2 ? at((s.length - 1) / 2) : (at(s.length / 2 - 1) + at(s.length / 2)) / 2;
};
/** @type {(n: number | undefined, d?: number) => number | undefined} */
const round = (n, d = 1) => (n === undefined ? undefined : Math.round(n * 10 ** d) / 10 ** d);
/** a / b to 2 decimals (NaN when either is missing). @type {(a: number | undefined, b: number | undefined) => number | undefined} */
const ratio = (a, b) => round(/** @type {number} */ (a) / /** @type {number} */ (b), 2);

/**
 * @param {string[]} bootstrap
 * @param {Endpoints['direct']} direct
 * @param {string} topic
 * @param {{ count?: number, ratePerSecond: number, durationMs?: number }} opts
 * @returns {Promise<ProduceRun>}
 */
async function produceRun(bootstrap, direct, topic, opts) {
  const producer = new FailoverProducer({ bootstrap, direct, topic, payloadBytes: Number(values['payload-bytes']), ...opts });
  const s = await producer.run();
  if (s.failed > 0) throw new Error(`${s.failed} message(s) failed during a throughput run`);
  return { acked: s.acked, durationMs: s.durationMs, ackRate: s.ackRate, p50Ms: s.latencyMs.p50, p99Ms: s.latencyMs.p99 };
}

const base = Number(values['port-base']);
const progress = consoleProgress('bench-clients');
/** @type {Runtime | undefined} The rig running now (for Ctrl+C). */
let current;

/**
 * The bench's topology on its own port range, under `policy`.
 * @param {FailoverPolicy} policy
 * @param {boolean} fastHealthCheck
 */
function benchTopology(policy, fastHealthCheck) {
  const t = defaultTopology();
  t.project = 'failover-demo-bench-clients';
  onPortRange(t, base);
  if (fastHealthCheck) t.healthCheck = { ...t.healthCheck, ...FAST_HEALTH_CHECK };
  // failbackHoldMs only acts under `coherent`; set on both so the failback wait's cap is the same.
  t.failover = { ...t.failover, policy, failbackHoldMs: FAILBACK_HOLD_MS, controllerPort: base + 902 };
  return t;
}

/**
 * Starts a rig for `t`, creates the bench topic, runs `fn`, then stops the rig and removes its data.
 * @template T
 * @param {Topology} t
 * @param {string} topic
 * @param {(runtime: Runtime, endpoints: Endpoints) => Promise<T>} fn
 * @returns {Promise<T>}
 */
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
    for (const [cluster, r] of Object.entries(created)) if (r?.startsWith('failed')) throw new Error(`topic ${topic} on ${cluster}: ${r}`);
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
    /** @type {{ envoy: ProduceRun[], direct: ProduceRun[] }} */
    const throughput = { envoy: [], direct: [] };
    /** @type {{ envoy: ProduceRun[], direct: ProduceRun[] }} */
    const steady = { envoy: [], direct: [] };
    progress.info('warm-up (both paths, 2,000 messages each)');
    for (const b of Object.values(paths)) await produceRun(b, direct, topic, { count: 2_000, ratePerSecond: 0 });
    for (let i = 0; i < Number(values.runs); i++) {
      // Alternate the order so neither path always runs on a warmer JVM.
      /** @type {('envoy' | 'direct')[]} */
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
    /** @param {ProduceRun[]} runs */
    const summarise = (runs) => ({
      ackRate: round(median(runs.map((r) => r.ackRate))),
      p50Ms: round(median(runs.map((r) => r.p50Ms))),
      p99Ms: round(median(runs.map((r) => r.p99Ms))),
      runs,
    });
    const u = { envoy: summarise(throughput.envoy), direct: summarise(throughput.direct) };
    const r = { envoy: summarise(steady.envoy), direct: summarise(steady.direct) };
    const envoyVsDirect = {
      policy: THROUGHPUT_POLICY,
      healthCheck: values.fast ? 'fast (test suite: 500 ms interval, threshold 2)' : 'defaults (3 s interval, threshold 3)',
      unthrottled: u,
      [`at${values.rate}PerSecond`]: r,
      ratios: {
        throughputEnvoyOverDirect: ratio(u.envoy.ackRate, u.direct.ackRate),
        unthrottledP99EnvoyOverDirect: ratio(u.envoy.p99Ms, u.direct.p99Ms),
        steadyP99EnvoyOverDirect: ratio(r.envoy.p99Ms, r.direct.p99Ms),
      },
    };
    return { count, envoyVsDirect };
  });
}

/** Part 2: recovery under each failover policy, each on its own rig. */
async function recoveryPart() {
  const repeat = Number(values.repeat);
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error(`--repeat must be a positive integer, not ${values.repeat}`);
  /** @type {Record<string, { failbackHoldMs: number | undefined, runs: import('./clients-recovery.mjs').RecoveryFigures[] }>} */
  const byPolicy = {};
  for (const policy of RECOVERY_POLICIES) {
    const t = benchTopology(policy, true);
    const topic = 'bench-clients-recovery';
    byPolicy[policy] = await withRig(t, topic, async (runtime, endpoints) => {
      const runs = [];
      for (let i = 0; i < repeat; i++) {
        progress.info(`recovery ${policy} run ${i + 1}/${repeat}: producer at ${RECOVERY_RATE} msg/s through Envoy; every primary broker stops, then starts again`);
        const r = await recoveryRun(runtime, t, endpoints, topic, progress);
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
  /** @type {{ recovery: object, envoyVsDirect?: object }} */
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
