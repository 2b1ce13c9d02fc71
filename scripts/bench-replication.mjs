#!/usr/bin/env node
// @ts-check
// Benchmark of replication (replication.mode: shadow, MirrorMaker 2) on the local runtime, default topology
// and health checks. Two parts, on one demo:
//  1. lag: a producer at --rate msg/s (acks=all) through Envoy for --seconds; a consumer reads the secondary
//     straight from its brokers. Per message: ack on the primary → seen on the secondary (ms), p50/p99/max;
//     and the replicator's own lag in records, sampled every 250 ms.
//  2. recovery point: the same producer, then every primary broker stops. Once the controller has promoted
//     the secondary, the messages the primary acknowledged that never reached the secondary are counted,
//     with how long before the promotion the last of them was acknowledged.
// Usage: npm run bench:replication [-- --rate 1000 --seconds 30 --port-base 30000 --out reports/bench-replication.json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { brokersOf, defaultTopology } from '#dist/config/topology.js';
import { createLocalRuntime } from '#dist/runtime/local/index.js';
import { applyFault } from '#dist/drill/faults.js';
import { sequencesOn } from '#dist/drill/ledger-scan.js';
import { replicatorCall } from '#dist/drill/switch.js';
import { directClient } from '#dist/kafka/client.js';
import { decodeMessage } from '#dist/kafka/message.js';
import { FailoverProducer } from '#dist/kafka/producer.js';
import { writeFileAtomic } from '#dist/util/fs.js';
import { waitFor } from '#dist/util/wait.js';
import { applyKafkajsFixes } from '#dist/kafka/kafkajs-fixes.js';
import { consoleProgress, runScript, onPortRange } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rate: { type: 'string', default: '1000' },
    seconds: { type: 'string', default: '30' },
    'port-base': { type: 'string', default: '30000' },
    out: { type: 'string', default: 'reports/bench-replication.json' },
  },
});

/** @param {number[]} xs @param {number} p */
const pct = (xs, p) => (xs.length === 0 ? null : xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]);
/** @param {number[]} xs */
const dist = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  return { p50: pct(v, 50), p99: pct(v, 99), max: v.at(-1) ?? null, n: v.length };
};

/**
 * Warm-up: MirrorMaker 2's tasks start seconds after its JVM; measured from a cold start, part 1 would
 * time that start, not replication. 1,000 messages, then until the replicator reports lag 0.
 * @param {import('#dist/config/topology.js').Topology} t @param {import('#dist/runtime/types.js').Endpoints} e
 */
async function warmUp(t, e) {
  const producer = new FailoverProducer({ bootstrap: e.bootstrap, topic: t.topics[0]?.name ?? 'test-topic', producerId: `bench-warmup-${process.pid}`, ratePerSecond: 200, count: 1000, direct: e.direct });
  await producer.run();
  const url = /** @type {string} */ (e.replicatorUrl);
  await waitFor(async () => (await replicatorCall(url, '/v1/replication', 'GET', 2_000)).lag?.total === 0, { timeoutMs: 180_000, intervalMs: 500, what: 'the replicator to copy the warm-up messages' });
}

/**
 * Part 1: ack on the primary → seen on the secondary, per message.
 * @param {import('#dist/config/topology.js').Topology} t @param {import('#dist/runtime/types.js').Endpoints} e
 * @param {number} rate @param {number} seconds
 */
