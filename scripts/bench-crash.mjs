#!/usr/bin/env node
// @ts-check
// Benchmark of a crash's cost on the local runtime: the `proxy-restart` drill (Envoy killed with SIGKILL)
// and the `broker-crash` drill (the JVM of the primary broker leading partition 0 killed) each run several
// times on one demo with the default topology (coherent policy, the PoC's health checks) while a producer
// (20 msg/s, acks=all) and a consumer run through Envoy. Prints, per figure, min / median / max:
//   back: kill → its supervisor had it running again; serving: kill → Envoy LIVE / the broker serving;
//   producer / consumer: kill → every partition acknowledged / received again; leader election.
// Usage: npm run bench:crash [-- --rounds 3 --port-base 30000 --out reports/bench-crash.json]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTopology } from '#dist/config/topology.js';
import { createLocalRuntime } from '#dist/runtime/local/index.js';
import { buildScenario } from '#dist/drill/scenarios.js';
import { runDrill } from '#dist/drill/engine.js';
import { writeFileAtomic } from '#dist/util/fs.js';
import { applyKafkajsFixes } from '#dist/kafka/kafkajs-fixes.js';
import { consoleProgress, runScript, onPortRange } from './lib.mjs';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'port-base': { type: 'string', default: '30000' },
    out: { type: 'string', default: 'reports/bench-crash.json' },
  },
});

const FIGURES = ['backMs', 'servingMs', 'producerRecoveryMs', 'consumerRecoveryMs', 'leaderElectionMs'];

/** @typedef {import('#dist/drill/crash.js').CrashMeasures} CrashMeasures */
/** @typedef {CrashMeasures & { ackedMissing: number | null, acked: number }} Round */

/** @param {readonly unknown[]} xs */
function spread(xs) {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (v.length === 0) return null;
  return { min: v[0], median: v[Math.floor(v.length / 2)], max: v.at(-1), n: v.length, of: xs.length };
}

/** @param {number | null | undefined} ms */
const sec = (ms) => (Number(ms) / 1000).toFixed(1);

await runScript(async () => {
  // Kafka clients are created in this process (by the dist/ modules it drives): the kafkajs fixes go in first.
  applyKafkajsFixes();
  const rounds = Number(values.rounds);
  const base = Number(values['port-base']);
  const t = defaultTopology();
  t.project = 'failover-demo-bench-crash';
  onPortRange(t, base);
  const project = mkdtempSync(join(tmpdir(), 'failover-demo-bench-crash-'));
  const runtime = createLocalRuntime(t, { projectDir: project });
  const progress = consoleProgress('bench:crash');
  /** @type {Record<string, Round[]>} */
  const results = { 'proxy-restart': [], 'broker-crash': [] };
  const onSigint = () => {
    runtime.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    await runtime.start({ progress });
    for (let i = 1; i <= rounds; i++) {
      for (const name of Object.keys(results)) {
        progress.step(`${name}, round ${i} of ${rounds}`);
        const report = await runDrill({ runtime, scenario: buildScenario(name, t.brokers, t.failover.policy), restoreOnFailure: true });
        if (!report.passed) throw new Error(`${name} round ${i} failed: ${report.failure?.message ?? JSON.stringify(report.steps.map((s) => s.error))}`);
        const c = /** @type {CrashMeasures} */ (report.crash);
        results[name]?.push({ ...c, ackedMissing: report.ackedMissing, acked: report.clients.acked });
        progress.done(`${name}: back ${sec(c.backMs)} s, serving ${sec(c.servingMs)} s, producer ${sec(c.producerRecoveryMs)} s, consumer ${sec(c.consumerRecoveryMs)} s` +
          (c.ledPartitions ? `, leader election ${c.leaderElectionMs === null ? 'not moved' : `${sec(c.leaderElectionMs)} s`}` : '') + `, ${report.ackedMissing} of ${report.clients.acked} acked missing`);
      }
    }
  } finally {
    await runtime.stop();
    rmSync(project, { recursive: true, force: true });
  }
  const summary = Object.fromEntries(Object.entries(results).map(([name, rs]) => [name, Object.fromEntries(FIGURES.map((f) => [f, spread(rs.map((r) => r[/** @type {keyof Round} */ (f)]))]).filter(([, v]) => v))]));
  for (const [name, figures] of Object.entries(summary)) {
    console.log(`${name} (${rounds} rounds, ${cpus().length} CPUs)`);
    for (const [f, s] of Object.entries(figures)) console.log(`  ${f.padEnd(20)} ${sec(s.min)} / ${sec(s.median)} / ${sec(s.max)} s (min / median / max, ${s.n} of ${s.of})`);
  }
  writeFileAtomic(values.out, JSON.stringify({ at: new Date().toISOString(), cpus: cpus().length, rounds, healthCheck: t.healthCheck, policy: t.failover.policy, summary, results }, null, 2) + '\n');
  console.log(`written ${values.out}`);
});
