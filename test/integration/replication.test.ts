/**
 * Replication (replication.mode: shadow) on the local rig: real Kafka brokers for both clusters, real
 * Envoy, the failover controller and the replicator running Apache Kafka's MirrorMaker 2.
 *
 * The `cluster-outage` drill through the CLI: every primary broker stops (the controller promotes the
 * secondary, then switches), they come back (the listeners stay: failback is a command under
 * replication), `switch primary` (the primary catches up, writers are fenced for the last records, then
 * the listeners move). The report's replication section is checked against what both clusters hold,
 * read straight from their brokers, and the consumer's accounting.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import { FAST_HEALTH_CHECK, startRig, type CliResult, type Rig } from './rig.js';
import type { DrillReport } from '../../src/drill/report.js';
import { replicatorCall } from '../../src/drill/switch.js';
import { sequencesOn } from '../../src/drill/ledger-scan.js';
import { expectConsumerResumedWithoutSkipping } from '../support/replication-checks.js';

const HISTORY = 600;

let rig: Rig | undefined;
let run: CliResult;
let report: DrillReport;

beforeAll(async () => {
  rig = await startRig({
    name: 'replication',
    portBase: 25000,
    brokers: 3,
    healthCheck: FAST_HEALTH_CHECK,
    failover: { policy: 'coherent' },
    replication: { mode: 'shadow' },
  });
  // History on the primary (copied to the secondary): a consumer that re-read the secondary from its
  // start after the failover would receive all of it again.
  const produced = await rig.cli(['produce', '--count', String(HISTORY), '--rate', '0', '--producer-id', 'history', '--json']);
  expect(produced.exitCode, produced.stderr).toBe(0);
  const dir = mkdtempSync(join(tmpdir(), 'drill-report-replication-'));
  run = await rig.cli(['drill', '--scenario', 'cluster-outage', '--report', dir], { timeoutMs: 400_000 });
  if (!existsSync(join(dir, 'report.json'))) throw new Error(`the drill wrote no report (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
  report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillReport;
}, 600_000);

afterAll(() => rig?.stop());

describe('replication: shadow (MirrorMaker 2) on the local runtime, cluster-outage drill', () => {
  it('passes every step, the failback a `switch primary` that waited for the primary', () => {
    expect(report.passed, run.stdout + run.stderr).toBe(true);
    expect(run.exitCode).toBe(0);
    expect(report.steps.map((s) => s.name)).toEqual(['stop every primary broker', 'start every primary broker', 'switch primary (failback)']);
    for (const s of report.steps) expect(s.passed, `${s.name}: ${s.error ?? ''}`).toBe(true);
    expect(report.steps[2]!.notes?.join(' ')).toMatch(/primary caught up in .* writers fenced for/);
    expect(report.ackedMissing).toBe(0);
  });

  it('every message acked by the secondary is on the primary after the failback; the primary lost only what the report lists', async () => {
    const r = report.replication!;
    expect(r.passed, JSON.stringify(r)).toBe(true);
    expect(r.secondaryAckedMissingOnPrimary).toEqual([]);
    expect(r.primaryAckedMissingOnSecondary).toEqual([]);
    expect(r.promotedAt).toBeGreaterThan(0);
    expect(report.clients.ackedBy.secondary ?? 0).toBeGreaterThan(0);
    // The history written before the drill reached the secondary, read straight from its brokers.
    const history = await sequencesOn(rig!.endpoints.direct.secondary, rig!.topology.topics[0]!.name, 'history');
    expect(history.size, 'the history copied to the secondary').toBe(HISTORY);
  });

  it('the consumer resumed on the secondary from its synced offsets: no gaps, duplicates within what offset translation explains, no re-read history', () => {
    const r = report.replication!;
    expect(report.clients.clusterSwitches).toBe(2);
    expectConsumerResumedWithoutSkipping(report);
    // It never read the secondary's topic from its start (the history would be counted again).
    expect(report.clients.received!).toBeLessThan(report.clients.acked + r.duplicatesBound);
  });

  it('an idempotent producer keeps acknowledging across a planned switch: a fresh producer id on the new cluster', async () => {
    const ledger = join(mkdtempSync(join(tmpdir(), 'idempotent-')), 'ledger.jsonl');
    const produce = execa(process.execPath, [join(process.cwd(), 'bin', 'failover-demo.js'), 'produce', '--idempotent', '--rate', '50', '--duration', '20s', '--ledger', ledger, '--json'], {
      env: { FAILOVER_DEMO_DIR: rig!.project, FORCE_COLOR: '0' },
      reject: false,
    });
    // Producing on the primary first.
    await waitFor(() => existsSync(ledger) && readFileSync(ledger, 'utf8').split('\n').length > 50, { timeoutMs: 30_000, intervalMs: 100, what: '50 acks on the primary' });
    const switched = await rig!.cli(['switch', 'secondary'], { timeoutMs: 60_000 });
    expect(switched.exitCode, switched.stderr).toBe(0);
    const r = await produce;
    const summary = JSON.parse(String(r.stdout)) as { acked: number; failed: number; ackedBy: Record<string, number> };
    // Without a fresh producer id the secondary refuses every later send (kafkajs#598): it keeps
    // acknowledging there for the rest of the run. A send in flight at the switch may fail.
    expect(summary.ackedBy.secondary, String(r.stdout)).toBeGreaterThanOrEqual(200);
    expect(summary.failed, String(r.stdout)).toBeLessThanOrEqual(50);
    const back = await rig!.cli(['switch', 'primary'], { timeoutMs: 120_000 });
    expect(back.exitCode, back.stderr).toBe(0);
  }, 180_000);

  it('after the drill the replicator copies primary -> secondary again, with lag 0', async () => {
    const v = await replicatorCall(rig!.endpoints.replicatorUrl!, '/v1/replication');
    expect(v.phase).toBe('forward');
    expect(v.cycles).toBe(2);
    await waitFor(async () => (await replicatorCall(rig!.endpoints.replicatorUrl!, '/v1/replication')).lag?.total === 0, { timeoutMs: 30_000, intervalMs: 500, what: 'lag 0' });
  });
});
