/**
 * A running drill's steps for the dashboard: the drill (another process) writes them, with each step's
 * predicted window, to `drill-progress.json` in the demo's state folder as it goes; the dashboard reads
 * that file with every poll and shows the steps live.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runtime } from '../runtime/types.js';
import { writeFileAtomic } from '../util/fs.js';
import { stateDir } from '../util/paths.js';
import type { DrillEvent } from './context.js';
import type { DashboardStep } from './dashboard-model.js';
import { msText, windowText } from './report-model.js';
import type { Scenario } from './scenarios.js';
import { stepWindow } from './step.js';

export interface DrillProgress {
  scenario: string;
  startedAt: number;
  updatedAt: number;
  steps: DashboardStep[];
}

export function drillProgressFile(project: string): string {
  return join(stateDir(project), 'drill-progress.json');
}

/** The onEvent hook that keeps the file up to date (never throws: the dashboard is a bystander). */
export function recordDrillProgress(file: string, runtime: Runtime, scenario: Scenario): (e: DrillEvent) => void {
  const progress: DrillProgress = {
    scenario: scenario.name,
    startedAt: Date.now(),
    updatedAt: Date.now(),
    steps: scenario.steps.map((s) => ({ name: s.name, status: 'pending', window: windowText(stepWindow(s, runtime)), measured: '—', why: s.why })),
  };
  const write = () => {
    progress.updatedAt = Date.now();
    try {
      writeFileAtomic(file, JSON.stringify(progress) + '\n');
    } catch {
      // no state folder (a game day on users' clusters without one): nothing to show
    }
  };
  write();
  return (e) => {
    const step = 'index' in e ? progress.steps[e.index] : undefined;
    if (!step) return;
    if (e.type === 'step-start') step.status = 'running';
    else if (e.type === 'step-end') {
      step.status = e.result.passed ? 'passed' : 'failed';
      step.measured = msText(e.result.settleMs ?? e.result.ms);
    } else return;
    write();
  };
}

export function readDrillProgress(file: string): DrillProgress | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DrillProgress;
  } catch {
    return undefined;
  }
}
