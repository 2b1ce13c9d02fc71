#!/usr/bin/env node
// @ts-check
// Benchmark of the Kafka clients on the local rig (real Kafka 3.9 brokers, stand-ins, real Envoy):
//   1. what Envoy costs a Kafka client (./clients-envoy-cost.mjs, whose header says how): after a warm-up,
//      --pairs interleaved (Envoy, direct) pairs in alternating order, each an unthrottled produce run
//      (--count messages, acks=all) and a fixed-rate run (--rate msg/s for --rate-seconds) on both paths;
//      the median and spread over the pairs of the throughput ratio, of p50/p99/p99.9 at the fixed rate, and
//      Envoy's own CPU per message. Exits 1, printing why instead of a ratio, when the pairs disagree too much.
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
// Usage: npm run bench:clients [-- --port-base 24000 --envoy KEY=VALUE --count 100000 --pairs 6 --rate 200 --rate-seconds 15 --fast
//                                  --repeat 2 --recovery-only --skip-recovery --out reports/bench-clients.json]
//   --fast          the throughput rig uses the test suite's short health checks (500 ms interval) instead of
//                   the defaults (3 s); the recovery rigs always use them.
//   --recovery-only skip part 1 (throughput/latency): only the per-policy recovery measurement.
//   --skip-recovery skip part 2: only Envoy's cost (what tuning Envoy needs).
//   --envoy KEY=VALUE sets an `envoy` config key on every rig (repeatable), e.g. --envoy concurrency=2: how a
//                   setting's effect is measured.
//   --repeat N      recovery measurements per policy (default 2).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTopology, FAST_HEALTH_CHECK } from '#dist/config/topology.js';
import { createLocalRuntime } from '#dist/runtime/local/index.js';
import { writeState } from '#dist/runtime/state.js';
import { predictTiming } from '#dist/envoy/timing.js';
import { localLayout } from '#dist/runtime/local/layout.js';
import { partFiles } from '#dist/runtime/local/parts.js';
import { partPid } from '#dist/runtime/local/supervised.js';
import { createTopicOnClusters } from '#dist/kafka/topic.js';
import { writeFileAtomic } from '#dist/util/fs.js';
import { applyKafkajsFixes } from '#dist/kafka/kafkajs-fixes.js';
import { FAILBACK_HOLD_MS, RECOVERY_RATE, recoveryRun, recoveryTable } from './clients-recovery.mjs';
import { envoyCostTable, runPairs, summarisePairs } from './clients-envoy-cost.mjs';
import { consoleProgress, runScript, onPortRange } from './lib.mjs';

/** @typedef {import('#dist/config/topology.js').Topology} Topology */
/** @typedef {import('#dist/config/topology.js').FailoverPolicy} FailoverPolicy */
/** @typedef {import('#dist/runtime/types.js').Runtime} Runtime */
/** @typedef {import('#dist/runtime/types.js').Endpoints} Endpoints */

const { values } = parseArgs({
  options: {
    'port-base': { type: 'string', default: '24000' },
    count: { type: 'string', default: '100000' },
    pairs: { type: 'string', default: '6' },
    rate: { type: 'string', default: '200' },
    'rate-seconds': { type: 'string', default: '15' },
    'payload-bytes': { type: 'string', default: '200' },
    fast: { type: 'boolean', default: false },
    'recovery-only': { type: 'boolean', default: false },
    'skip-recovery': { type: 'boolean', default: false },
    envoy: { type: 'string', multiple: true, default: [] },
    repeat: { type: 'string', default: '2' },
    out: { type: 'string', default: 'reports/bench-clients.json' },
  },
});

