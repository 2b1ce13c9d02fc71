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
 * Every step Envoy had to act on settled no later than its predicted window, measured from the fault's
 * effect. Only the upper bound: the effect is seen by probing the containers (docker exec, every few
 * hundred ms), so it can be noticed late and a step look quicker than it was (a CI run measured a
 * failback 898 ms after the probe saw the brokers, against a 2 s hold). The drill's report and
 * `npm run bench:timing` compare both bounds.
 */
export function expectDetectionsInWindows(report: DrillReport): void {
  for (const step of report.steps) {
    if (step.heldMs !== undefined) continue;
    const p = step.predicted;
    expect(step.settleMs, `${step.name}: Envoy took`).toBeDefined();
    expect(step.settleMs!, `${step.name}: ${step.settleMs} ms, predicted at most ${p.latestMs} ms`).toBeLessThanOrEqual(p.latestMs + MEASUREMENT_SLACK_MS);
  }
}
