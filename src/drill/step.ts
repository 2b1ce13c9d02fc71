/**
 * One step of a drill: perform its fault action (or crash a part), wait — with a deadline from
 * predictTiming — until Envoy's routing matches what the step expects (after a crash, also until the
 * clients work on every partition again), for `hold` steps watch that it stays so, and measure it.
 * A step never throws: what went wrong is its StepResult's `error`.
 */
import { describeRouting, routingMatches, type ObservedRouting } from '../envoy/routing-model.js';
import { predictTiming, type TimingWindow } from '../envoy/timing.js';
import { CONTROLLER_POLL_MS } from '../render/controller.js';
import type { Runtime } from '../runtime/types.js';
import { delay, waitFor, WaitTimeoutError } from '../util/wait.js';
import type { DrillClients } from './clients.js';
import type { DrillContext } from './context.js';
import { recoveryAfter, runCrash, type CrashStep } from './crash.js';
import { applyFault, detectionCase } from './faults.js';
import { plannedSwitch } from './switch.js';
import type { PredictedWindow, StepResult } from './report-model.js';
import type { ScenarioStep } from './scenarios.js';
import { firstTimeWhen } from './timeline.js';
import type { RoutingWatcher } from './watch.js';

/** How long after a crash the drill's clients may take to work on every partition again. */
const CLIENT_RECOVERY_TIMEOUT_MS = 90_000;

type StepPrediction = PredictedWindow & { window: ScenarioStep['window'] };

/** The predicted window a step is measured against. */
export function stepWindow(step: ScenarioStep, runtime: Runtime): StepPrediction {
  const t = runtime.topology;
  const p = predictTiming(t.healthCheck);
  // In the Docker runtime a broker's container stops and starts: it leaves and rejoins the network.
  // A crashed part, once back, passes its first health checks: measured from when it serves again.
  // A planned switch: the controller writes the listener file before it answers; Envoy reloads it at once.
  // With replication the controller first fences writers until the primary has every record, then waits
  // one group-offset sync (and half a second), stops the reverse copy and starts the forward one.
  if (step.window === 'switch') {
    const fence = runtime.endpoints().replicatorUrl ? t.replication.syncIntervalMs + 500 : 0;
    return { window: step.window, case: fence ? 'failback with fence' : 'planned switch', earliestMs: fence, latestMs: fence + 6_000 + 2 * CONTROLLER_POLL_MS };
  }
  const c = step.window === 'recovered' || step.window === 'crash' ? (runtime.kind === 'docker' && step.window === 'recovered' ? 'returned' : 'recovered') : detectionCase(runtime.kind, t, step.window);
  const w: TimingWindow = p[c];
  if (t.failover.policy !== 'coherent') return { window: step.window, case: c, earliestMs: w.earliestMs, latestMs: w.latestMs };
  // coherent: Envoy marks the broker, then the controller (polling Envoy) switches every listener; a
  // failback also waits failover.failbackHold with every primary broker healthy.
  const hold = step.marks === 'failback' && t.failover.failback === 'auto' ? t.failover.failbackHoldMs : 0;
  if (step.window === 'crash') return { window: step.window, case: `${c} (once back)`, earliestMs: 0, latestMs: w.latestMs + 2 * CONTROLLER_POLL_MS };
  return { window: step.window, case: hold ? `${c} + failback hold` : c, earliestMs: w.earliestMs + hold, latestMs: w.latestMs + hold + 2 * CONTROLLER_POLL_MS };
}

/** Which mechanism had marked the hosts when the expected routing was reached. */
function detectionCause(unhealthy: string[]): StepResult['detectedBy'] {
  const hc = unhealthy.some((u) => u.includes('failed_active_hc'));
  const outlier = unhealthy.some((u) => u.includes('failed_outlier_check') && !u.includes('failed_active_hc'));
  return hc && outlier ? 'health check + outlier detection' : outlier ? 'outlier detection' : hc ? 'health check' : undefined;
}

/** A step's times (epoch ms) and findings as it goes; each stays as it was when something fails. */
interface StepProgress {
  startedAt: number;
  faultAt: number;
  effectAt: number;
  actionDoneAt: number;
  notes: string[];
  /** A crash step: the expected routing counts from when the part serves again. */
  reachFrom?: number;
  reachedAt?: number;
  heldMs?: number;
  detectedBy?: StepResult['detectedBy'];
  error?: string;
  crash?: CrashStep;
}