async function measureLag(t, e, rate, seconds) {
  const topic = t.topics[0]?.name ?? 'test-topic';
  const producerId = `bench-lag-${process.pid}`;
  /** @type {Map<number, number>} */
  const ackedAt = new Map();
  /** @type {Map<number, number>} */
  const seenAt = new Map();
  const consumer = directClient(e.direct.secondary, 'bench-replication').consumer({ groupId: `bench-replication-${process.pid}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
  await consumer.run({
    eachMessage: async ({ message }) => {
      const m = decodeMessage(message.value);
      if (m?.producer === producerId && !seenAt.has(m.seq)) seenAt.set(m.seq, Date.now());
    },
  });
  await waitFor(() => joined, { timeoutMs: 60_000, intervalMs: 100, what: 'the secondary consumer to join its group' });
  /** @type {number[]} */
  const lagRecords = [];
  const sampler = setInterval(() => {
    replicatorCall(/** @type {string} */ (e.replicatorUrl), '/v1/replication', 'GET', 2_000).then((v) => v.lag && lagRecords.push(v.lag.total), () => undefined);
  }, 250);
  const producer = new FailoverProducer({ bootstrap: e.bootstrap, topic, producerId, ratePerSecond: rate, durationMs: seconds * 1000, direct: e.direct });
  producer.on('ack', (a) => ackedAt.set(a.seq, a.at));
  const summary = await producer.run();
  clearInterval(sampler);
  await waitFor(() => seenAt.size >= ackedAt.size, { timeoutMs: 60_000, intervalMs: 200, what: 'every acknowledged message on the secondary' }).catch(() => undefined);
  await consumer.disconnect();
  const lagMs = [...ackedAt].flatMap(([seq, at]) => (seenAt.has(seq) ? [Math.max(0, /** @type {number} */ (seenAt.get(seq)) - at)] : []));
  return { acked: summary.acked, ackRate: summary.ackRate, seenOnSecondary: seenAt.size, lagMs: dist(lagMs), lagRecords: dist(lagRecords) };
}

/**
 * Part 2: the recovery point of a failover while producing at `rate`.
 * @param {import('#dist/runtime/types.js').Runtime} runtime @param {number} rate
 */
async function measureRecoveryPoint(runtime, rate) {
  const t = runtime.topology;
  const e = runtime.endpoints();
  const topic = t.topics[0]?.name ?? 'test-topic';
  const producerId = `bench-rpo-${process.pid}`;
  /** @type {{ seq: number, at: number, cluster: string }[]} */
  const acks = [];
  const producer = new FailoverProducer({ bootstrap: e.bootstrap, topic, producerId, ratePerSecond: rate, direct: e.direct });
  producer.on('ack', (a) => acks.push({ seq: a.seq, at: a.at, cluster: a.cluster }));
  const run = producer.run();
  await waitFor(() => acks.length >= rate * 5, { timeoutMs: 60_000, intervalMs: 100, what: '5 s of acknowledged messages' });
  const stoppedAt = Date.now();
  await applyFault(runtime, { kind: 'stop', brokers: brokersOf(t, 'primary').map((b) => b.name) });
  const url = /** @type {string} */ (e.replicatorUrl);
  /** @type {number | undefined} */
  let promotedAt;
  await waitFor(async () => (promotedAt = (await replicatorCall(url, '/v1/replication', 'GET', 2_000)).promotion?.at) !== undefined, { timeoutMs: 120_000, intervalMs: 200, what: 'the promotion of the secondary' });
  await waitFor(() => acks.some((a) => a.cluster === 'secondary'), { timeoutMs: 60_000, intervalMs: 100, what: 'acknowledgements by the secondary' });
  producer.stop();
  await run;
  const onSecondary = await sequencesOn(e.direct.secondary, topic, producerId);
  const fromPrimary = acks.filter((a) => a.cluster === 'primary');
  const lost = fromPrimary.filter((a) => !onSecondary.has(a.seq));
  const lastLost = lost.reduce((m, a) => Math.max(m, a.at), 0);
  return {
    ackedByPrimary: fromPrimary.length,
    lost: lost.length,
    lostSeqs: lost.slice(0, 50).map((a) => a.seq),
    lastLostBeforePromotionMs: lost.length ? /** @type {number} */ (promotedAt) - lastLost : null,
    stopToPromotionMs: /** @type {number} */ (promotedAt) - stoppedAt,
  };
}

await runScript(async () => {
  applyKafkajsFixes();
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const t = defaultTopology();
  t.project = 'failover-demo-bench-replication';
  t.replication = { ...t.replication, mode: 'shadow' };
  onPortRange(t, Number(values['port-base']));
  const project = mkdtempSync(join(tmpdir(), 'failover-demo-bench-replication-'));
  const runtime = createLocalRuntime(t, { projectDir: project });
  const progress = consoleProgress('bench:replication');
  process.once('SIGINT', () => void runtime.stop().finally(() => process.exit(130)));
  try {
    await runtime.start({ progress });
    progress.step('warm-up: 1,000 messages, until MirrorMaker 2 has copied them');
    await warmUp(t, runtime.endpoints());
    progress.done('warm-up: MirrorMaker 2 copies');
    progress.step(`lag: ${rate} msg/s for ${seconds} s`);
    const lag = await measureLag(t, runtime.endpoints(), rate, seconds);
    progress.done(`lag: ack → on the secondary p50 ${lag.lagMs.p50} ms, p99 ${lag.lagMs.p99} ms; replicator lag p50 ${lag.lagRecords.p50}, p99 ${lag.lagRecords.p99} records (${lag.ackRate} acks/s)`);
    progress.step(`recovery point: every primary broker stops while producing at ${rate} msg/s`);
    const rpo = await measureRecoveryPoint(runtime, rate);
    progress.done(`recovery point: ${rpo.lost} of ${rpo.ackedByPrimary} messages acked by the primary never reached the secondary`);
    const result = { rate, seconds, cpus: cpus().length, lag, recoveryPoint: rpo, at: new Date().toISOString() };
    writeFileAtomic(values.out ?? 'reports/bench-replication.json', `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await runtime.stop();
    rmSync(project, { recursive: true, force: true });
  }
});
