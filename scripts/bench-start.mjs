#!/usr/bin/env node
// @ts-check
// Benchmark of the local runtime: time from `start` to ready (brokers answer metadata, Envoy sees every
// endpoint healthy, topics created) and the memory (RSS) of the running rig, summed over every process
// of its process groups (/proc). Runs with the default topology on its own ports and a temp project:
//   1. cold start (empty data folders: includes formatting KRaft storage)
//   2. warm start (same data folders, after a stop)
// Usage: npm run bench:start [-- --port-base 20000 --runs 2 --out reports/bench-start.json]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultTopology } from '#dist/config/topology.js';
import { createLocalRuntime } from '#dist/runtime/local/index.js';
import { localLayout } from '#dist/runtime/local/layout.js';
import { readProcessRecord } from '#dist/runtime/local/processes.js';
import { writeFileAtomic } from '#dist/util/fs.js';
import { applyKafkajsFixes } from '#dist/kafka/kafkajs-fixes.js';
import { consoleProgress, runScript, onPortRange } from './lib.mjs';

const { values } = parseArgs({
  options: {
    'port-base': { type: 'string', default: '20000' },
    runs: { type: 'string', default: '2' },
    out: { type: 'string', default: 'reports/bench-start.json' },
  },
});

/**
 * Every process whose process group is `pgid`, with its RSS in KiB and a short name.
 * @param {number} pgid
 */
function groupProcesses(pgid) {
  /** @type {{ pid: number, name: string, rssKb: number }[]} */
  const out = [];
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid) continue; // field 5: pgrp
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const name = /Name:\s+(\S+)/.exec(status)?.[1] ?? '?';
      out.push({ pid: Number(pid), name, rssKb });
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/**
 * @param {string} project
 * @param {import('#dist/config/topology.js').Topology} topology
 */
function rigMemory(project, topology) {
  const layout = localLayout(project);
  const files = [layout.envoyPidFile, ...readdirSync(layout.brokersDir).map((n) => layout.brokerPidFile(n))];
  const byKind = { java: 0, node: 0, envoy: 0, other: 0 };
  let processes = 0;
  for (const f of files) {
    const r = readProcessRecord(f);
    if (!r) continue;
    for (const p of groupProcesses(r.pid)) {
      processes++;
      const kind = p.name === 'java' ? 'java' : p.name === 'node' ? 'node' : p.name.startsWith('envoy') ? 'envoy' : 'other';
      byKind[kind] += p.rssKb;
    }
  }
  const mib = (/** @type {number} */ kb) => Math.round(kb / 1024);
  const total = Object.values(byKind).reduce((a, b) => a + b, 0);
  return {
    processes,
    totalMiB: mib(total),
    kafkaJvmsMiB: mib(byKind.java),
    standinNodeMiB: mib(byKind.node),
    envoyMiB: mib(byKind.envoy),
    heapMbPerBroker: topology.local.heapMb,
  };
}

await runScript(async () => {
  // Kafka clients are created in this process (by the dist/ modules it drives): the kafkajs fixes go in first.
  applyKafkajsFixes();
  const base = Number(values['port-base']);
  const t = defaultTopology();
  onPortRange(t, base);
  const project = mkdtempSync(join(tmpdir(), 'failover-demo-bench-start-'));
  const runtime = createLocalRuntime(t, { projectDir: project });
  const progress = consoleProgress('bench-start');
  const runs = [];
  const onSigint = () => {
    runtime.stop().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSigint);
  try {
    for (let i = 0; i < Number(values.runs); i++) {
      const kind = i === 0 ? 'cold' : 'warm';
      progress.info(`run ${i + 1}: ${kind} start`);
      const t0 = performance.now();
      await runtime.start({ progress });
      const readyMs = Math.round(performance.now() - t0);
      const memory = rigMemory(project, t);
      const s0 = performance.now();
      await runtime.stop();
      const stopMs = Math.round(performance.now() - s0);
      runs.push({ kind, readyMs, stopMs, memory });
      progress.info(`run ${i + 1}: ready in ${(readyMs / 1000).toFixed(1)} s, rig RSS ${memory.totalMiB} MiB, stopped in ${(stopMs / 1000).toFixed(1)} s`);
    }
  } finally {
    await runtime.stop();
    rmSync(project, { recursive: true, force: true });
  }
  const report = {
    machine: { cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version },
    topology: { brokersPerCluster: t.brokers, heapMbPerBroker: t.local.heapMb, kafka: t.local.kafkaVersion },
    runs,
    at: new Date().toISOString(),
  };
  writeFileAtomic(values.out, JSON.stringify(report, null, 2) + '\n');
  console.log(JSON.stringify(report, null, 2));
});
