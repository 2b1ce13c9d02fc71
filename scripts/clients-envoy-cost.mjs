// @ts-check
// Part 1 of scripts/bench-clients.mjs: what Envoy costs a Kafka client, measured so the figure can be
// trusted on a shared, noisy machine.
//   - After a warm-up of both paths, PAIRS of runs: each pair runs the same load through Envoy and straight
//     to the primary brokers' direct listeners, one right after the other, the order alternating from pair
//     to pair (Envoy first, then direct first), so warm-up, JVM state and slow drifts of the machine's load
//     fall on both paths alike. Within a pair the unthrottled runs go in the pair's order and the
//     fixed-rate runs in the reverse order (A B B A).
//   - Each pair gives one value per figure: the throughput ratio (Envoy / direct, unthrottled), and at the
//     fixed rate the p50, p99 and p99.9 ack latency of each path (ratio and milliseconds added). The report
//     gives each figure's median over the pairs and its spread (min–max).
//   - Envoy's own CPU (utime + stime of its process, /proc/<pid>/stat) is read before and after every run:
//     CPU per message on the Envoy runs, and its idle rate (health checks, stats) on the direct runs.
//   - SPREAD RULE (./spread-rule.mjs): a figure's median means nothing when the middle half of its pair
//     ratios disagree by more than SPREAD_BOUNDS (Q3/Q1). The bench then says which figure and why, prints
//     no ratio, and exits 1.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { FailoverProducer } from '#dist/kafka/producer.js';
import { percentile } from '#dist/kafka/stats.js';
import { judge, LATENCY_KEYS, spread } from './spread-rule.mjs';

/** @typedef {import('#dist/runtime/types.js').Endpoints} Endpoints */
/** @typedef {import('#dist/util/progress.js').Progress} Progress */
/** @typedef {'envoy' | 'direct'} Path */
/**
 * @typedef {{ acked: number, durationMs: number, ackRate: number, p50Ms: number | undefined, p99Ms: number | undefined,
 *   p999Ms: number | undefined, envoyCpuMs: number }} Run
 */
/** @typedef {{ order: Path[], unthrottled: Record<Path, Run>, steady: Record<Path, Run> }} Pair */
/** @typedef {import('./spread-rule.mjs').Spread} Spread */

export const MIN_PAIRS = 5;

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU time (user + system) a process has used, in ms. @param {number} pid */
export function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields[0] is field 3 (state)
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/**
 * One producer run on `bootstrap`, with Envoy's CPU over it.
 * @param {{ bootstrap: string[], direct: Endpoints['direct'], topic: string, payloadBytes: number, envoyPid: () => number }} ctx
 * @param {{ count?: number, ratePerSecond: number, durationMs?: number }} load
 * @returns {Promise<Run>}
 */
async function produceRun(ctx, load) {
  const producer = new FailoverProducer({ bootstrap: ctx.bootstrap, direct: ctx.direct, topic: ctx.topic, payloadBytes: ctx.payloadBytes, ...load });
  /** @type {number[]} */
  const latencies = [];
  producer.on('ack', (a) => latencies.push(a.latencyMs));
  const pid = ctx.envoyPid();
  const cpuBefore = cpuMs(pid);
  const s = await producer.run();
  const envoyCpuMs = cpuMs(pid) - cpuBefore;
  if (ctx.envoyPid() !== pid) throw new Error('Envoy restarted during a run: its CPU figure would be wrong');
  if (s.failed > 0) throw new Error(`${s.failed} message(s) failed during a run`);
  const p = (/** @type {number} */ q) => percentile(latencies, q);
  return { acked: s.acked, durationMs: s.durationMs, ackRate: s.ackRate, p50Ms: p(0.5), p99Ms: p(0.99), p999Ms: p(0.999), envoyCpuMs };
}

/**
 * Warm-up, then `opts.pairs` interleaved (Envoy, direct) pairs.
 * @param {{ bootstrap: string[], direct: Endpoints['direct'], topic: string, envoyPid: () => number, progress: Progress,
 *   pairs: number, count: number, rate: number, rateSeconds: number, payloadBytes: number }} opts
 * @returns {Promise<Pair[]>}
 */
