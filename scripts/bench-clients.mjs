#!/usr/bin/env node
// Benchmark of the Kafka clients on the local rig (real Kafka 3.9 brokers, stand-ins, real Envoy):
//   1. produce throughput (unthrottled, acks=all) and ack latency through Envoy vs straight to the primary
//      brokers' direct listeners: the ratio is Envoy's cost. Also p50/p99 at a fixed, unsaturated rate.
//   2. client recovery after the whole primary cluster stops: fault (stopBroker on every primary broker)
//      -> first ack on the secondary, next to Envoy's detection time (fault -> every listener routes to the
//      secondary, polled on the admin API) and the window the health-check settings predict.
// brokersStoppedMs (fault -> every primary broker process gone) is reported next to the client figure:
// Envoy's health check only steers new connections, and requests already sent to a broker that is still
// shutting down wait for it (or for the client's request timeout).
// Usage: npm run bench:clients [-- --port-base 24000 --count 100000 --runs 2 --fast --out reports/bench-clients.json]
//   --fast uses the test suite's short health checks (500 ms interval) instead of the defaults (3 s).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brokersOf, defaultTopology, FAST_HEALTH_CHECK } from '../dist/config/topology.js';
import { createLocalRuntime } from '../dist/runtime/local/index.js';
import { writeState } from '../dist/runtime/state.js';
import { readRouting } from '../dist/envoy/routing.js';
import { predictTiming } from '../dist/envoy/timing.js';
import { FailoverProducer } from '../dist/kafka/producer.js';
import { createTopicOnClusters } from '../dist/kafka/topic.js';
import { writeFileAtomic } from '../dist/util/fs.js';
import { waitFor } from '../dist/util/wait.js';
import { consoleProgress, runScript } from './lib.mjs';

const { values } = parseArgs({
  options: {
    'port-base': { type: 'string', default: '24000' },
    count: { type: 'string', default: '100000' },
    runs: { type: 'string', default: '2' },
    rate: { type: 'string', default: '200' },
    'rate-seconds': { type: 'string', default: '10' },
    'payload-bytes': { type: 'string', default: '200' },
    fast: { type: 'boolean', default: false },
    out: { type: 'string', default: 'reports/bench-clients.json' },
  },
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round = (n, d = 1) => (n === undefined ? undefined : Math.round(n * 10 ** d) / 10 ** d);

async function produceRun(bootstrap, direct, topic, opts) {
  const producer = new FailoverProducer({ bootstrap, direct, topic, payloadBytes: Number(values['payload-bytes']), ...opts });
  const s = await producer.run();
  if (s.failed > 0) throw new Error(`${s.failed} message(s) failed during a throughput run`);
  return { acked: s.acked, durationMs: s.durationMs, ackRate: s.ackRate, p50Ms: s.latencyMs.p50, p99Ms: s.latencyMs.p99 };
}

await runScript(async () => {
  const base = Number(values['port-base']);
  const t = defaultTopology();
  t.project = 'failover-demo-bench-clients';
  t.envoy.listenerPort = base + 92;
  t.envoy.adminPort = base + 901;
  t.envoy.hostListenerPort = base + 192;
  t.redpanda.directPortBase = base + 2092;
  t.local.basePort = base + 1000;
  if (values.fast) t.healthCheck = { ...t.healthCheck, ...FAST_HEALTH_CHECK };
  const project = mkdtempSync(join(tmpdir(), 'failover-demo-bench-clients-'));
  const runtime = createLocalRuntime(t, { projectDir: project });
  const progress = consoleProgress('bench-clients');
  process.once('SIGINT', () => {
    runtime.stop().finally(() => process.exit(130));
  });
  try {
    await runtime.start({ progress });
    writeState(project, { runtime: 'local', topology: t, startedAt: new Date().toISOString() });
    const { bootstrap, direct, envoyAdminUrl } = runtime.endpoints();
    const topic = 'bench-clients';
    await createTopicOnClusters(direct, { topic, partitions: 3, replicationFactor: t.brokers });

    // 1. Envoy vs direct
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

    // 2. Recovery after the primary cluster stops
    progress.info('recovery: producer at 100 msg/s through Envoy, then every primary broker stops');
    const producer = new FailoverProducer({ bootstrap, direct, topic, ratePerSecond: 100, durationMs: 180_000 });
    const producing = producer.run();
    await waitFor(() => producer.stats().ackedBy.primary >= 300, { timeoutMs: 60_000, what: '300 acks on the primary' });
    const faultAt = Date.now();
    const stopping = Promise.all(brokersOf(t, 'primary').map((b) => runtime.stopBroker(b.name)));
    const detectedAt = await waitFor(
      async () => ((await readRouting(envoyAdminUrl, t)).activeCluster === 'secondary' ? Date.now() : false),
      { timeoutMs: 120_000, intervalMs: 50, what: 'Envoy to route every listener to the secondary' },
    );
    await stopping;
    const brokersStoppedAt = Date.now();
    await waitFor(() => producer.stats().ackedBy.secondary >= 100, { timeoutMs: 120_000, what: '100 acks on the secondary' });
    producer.stop();
    const s = await producing;
    const predicted = predictTiming(t.healthCheck).refused;
    const recovery = {
      healthCheck: values.fast ? 'fast (test suite: 500 ms interval, threshold 2)' : 'defaults (3 s interval, threshold 3)',
      predictedDetectionMs: { earliest: predicted.earliestMs, latest: predicted.latestMs },
      detectionMs: detectedAt - faultAt,
      brokersStoppedMs: brokersStoppedAt - faultAt,
      clientRecoveryMs: s.firstAckAt.secondary - faultAt,
      clientAfterDetectionMs: s.firstAckAt.secondary - detectedAt,
      failed: s.failed,
      ackedBy: s.ackedBy,
      maxAckLatencyMs: s.latencyMs.max,
    };
    progress.info(`detection ${recovery.detectionMs} ms (predicted ${predicted.earliestMs}-${predicted.latestMs}), client recovery ${recovery.clientRecoveryMs} ms, failed ${s.failed}`);

    const report = {
      machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
      topology: { brokersPerCluster: t.brokers, kafka: t.local.kafkaVersion, partitions: 3, replicationFactor: t.brokers },
      messages: { count, payloadBytes: Number(values['payload-bytes']), acks: 'all' },
      envoyVsDirect,
      recovery,
      at: new Date().toISOString(),
    };
    writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
    console.log(JSON.stringify({ ratios: envoyVsDirect.ratios, unthrottled: { envoy: u.envoy.ackRate, direct: u.direct.ackRate }, recovery }, null, 2));
  } finally {
    await runtime.stop();
    rmSync(project, { recursive: true, force: true });
  }
});
