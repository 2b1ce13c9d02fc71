/**
 * A game day on "your own clusters" (issue 15), with the local rig's two clusters standing in for them:
 * the demo runs `cluster-outage` with its own Envoy and controller first; then those two are stopped,
 * `render --clusters` renders an Envoy and a controller from a clusters file that points at the running
 * brokers, the test runs just those (the real Envoy, the controller's own entry point), and
 * `drill --clusters FILE --admin URL` runs the same scenario, each broker stop and start through a
 * `--step-cmd` hook that calls `failover-demo broker stop|start {broker}`. The game day must pass as the
 * demo drill did, with the same predicted windows, and say what ran it (runtime external).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokersOf, localPorts, type ClusterName } from '../../src/config/topology.js';
import type { DrillReport } from '../../src/drill/report.js';
import { localLayout } from '../../src/runtime/local/layout.js';
import { stopRecorded } from '../../src/runtime/local/processes.js';
import { envoyBinaryPath } from '../../src/util/installs.js';
import { waitFor } from '../../src/util/wait.js';
import { FAST_HEALTH_CHECK, startRig, type Rig } from './rig.js';

let rig: Rig | undefined;
const started: ResultPromise[] = [];
let demo: DrillReport;
let gameDay: DrillReport;
let gameDayOut = '';
let clustersFile = '';

const BIN = join(process.cwd(), 'bin', 'failover-demo.js');

function readReport(dir: string): DrillReport {
  return JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillReport;
}

/** The clusters file of the rig's brokers: the demo's health-check timings, ports and policy. */
function writeClustersFile(r: Rig, dir: string): string {
  const t = r.topology;
  const brokers = (c: ClusterName) => brokersOf(t, c).map((b) => ({
    id: b.index,
    address: `127.0.0.1:${localPorts(t, b).client}`,
    directAddress: `127.0.0.1:${localPorts(t, b).direct}`,
    healthCheckPort: localPorts(t, b).schemaRegistry,
  }));
  const hc = t.healthCheck;
  const ms = (v: number) => `${v}ms`;
  const doc = {
    name: 'gameday',
    rewrite: 'advertised',
    bindAddress: '127.0.0.1',
    clusters: { primary: { brokers: brokers('primary') }, secondary: { brokers: brokers('secondary') } },
    healthCheck: {
      kind: 'schemaRegistry',
      path: hc.path,
      timeout: ms(hc.timeoutMs),
      interval: ms(hc.intervalMs),
      intervalJitter: ms(hc.intervalJitterMs),
      unhealthyThreshold: hc.unhealthyThreshold,
      healthyThreshold: hc.healthyThreshold,
      noTrafficInterval: ms(hc.noTrafficIntervalMs),
      unhealthyInterval: ms(hc.unhealthyIntervalMs),
      unhealthyEdgeInterval: ms(hc.unhealthyEdgeIntervalMs),
      healthyEdgeInterval: ms(hc.healthyEdgeIntervalMs),
    },
    envoy: { adminPort: t.envoy.adminPort, listenerPort: t.envoy.listenerPort, concurrency: t.envoy.concurrency },
    failover: { policy: 'coherent', failback: t.failover.failback, failbackHold: ms(t.failover.failbackHoldMs), controllerPort: t.failover.controllerPort },
  };
  const file = join(dir, 'clusters.yaml');
  writeFileSync(file, stringify(doc));
  return file;
}

const answers = (url: string) => () => fetch(url, { signal: AbortSignal.timeout(1_000) }).then((r) => r.ok, () => false);

beforeAll(async () => {
  rig = await startRig({ name: 'gameday', portBase: 26000, healthCheck: FAST_HEALTH_CHECK, failover: { policy: 'coherent', failbackHoldMs: 2_000 } });
  const demoDir = mkdtempSync(join(tmpdir(), 'gameday-demo-'));
  const d = await rig.cli(['drill', '--scenario', 'cluster-outage', '--report', demoDir], { timeoutMs: 300_000 });
  expect(d.exitCode, d.stdout + d.stderr).toBe(0);
  demo = readReport(demoDir);

  // The demo's Envoy and controller go; the brokers stay: they are "your own clusters" now.
  const layout = localLayout(rig.project);
  await stopRecorded(layout.envoyPidFile);
  await stopRecorded(layout.controllerPidFile);
  const work = mkdtempSync(join(tmpdir(), 'gameday-'));
  clustersFile = writeClustersFile(rig, work);
  const envoyDir = join(work, 'deploy', 'envoy-proxy');
  const rendered = await rig.cli(['render', '--clusters', clustersFile, '--out', join(work, 'deploy'), '--envoy-dir', envoyDir]);
  expect(rendered.exitCode, rendered.stderr).toBe(0);
  const t = rig.topology;
  const envoy = execa(envoyBinaryPath(), ['-c', join(envoyDir, 'envoy.yaml'), '--drain-time-s', '0', '--drain-strategy', 'immediate', '--concurrency', String(t.envoy.concurrency), '--base-id', '26'], { reject: false, all: true });
  const controller = execa(process.execPath, [join(process.cwd(), 'dist', 'controller', 'main.js'), '--config', join(envoyDir, 'controller.json')], { cwd: envoyDir, reject: false, all: true });
  started.push(envoy, controller);
  const admin = `http://127.0.0.1:${t.envoy.adminPort}`;
  await waitFor(answers(`${admin}/ready`), { timeoutMs: 30_000, intervalMs: 200, what: 'the rendered Envoy to be ready' });
  await waitFor(answers(`http://127.0.0.1:${t.failover.controllerPort}/healthz`), { timeoutMs: 30_000, intervalMs: 200, what: 'the rendered controller to answer' });

  const gameDir = mkdtempSync(join(tmpdir(), 'gameday-report-'));
  const hook = (action: string) => `${action} *=${process.execPath} ${BIN} broker ${action} {broker}`;
  const g = await rig.cli(['drill', '--clusters', clustersFile, '--admin', admin, '--scenario', 'cluster-outage', '--report', gameDir, '--step-cmd', hook('stop'), '--step-cmd', hook('start')], { timeoutMs: 300_000 });
  gameDayOut = g.stdout + g.stderr;
  expect(g.exitCode, gameDayOut).toBe(0);
  gameDay = readReport(gameDir);
}, 600_000);

