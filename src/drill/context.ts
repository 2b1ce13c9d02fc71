/**
 * What a drill run is given (DrillOptions), what it reports as it goes (DrillEvent), and the resolved
 * settings every part of it (./prepare.ts, ./step.ts, ./measure.ts) works from (DrillContext).
 */
import type { Topology } from '../config/topology.js';
import { predictTiming, type TimingPrediction } from '../envoy/timing.js';
import type { Endpoints, Runtime } from '../runtime/types.js';
import { UserError } from '../util/errors.js';
import type { StepResult } from './report-model.js';
import type { Scenario, ScenarioStep } from './scenarios.js';

export type DrillEvent =
  | { type: 'phase'; text: string }
  | { type: 'phase-done'; text: string }
  | { type: 'step-start'; index: number; step: ScenarioStep; deadlineMs: number }
  | { type: 'step-action'; index: number; text: string }
  | { type: 'step-waiting'; index: number; expected: string; observed: string }
  | { type: 'step-end'; index: number; result: StepResult };

export interface DrillOptions {
  runtime: Runtime;
  scenario: Scenario;
  /** On a failed step: restore every broker instead of leaving the environment as it failed. */
  restoreOnFailure?: boolean;
  /** Routing poll period. Default 100 ms. */
  pollMs?: number;
  /** Producer messages per second. Default 20. */
  rate?: number;
  /** Extra time on top of each step's predicted latest, ms. Default 5 s + 2 poll periods. */
  slackMs?: number;
  onEvent?: (e: DrillEvent) => void;
  signal?: AbortSignal;
}

/** DrillOptions with the defaults applied, plus what the runtime and the topology tell. */
export interface DrillContext {
  runtime: Runtime;
  scenario: Scenario;
  topology: Topology;
  endpoints: Endpoints;
  /** The topic the drill's clients produce to and consume from: the topology's first. */
  topic: string;
  pollMs: number;
  slackMs: number;
  /** Producer messages per second. */
  rate: number;
  restoreOnFailure: boolean;
  /** predictTiming of the topology's health check. */
  predicted: TimingPrediction;
  emit: (e: DrillEvent) => void;
  signal?: AbortSignal;
}

export function drillContext(o: DrillOptions): DrillContext {
  const t = o.runtime.topology;
  const pollMs = o.pollMs ?? 100;
  const endpoints = o.runtime.endpoints();
  const topic = t.topics[0]?.name;
  if (!topic) throw new UserError('the topology has no topic to produce to', 'add one under `topics:` in the config');
  return {
    runtime: o.runtime,
    scenario: o.scenario,
    topology: t,
    endpoints,
    topic,
    pollMs,
    slackMs: o.slackMs ?? 5_000 + 2 * pollMs,
    rate: o.rate ?? 20,
    restoreOnFailure: o.restoreOnFailure === true,
    predicted: predictTiming(t.healthCheck),
    emit: o.onEvent ?? (() => {}),
    signal: o.signal,
  };
}
