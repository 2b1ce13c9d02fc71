// @ts-check
// Benchmark of the routing monitor against a real Envoy (./envoy-sandbox.mjs): CPU time per poll+render
// and memory over 10,000 polls (heap sampled after GC: it must stay flat). Broker health flips every
// 1,000 polls so the model, transitions and the event log do real work.
//
//   npm run bench:routing            (POLLS=20000 npm run bench:routing for a longer run)
//
// Prints a JSON summary on stdout, progress on stderr.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { defaultTopology } from '#dist/config/topology.js';
import { RoutingReader } from '#dist/envoy/routing.js';
import { monitorRouting } from '#dist/envoy/monitor.js';
import { Chalk } from 'chalk';
import { screenLines } from '#dist/cli/routing-screen.js';
import { consoleProgress, runScript } from './lib.mjs';
import { startEnvoySandbox } from './envoy-sandbox.mjs';

const POLLS = Number(process.env.POLLS ?? 10_000);
const SAMPLE_EVERY = 500;
const FLIP_EVERY = 1_000;
const progress = consoleProgress('bench:routing');

if (typeof globalThis.gc !== 'function') {
  // re-run with --expose-gc so heap samples are taken after a full collection
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

function topology() {
  const t = defaultTopology();
  t.envoy.adminPort = 22401;
  t.envoy.listenerPort = 22410;
  t.local.basePort = 22500;
  t.healthCheck = { ...t.healthCheck, timeoutMs: 250, intervalMs: 300, intervalJitterMs: 0, unhealthyThreshold: 2, healthyThreshold: 1,
    noTrafficIntervalMs: 300, unhealthyIntervalMs: 300, unhealthyEdgeIntervalMs: 300, healthyEdgeIntervalMs: 300 };
  return t;
}

/** A stream standing in for the terminal: the screen is rendered and written, the bytes dropped. */
const sink = new Writable({ write(_chunk, _enc, cb) { cb(); } });

/** @typedef {{ polls: number, heapUsedMb: number, rssMb: number }} Sample */

/** Least-squares slope of y over x. @param {readonly [number, number][]} points */
function slope(points) {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const num = points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0);
  const den = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/**
 * The figures of a run: CPU and wall time per poll, rendered characters, and whether the heap stayed flat
 * after the warm-up samples.
 * @param {{ polls: number, errors: number, transitions: number, renderBytes: number, wallMs: number, cpu: NodeJS.CpuUsage }} run
 * @param {Sample[]} samples
 */
function summarise({ polls, errors, transitions, renderBytes, wallMs, cpu }, samples) {
  const steady = samples.slice(2); // first samples include JIT/undici warm-up
  const first = /** @type {Sample} */ (samples[0]);
  const last = /** @type {Sample} */ (samples.at(-1));
  const heapSlopeBytesPerPoll = slope(steady.map((s) => [s.polls, s.heapUsedMb * 2 ** 20]));
  const heapGrowthMb = +(/** @type {Sample} */ (steady.at(-1)).heapUsedMb - /** @type {Sample} */ (steady[0]).heapUsedMb).toFixed(2);
  return {
    polls,
    errors,
    transitions,
    cpuUsPerPoll: +((cpu.user + cpu.system) / polls).toFixed(1),
    cpuUserUsPerPoll: +(cpu.user / polls).toFixed(1),
    wallMsPerPoll: +(wallMs / polls).toFixed(3),
    renderedCharsPerPoll: Math.round(renderBytes / polls),
    heapUsedMb: { first: first.heapUsedMb, last: last.heapUsedMb, min: Math.min(...samples.map((s) => s.heapUsedMb)), max: Math.max(...samples.map((s) => s.heapUsedMb)) },
    rssMb: { first: first.rssMb, last: last.rssMb },
    heapGrowthAfterWarmupMb: heapGrowthMb,
    heapSlopeBytesPerPoll: +heapSlopeBytesPerPoll.toFixed(2),
    memoryFlat: Math.abs(heapGrowthMb) < 2 && Math.abs(heapSlopeBytesPerPoll) < 100,
    samples,
  };
}

/** `--expose-gc` is there (the script re-ran itself with it above). */
const gc = /** @type {() => void} */ (globalThis.gc);

await runScript(async () => {
  const t = topology();
  const dir = mkdtempSync(join(tmpdir(), 'failover-demo-bench-routing-'));
  progress.step('starting Envoy with 6 health-checked upstreams');
  const sandbox = await startEnvoySandbox(t, dir);
  const reader = new RoutingReader(sandbox.adminUrl, t);
  const c = new Chalk({ level: 3 }); // render with colours, as on a terminal
  /** @type {import('#dist/envoy/routing.js').RoutingEvent[]} */
  const events = [];
  /** @type {Sample[]} */
  const samples = [];
  let polls = 0;
  let errors = 0;
  let transitions = 0;
  let down = false;
  let renderBytes = 0;
  /** @type {import('#dist/envoy/routing.js').RoutingSnapshot | undefined} */
  let previous;
  try {
    /** @param {import('#dist/envoy/monitor.js').MonitorUpdate} u */
    const onUpdate = (u) => {
      polls++;
      if (u.kind === 'error') errors++;
      else {
        events.push(...u.events);
        transitions += u.events.length;
        if (events.length > 200) events.splice(0, events.length - 200);
        const text = screenLines({ adminUrl: sandbox.adminUrl, intervalMs: 0, snapshot: u.snapshot, previous, events, now: Date.now() }, c).join('\n');
        previous = u.snapshot;
        renderBytes += text.length;
        sink.write(text);
      }
    };
    progress.step('warming up (200 polls)');
    await monitorRouting(reader, { intervalMs: 0, maxPolls: 200, onUpdate });
    polls = 0;
    errors = 0;
    transitions = 0;
    progress.step(`${POLLS} polls, flipping primary-broker-0 every ${FLIP_EVERY}`);
    gc();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const chunks = POLLS / SAMPLE_EVERY;
    for (let i = 0; i < chunks; i++) {
      await monitorRouting(reader, { intervalMs: 0, maxPolls: SAMPLE_EVERY, onUpdate });
      if (polls % FLIP_EVERY === 0) {
        down = !down;
        await sandbox.set('primary-broker-0', down ? 'refuse' : 'serving');
      }
      gc();
      const m = process.memoryUsage();
      samples.push({ polls, heapUsedMb: +(m.heapUsed / 2 ** 20).toFixed(2), rssMb: +(m.rss / 2 ** 20).toFixed(1) });
    }
    const summary = summarise({ polls, errors, transitions, renderBytes, wallMs: performance.now() - t0, cpu: process.cpuUsage(cpu0) }, samples);
    progress.done(
      `${polls} polls: ${summary.cpuUsPerPoll} µs CPU per poll+render (${summary.wallMsPerPoll} ms wall), ` +
        `heap ${summary.heapUsedMb.first} → ${summary.heapUsedMb.last} MiB (slope ${summary.heapSlopeBytesPerPoll} B/poll) — memory ${summary.memoryFlat ? 'flat' : 'GROWING'}`,
    );
    process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
    if (!summary.memoryFlat) process.exitCode = 1;
  } finally {
    await reader.close();
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