/** @type {FailoverPolicy} Policy of the throughput/latency rig: the PoC layout, so its figures compare with earlier runs. */
const THROUGHPUT_POLICY = 'per-broker';
/** @type {FailoverPolicy[]} Recovery: both policies, side by side. */
const RECOVERY_POLICIES = ['per-broker', 'coherent'];

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
  for (const kv of values.envoy) {
    const [key = '', raw = ''] = kv.split('=');
    if (!(key in t.envoy)) throw new Error(`--envoy ${kv}: envoy has no key ${key}`);
    /** @type {Record<string, unknown>} */ (t.envoy)[key] = raw === 'true' ? true : raw === 'false' ? false : /^\d+$/.test(raw) ? Number(raw) : raw;
  }
  // failbackHoldMs only acts under `coherent`; set on both so the failback wait's cap is the same.
  t.failover = { ...t.failover, policy, failbackHoldMs: FAILBACK_HOLD_MS, controllerPort: base + 902 };
  return t;
}

/**
 * Starts a rig for `t`, creates the bench topic, runs `fn`, then stops the rig and removes its data.
 * @template T
 * @param {Topology} t
 * @param {string} topic
 * @param {(runtime: Runtime, endpoints: Endpoints, project: string) => Promise<T>} fn
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
    return await fn(runtime, endpoints, project);
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

/** Part 1: Envoy vs direct, interleaved pairs (./clients-envoy-cost.mjs). */
async function envoyVsDirectPart() {
  const t = benchTopology(THROUGHPUT_POLICY, values.fast);
  const topic = 'bench-clients';
  const rate = Number(values.rate);
  return withRig(t, topic, async (_runtime, { bootstrap, direct }, project) => {
    const envoy = partFiles(localLayout(project), 'envoy');
    const envoyPid = () => {
      const pid = partPid(envoy);
      if (pid === undefined) throw new Error('Envoy is not running');
      return pid;
    };
    const pairs = await runPairs({
      bootstrap, direct, topic, envoyPid, progress,
      pairs: Number(values.pairs), count: Number(values.count), rate, rateSeconds: Number(values['rate-seconds']), payloadBytes: Number(values['payload-bytes']),
    });
    const envoyCommand = readFileSync(`/proc/${envoyPid()}/cmdline`, 'utf8').split('\0').filter(Boolean).slice(1).join(' ');
    return {
      policy: THROUGHPUT_POLICY,
      healthCheck: values.fast ? 'fast (test suite: 500 ms interval, threshold 2)' : 'defaults (3 s interval, threshold 3)',
      envoy: { ...t.envoy, command: envoyCommand },
      ...summarisePairs(pairs, rate),
      runs: pairs,
    };
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
  const recovery = values['skip-recovery'] ? undefined : await recoveryPart();
  const t = benchTopology(THROUGHPUT_POLICY, values.fast);
  const report = {
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, loadAverage: loadavg() },
    topology: { brokersPerCluster: t.brokers, kafka: t.local.kafkaVersion, partitions: 3, replicationFactor: t.brokers },
    messages: { count: Number(values.count), payloadBytes: Number(values['payload-bytes']), acks: 'all', rate: Number(values.rate), rateSeconds: Number(values['rate-seconds']) },
    envoyVsDirect: part1 ?? 'skipped (--recovery-only)',
    recovery: recovery ?? 'skipped (--skip-recovery)',
    at: new Date().toISOString(),
  };
  writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
  if (recovery) {
    console.log(JSON.stringify({ recovery: Object.fromEntries(Object.entries(recovery.policies).map(([p, v]) => [p, v.runs])) }, null, 2));
    console.log(recoveryTable(recovery));
  }
  console.log(`report in ${values.out}`);
  if (!part1) return;
  console.log(`\nEnvoy vs direct (${part1.policy} policy, ${part1.pairs} interleaved pairs; median [Q1–Q3] min–max over the pairs):`);
  if (!part1.verdict.ok) {
    console.log('NO RATIO: the pairs disagree too much for a median to mean anything:');
    for (const r of part1.verdict.reasons) console.log(`  - ${r}`);
    console.log('The machine was too busy for this measurement (other processes share its cores); see the per-pair runs in the report.');
    process.exitCode = 1;
    return;
  }
  console.log(envoyCostTable(part1.figures));
});
