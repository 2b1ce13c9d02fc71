/**
 * Drill helpers for the Docker test files (kept out of rig.ts, which the global setup imports and so
 * must not import vitest).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { DrillReport } from '../../src/drill/report.js';
import { runCli, type TestProject } from './rig.js';

/** `failover-demo drill --scenario S --report DIR` through the CLI in the project; the report, after checking it passed. */
export async function runDockerDrill(project: TestProject, scenario: string): Promise<DrillReport> {
  const dir = mkdtempSync(join(tmpdir(), `failover-demo-docker-drill-${scenario}-`));
  const t0 = Date.now();
  const r = await runCli(['drill', '--scenario', scenario, '--report', dir], { cwd: project.dir, timeoutMs: 600_000 });
  process.stderr.write(`drill ${scenario} (docker) took ${((Date.now() - t0) / 1000).toFixed(1)} s, report in ${dir}\n${r.stdout}\n`);
  expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
  const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillReport;
  expect(report.passed).toBe(true);
  expect(report.ackedMissing).toBe(0);
  for (const step of report.steps) expect(step.observed, step.name).toEqual(step.expected);
  return report;
}

/** Slack for the measurement itself: routing polled every report.pollMs, serving probed every ~100–300 ms. */
const MEASUREMENT_SLACK_MS = 600;

/**
 * Every step Envoy had to act on settled inside its predicted window, measured from the fault's effect.
 * Outlier detection (clients' failed connections) can mark a broker before any health check could, so
 * the window bounds such a step from above only, as `failover-demo timing` says.
 */
export function expectDetectionsInWindows(report: DrillReport): void {
  for (const step of report.steps) {
    if (step.heldMs !== undefined) continue;
    const p = step.predicted;
    expect(step.settleMs, `${step.name}: Envoy took`).toBeDefined();
    expect(step.settleMs!, `${step.name}: ${step.settleMs} ms, predicted at most ${p.latestMs} ms`).toBeLessThanOrEqual(p.latestMs + MEASUREMENT_SLACK_MS);
    if (step.detectedBy === 'outlier detection' || step.detectedBy === 'health check + outlier detection') continue;
    expect(step.settleMs!, `${step.name}: ${step.settleMs} ms, predicted at least ${p.earliestMs} ms`).toBeGreaterThanOrEqual(p.earliestMs - MEASUREMENT_SLACK_MS);
  }
}