export interface StepOutcome {
  result: StepResult;
  /** A crash step whose part was killed: what the report's crash section is measured from. */
  crash?: CrashStep;
}

/** Performs the step's action: a crash (./crash.ts) or a fault through the runtime (./faults.ts). */
async function performAction(ctx: DrillContext, index: number, step: ScenarioStep, p: StepProgress): Promise<void> {
  const onAction = (text: string) => ctx.emit({ type: 'step-action', index, text });
  if (step.action.kind === 'crash') {
    const crash = (p.crash = await runCrash(ctx.runtime, step.action.part, { topic: ctx.topic, signal: ctx.signal, onAction }));
    p.faultAt = p.effectAt = crash.result.killedAt;
    p.reachFrom = crash.result.servingAt;
    p.notes = [`killed ${crash.result.killed}; back after ${((crash.result.servingAt! - p.faultAt) / 1000).toFixed(1)} s`];
  } else if (step.action.kind === 'switch') {
    const r = await plannedSwitch(ctx.runtime.topology, ctx.endpoints, step.action.to, onAction, ctx.signal);
    // The switch happens while the controller answers (after the primary caught up, writers fenced).
    p.faultAt = r.requestedAt;
    p.effectAt = r.requestedAt;
    p.notes = r.catchUp ? [`primary caught up in ${(r.catchUp.ms / 1000).toFixed(1)} s; writers fenced for ${((r.answeredAt - r.requestedAt) / 1000).toFixed(1)} s`] : [];
  } else {
    const outcome = await applyFault(ctx.runtime, step.action, onAction);
    p.faultAt = outcome.faultAt;
    p.effectAt = outcome.effectAt;
    p.notes = outcome.changes.flatMap((c) => (c.readyAt === undefined && c.note ? [c.note] : []));
  }
}

/** Waits until Envoy routes as the step expects; throws WaitTimeoutError after `deadlineMs`. */
async function awaitExpected(ctx: DrillContext, watcher: RoutingWatcher, index: number, step: ScenarioStep, deadlineMs: number): Promise<void> {
  await waitFor(
    () => {
      const obs = watcher.observed();
      if (obs) ctx.emit({ type: 'step-waiting', index, expected: describeRouting(step.expect), observed: describeRouting(obs) });
      return obs !== undefined && routingMatches(obs, step.expect);
    },
    { timeoutMs: deadlineMs, intervalMs: ctx.pollMs, what: describeRouting(step.expect), signal: ctx.signal },
  );
}

/** The clients are part of what a crash step shows: acknowledged and receiving on every partition again. */
async function awaitClientRecovery(ctx: DrillContext, clients: DrillClients, killedAt: number): Promise<void> {
  const { partitionAcks, received, partitions } = clients;
  await waitFor(() => recoveryAfter(partitionAcks, killedAt, partitions) !== null && recoveryAfter(received, killedAt, partitions) !== null, {
    timeoutMs: CLIENT_RECOVERY_TIMEOUT_MS,
    intervalMs: ctx.pollMs,
    what: 'the clients to be acknowledged and to receive on every partition again',
    signal: ctx.signal,
  }).catch((err) => {
    if (!(err instanceof WaitTimeoutError)) throw err;
    const who = recoveryAfter(partitionAcks, killedAt, partitions) === null ? 'the producer was not acknowledged' : 'the consumer did not receive';
    throw new Error(`${who} on every partition within ${CLIENT_RECOVERY_TIMEOUT_MS / 1000} s of the kill`);
  });
}

/**
 * Would a broker that passes its health check have been marked healthy by now? Then it is not. The
 * routing must stay while any change this step could cause would have shown (its window). Returns the
 * error when it changed.
 */
async function holdRouting(ctx: DrillContext, watcher: RoutingWatcher, step: ScenarioStep, window: StepPrediction, p: StepProgress): Promise<string | undefined> {
  const holdUntil = p.actionDoneAt + Math.max(window.latestMs, ctx.predicted.recovered.latestMs) + ctx.slackMs;
  let error: string | undefined;
  while (Date.now() < holdUntil) {
    ctx.signal?.throwIfAborted();
    const obs = watcher.observed();
    if (obs && !routingMatches(obs, step.expect)) {
      error = `routing changed to ${describeRouting(obs)} while it should have stayed ${describeRouting(step.expect)}`;
      break;
    }
    await delay(ctx.pollMs, ctx.signal);
  }
  p.heldMs = Date.now() - p.actionDoneAt;
  return error;
}