export async function runPairs(opts) {
  if (!Number.isInteger(opts.pairs) || opts.pairs < MIN_PAIRS) throw new Error(`--pairs must be an integer of at least ${MIN_PAIRS}, not ${opts.pairs}`);
  /** @type {Record<Path, string[]>} */
  const paths = { envoy: opts.bootstrap, direct: opts.direct.primary };
  const ctx = (/** @type {Path} */ path) => ({ ...opts, bootstrap: paths[path] });
  const unthrottled = { count: opts.count, ratePerSecond: 0 };
  const steady = { ratePerSecond: opts.rate, durationMs: opts.rateSeconds * 1000 };
  opts.progress.info(`warm-up: ${Math.min(opts.count, 20_000)} messages unthrottled and 5 s at ${opts.rate} msg/s on each path`);
  for (const path of /** @type {Path[]} */ (['envoy', 'direct'])) {
    await produceRun(ctx(path), { count: Math.min(opts.count, 20_000), ratePerSecond: 0 });
    await produceRun(ctx(path), { ratePerSecond: opts.rate, durationMs: 5_000 });
  }
  /** @type {Pair[]} */
  const pairs = [];
  for (let i = 0; i < opts.pairs; i++) {
    /** @type {Path[]} */
    const order = i % 2 === 0 ? ['envoy', 'direct'] : ['direct', 'envoy'];
    const pair = /** @type {Pair} */ ({ order, unthrottled: {}, steady: {} });
    for (const path of order) pair.unthrottled[path] = await produceRun(ctx(path), unthrottled);
    for (const path of [...order].reverse()) pair.steady[path] = await produceRun(ctx(path), steady);
    const u = pair.unthrottled;
    const s = pair.steady;
    opts.progress.info(
      `pair ${i + 1}/${opts.pairs} (${order.join(' then ')}): unthrottled ${u.envoy.ackRate} vs ${u.direct.ackRate} msg/s; ` +
        `at ${opts.rate} msg/s p50 ${s.envoy.p50Ms} vs ${s.direct.p50Ms} ms, p99 ${s.envoy.p99Ms} vs ${s.direct.p99Ms} ms, p99.9 ${s.envoy.p999Ms} vs ${s.direct.p999Ms} ms`,
    );
    pairs.push(pair);
  }
  return pairs;
}

/** @param {Pair[]} pairs @param {(p: Pair) => number | undefined} f */
const over = (pairs, f) => spread(pairs.map((p) => /** @type {number} */ (f(p))));

/**
 * Each figure's median and spread over the pairs, Envoy's CPU, and the spread rule's verdict.
 * @param {Pair[]} pairs
 * @param {number} rate
 */
export function summarisePairs(pairs, rate) {
  /** @type {(key: 'p50Ms' | 'p99Ms' | 'p999Ms') => { envoyMs: Spread, directMs: Spread, addedMs: Spread, ratio: Spread }} */
  const latency = (key) => ({
    envoyMs: over(pairs, (p) => p.steady.envoy[key]),
    directMs: over(pairs, (p) => p.steady.direct[key]),
    addedMs: over(pairs, (p) => /** @type {number} */ (p.steady.envoy[key]) - /** @type {number} */ (p.steady.direct[key])),
    ratio: over(pairs, (p) => /** @type {number} */ (p.steady.envoy[key]) / /** @type {number} */ (p.steady.direct[key])),
  });
  const cpuPerMessageUs = (/** @type {'unthrottled' | 'steady'} */ kind) => over(pairs, (p) => (p[kind].envoy.envoyCpuMs * 1000) / p[kind].envoy.acked);
  const figures = {
    throughput: {
      envoyMsgPerS: over(pairs, (p) => p.unthrottled.envoy.ackRate),
      directMsgPerS: over(pairs, (p) => p.unthrottled.direct.ackRate),
      ratio: over(pairs, (p) => p.unthrottled.envoy.ackRate / p.unthrottled.direct.ackRate),
      unthrottledP99Ratio: over(pairs, (p) => /** @type {number} */ (p.unthrottled.envoy.p99Ms) / /** @type {number} */ (p.unthrottled.direct.p99Ms)),
    },
    atRate: { ratePerSecond: rate, p50: latency('p50Ms'), p99: latency('p99Ms'), p999: latency('p999Ms') },
    envoyCpu: {
      perMessageUsUnthrottled: cpuPerMessageUs('unthrottled'),
      perMessageUsAtRate: cpuPerMessageUs('steady'),
      idleMsPerSecond: over(pairs, (p) => (p.steady.direct.envoyCpuMs * 1000) / p.steady.direct.durationMs),
    },
  };
  return { pairs: pairs.length, figures, verdict: judge(figures) };
}

/**
 * The figures as a Markdown table (what the README shows): each cell median (min–max) over the pairs.
 * @param {ReturnType<typeof summarisePairs>['figures']} f
 */
export function envoyCostTable(f) {
  const cell = (/** @type {Spread} */ s, unit = '') => `${s.median}${unit} (${s.min}–${s.max})`;
  const rate = f.atRate.ratePerSecond;
  const t = f.throughput;
  const c = f.envoyCpu;
  return [
    '| figure | through Envoy | direct | Envoy / direct | added by Envoy |',
    '|---|---|---|---|---|',
    `| throughput, unthrottled (msg/s) | ${cell(t.envoyMsgPerS)} | ${cell(t.directMsgPerS)} | ${cell(t.ratio)} | |`,
    ...LATENCY_KEYS.map((k) => {
      const l = f.atRate[k];
      return `| ${k.replace('p999', 'p99.9')} ack latency at ${rate} msg/s (ms) | ${cell(l.envoyMs)} | ${cell(l.directMs)} | ${cell(l.ratio)} | ${cell(l.addedMs, ' ms')} |`;
    }),
    `| Envoy CPU per message (µs): unthrottled / at ${rate} msg/s | ${cell(c.perMessageUsUnthrottled)} / ${cell(c.perMessageUsAtRate)} | | | |`,
    `| Envoy CPU while idle (health checks; ms per s) | ${cell(c.idleMsPerSecond)} | | | |`,
  ].join('\n');
}
