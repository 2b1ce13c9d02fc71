/**
 * The drill end to end on the local rig (real Kafka brokers, Schema Registry stand-ins, real Envoy), through
 * the CLI: `recovery-mode` (the PoC walkthrough) and `cluster-outage`, with shortened health checks.
 * Each drill runs once (beforeAll) with --restore, so a failure in one does not break the next.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_HEALTH_CHECK, startRig, type CliResult, type Rig } from './rig.js';
import { parseSvg } from '../unit/drill-xml.js';
import type { DrillReport } from '../../src/drill/report.js';

let rig: Rig | undefined;

beforeAll(async () => {
  rig = await startRig({ name: 'drill', portBase: 26000, healthCheck: FAST_HEALTH_CHECK });
});

afterAll(async () => {
  await rig?.stop();
});

describe.each([
  ['recovery-mode', 5],
  ['cluster-outage', 2],
] as const)('drill --scenario %s', (scenario, stepCount) => {
  const dir = mkdtempSync(join(tmpdir(), `drill-report-${scenario}-`));
  let run: CliResult;
  let report: DrillReport;

  beforeAll(async () => {
    run = await rig!.cli(['drill', '--scenario', scenario, '--report', dir, '--restore'], { timeoutMs: 400_000 });
    if (!existsSync(join(dir, 'report.json'))) {
      throw new Error(`the drill wrote no report (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
    }
    report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillReport;
  }, 420_000);

  it('every step observed as expected, clients failed over and back, measured', () => {
    expect(report.steps, run.stdout + run.stderr).toHaveLength(stepCount);
    for (const step of report.steps) {
      expect(step.passed, `${step.name}: ${step.error ?? ''}`).toBe(true);
      expect(step.observed, step.name).toEqual(step.expected);
    }
    expect(report.clients.ackedBy.primary).toBeGreaterThan(0);
    expect(report.clients.ackedBy.secondary).toBeGreaterThan(0);
    expect(report.detectionMs).toBeGreaterThan(0);
    expect(report.clientRecoveryMs).toBeGreaterThan(0);
    expect(report.failbackMs).not.toBeNull();
  });

  it('no acknowledged message is missing, and the drill passes', () => {
    expect(report.ledger?.checked).toBeGreaterThan(0);
    expect(report.ackedMissing, JSON.stringify(report.ledger)).toBe(0);
    expect(report.passed).toBe(true);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('drill passed');
  });

  it('writes report.md and a timeline SVG that parses, with lanes in both clusters\' colours', async () => {
    const md = readFileSync(join(dir, 'report.md'), 'utf8');
    expect(md).toMatch(new RegExp(`^# Drill \`${scenario}\`: `));
    for (const step of report.steps) expect(md).toContain(step.name);
    expect(existsSync(join(dir, 'timeline.svg'))).toBe(true);
    const svg = await parseSvg(readFileSync(join(dir, 'timeline.svg'), 'utf8'));
    expect(svg.root).toBe('svg');
    expect(svg.segmentFills).toContain('#2563eb');
    expect(svg.segmentFills).toContain('#f59e0b');
  });
});