/** Why a step failed, in one line. */
function failureText(ctx: DrillContext, watcher: RoutingWatcher, err: unknown, step: ScenarioStep, window: StepPrediction, deadlineMs: number): string {
  if (ctx.signal?.aborted) return 'interrupted';
  if (err instanceof WaitTimeoutError) {
    return `Envoy did not reach ${describeRouting(step.expect)} within ${(deadlineMs / 1000).toFixed(1)} s of the action (predicted at most ${(window.latestMs / 1000).toFixed(1)} s)` +
      (watcher.lastError ? `; reading Envoy failed: ${watcher.lastError.message}` : '');
  }
  return (err as Error).message;
}

function stepResult(step: ScenarioStep, window: StepPrediction, deadlineMs: number, p: StepProgress, observed: ObservedRouting): StepResult {
  const endedAt = Date.now();
  // Predicted windows count from the moment the fault took effect (a broker's process exited, a
  // started one was ready), not from the command: a container's graceful stop alone takes seconds.
  const base = p.effectAt;
  const passed = p.error === undefined && routingMatches(observed, step.expect);
  return {
    name: step.name,
    ...(step.poc ? { poc: step.poc } : {}),
    why: step.why,
    expected: step.expect,
    observed,
    passed,
    ms: (p.reachedAt ?? endedAt) - p.startedAt,
    actionMs: p.actionDoneAt - p.startedAt,
    ...(p.reachedAt !== undefined ? { settleMs: Math.max(0, p.reachedAt - base), fromCommandMs: Math.max(0, p.reachedAt - p.faultAt) } : {}),
    predicted: { ...window, deadlineMs },
    ...(p.heldMs !== undefined ? { heldMs: p.heldMs } : {}),
    ...(p.detectedBy && step.window !== 'recovered' ? { detectedBy: p.detectedBy } : {}),
    startedAt: p.startedAt,
    faultAt: p.faultAt,
    effectAt: p.effectAt,
    actionDoneAt: p.actionDoneAt,
    ...(p.notes.length ? { notes: p.notes } : {}),
    endedAt,
    ...(p.error ? { error: p.error } : {}),
  };
}

/** Runs one step of the scenario and measures it; see the module comment. */
export async function runStep(ctx: DrillContext, watcher: RoutingWatcher, clients: DrillClients, index: number, step: ScenarioStep): Promise<StepOutcome> {
  const window = stepWindow(step, ctx.runtime);
  const deadlineMs = window.latestMs + ctx.slackMs;
  ctx.emit({ type: 'step-start', index, step, deadlineMs });
  const startedAt = Date.now();
  const p: StepProgress = { startedAt, faultAt: startedAt, effectAt: startedAt, actionDoneAt: startedAt, notes: [] };
  try {
    await performAction(ctx, index, step, p);
    p.actionDoneAt = Date.now();
    ctx.signal?.throwIfAborted();
    await awaitExpected(ctx, watcher, index, step, deadlineMs);
    // When it was first reached (it may have been before the runtime calls returned).
    // A crash step: once the part serves again (before that, the routing in force is stale or unread).
    const reachedAt = (p.reachedAt = firstTimeWhen(watcher.samples, p.reachFrom ?? p.faultAt, (x) => routingMatches(x as ObservedRouting, step.expect)) ?? Date.now());
    p.detectedBy = detectionCause(watcher.samples.filter((x) => x.at <= reachedAt).at(-1)?.unhealthy ?? []);
    if (step.action.kind === 'crash') await awaitClientRecovery(ctx, clients, p.faultAt);
    if (step.hold) p.error = await holdRouting(ctx, watcher, step, window, p);
  } catch (err) {
    p.error = failureText(ctx, watcher, err, step, window, deadlineMs);
  }
  const observed = watcher.observed() ?? { activeCluster: 'none' as const, listeners: [] };
  return { result: stepResult(step, window, deadlineMs, p, observed), ...(p.crash ? { crash: p.crash } : {}) };
}