afterAll(async () => {
  for (const p of started) p.kill('SIGTERM');
  await Promise.all(started.map((p) => p.catch(() => undefined)));
  await rig?.stop();
});

describe('game day on your own clusters: the rig\'s brokers behind an Envoy rendered from a clusters file', () => {
  it('passes every step the demo drill passed, through the step commands, and says it ran on external clusters', () => {
    expect(demo.passed).toBe(true);
    expect(gameDay.passed, gameDayOut).toBe(true);
    expect(gameDay.runtime).toBe('external');
    expect(gameDay.steps.map((s) => [s.name, s.expected])).toEqual(demo.steps.map((s) => [s.name, s.expected]));
    expect(gameDay.ledger?.missing).toBe(0);
    expect(gameDay.clients.acked).toBeGreaterThan(0);
    expect(gameDay.clients.ackedBy.secondary).toBeGreaterThan(0);
  });

  it('the same figures as the demo drill: the same predicted windows, each measured figure inside its window', () => {
    expect(gameDay.predicted).toEqual(demo.predicted);
    for (const r of [demo, gameDay]) {
      for (const s of r.steps) expect(s.passed, `${r.runtime}: ${s.name}`).toBe(true);
      expect(r.detectionMs, r.runtime).not.toBeNull();
      expect(r.failbackMs, r.runtime).not.toBeNull();
    }
    process.stderr.write(`demo: detection ${demo.detectionMs} ms, failback ${demo.failbackMs} ms; game day: detection ${gameDay.detectionMs} ms, failback ${gameDay.failbackMs} ms\n`);
  });

  it('the read-only commands work against them: status, produce and verify-ledger with --clusters, routing with --admin', async () => {
    const admin = `http://127.0.0.1:${rig!.topology.envoy.adminPort}`;
    const st = await rig!.cli(['status', '--clusters', clustersFile, '--admin', admin, '--json']);
    expect(st.exitCode, st.stderr).toBe(0);
    const status = JSON.parse(st.stdout) as { runtime: string; brokers: { running: boolean }[]; envoy: { reachable: boolean }; routing?: { state: string } };
    expect(status.runtime).toBe('external');
    expect(status.brokers.map((b) => b.running)).toEqual(Array(6).fill(true));
    expect(status.envoy.reachable).toBe(true);
    const ledger = join(mkdtempSync(join(tmpdir(), 'gameday-ledger-')), 'acks.jsonl');
    const produced = await rig!.cli(['produce', '--clusters', clustersFile, '--count', '30', '--rate', '0', '--ledger', ledger, '--json']);
    expect(produced.exitCode, produced.stderr).toBe(0);
    // Named by the clusters file's brokers: every ack on the primary, none "unknown".
    expect((JSON.parse(produced.stdout) as { ackedBy: Record<string, number> }).ackedBy).toMatchObject({ primary: 30, unknown: 0 });
    const verified = await rig!.cli(['verify-ledger', '--clusters', clustersFile, ledger, '--json']);
    expect(verified.exitCode, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({ checked: 30, missing: 0 });
    const routing = await rig!.cli(['routing', '--once', '--admin', admin, '--json']);
    expect(routing.exitCode, routing.stderr).toBe(0);
    expect(routing.stdout).toMatch(/"activeCluster":"primary"/);
  }, 120_000);

  it('a game day refuses what it cannot do with one clear error each, before it starts anything', async () => {
    const noEnvoy = await rig!.cli(['drill', '--clusters', clustersFile, '--admin', 'http://127.0.0.1:1']);
    expect(noEnvoy.exitCode).toBe(1);
    expect(noEnvoy.stderr).toMatch(/Envoy's admin API at http:\/\/127\.0\.0\.1:1 does not answer/);
    const badHook = await rig!.cli(['drill', '--clusters', clustersFile, '--step-cmd', 'stop nowhere=true']);
    expect(badHook.stderr).toMatch(/unknown target "nowhere"/);
    const noClusters = await rig!.cli(['drill', '--step-cmd', 'stop *=true']);
    expect(noClusters.stderr).toMatch(/--step-cmd is for a game day on your own clusters/);
    // No terminal and no step command: it says how to give one instead of waiting for Enter.
    const noHook = await rig!.cli(['drill', '--clusters', clustersFile, '--scenario', 'broker-loss']);
    expect(noHook.exitCode).not.toBe(0);
    expect(noHook.stdout + noHook.stderr).toMatch(/no step command to stop primary-broker-0, and no terminal/);
  }, 120_000);
});
