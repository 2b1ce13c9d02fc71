/**
 * The drill engine: runs any scenario (./scenarios.ts) against a running demo through the Runtime
 * interface. A producer (with a ledger) and a consumer run in the background the whole time; the routing
 * monitor's loop (./watch.ts) reads Envoy's routing every `pollMs`. Each step performs its fault action,
 * then waits — with a deadline from predictTiming — until the routing matches what the step expects
 * (and, for `hold` steps, stays so).
 * A failed step stops the drill and leaves the environment as it is (or restores it, if asked).
 * The result is a DrillReport (./report.ts) with the measured times next to the predicted ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brokersOf } from '../config/topology.js';
import { predictTiming, type TimingWindow } from '../envoy/timing.js';
import { CONTROLLER_POLL_MS } from '../render/controller.js';
import { createClusterDirectory } from '../kafka/clusters.js';
import { FailoverConsumer, type ConsumerSummary } from '../kafka/consumer.js';
import { FailoverProducer, type ProducerSummary } from '../kafka/producer.js';
import type { Endpoints, Runtime } from '../runtime/types.js';
import { scanLedger } from './ledger-scan.js';
import { UserError } from '../util/errors.js';
import { delay, waitFor, WaitTimeoutError } from '../util/wait.js';
import { describeRouting, expectedRouting, routingMatches, type ObservedRouting } from '../envoy/routing-model.js';
import { applyFault, detectionCase, serves } from './faults.js';
import {
  firstRoutingChange,
  inactiveAcks,
  firstTimeIn,
  firstTimeWhen,
  timeIn,
  type AckBucket,
  type DrillReport,
  type PredictedWindow,
  type RoutingSample,
  type StepResult,
} from './report.js';
import type { Scenario, ScenarioStep } from './scenarios.js';
import { crashMeasures, recoveryAfter, runCrash, type CrashStep, type PartitionEvent } from './crash.js';
import { RoutingWatcher } from './watch.js';

/** How long after a crash the drill's clients may take to work on every partition again. */
const CLIENT_RECOVERY_TIMEOUT_MS = 90_000;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

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

/** Which mechanism had marked the hosts when the expected routing was reached. */
function detectionCause(unhealthy: string[]): StepResult['detectedBy'] {
  const hc = unhealthy.some((u) => u.includes('failed_active_hc'));
  const outlier = unhealthy.some((u) => u.includes('failed_outlier_check') && !u.includes('failed_active_hc'));
  return hc && outlier ? 'health check + outlier detection' : outlier ? 'outlier detection' : hc ? 'health check' : undefined;
}

/** The predicted window a step is measured against. */
function stepWindow(step: ScenarioStep, runtime: Runtime): PredictedWindow & { window: ScenarioStep['window'] } {
  const t = runtime.topology;
  const p = predictTiming(t.healthCheck);
  // In the Docker runtime a broker's container stops and starts: it leaves and rejoins the network.
  // A crashed part, once back, passes its first health checks: measured from when it serves again.
  const c = step.window === 'recovered' || step.window === 'crash' ? (runtime.kind === 'docker' && step.window === 'recovered' ? 'returned' : 'recovered') : detectionCase(runtime.kind, t, step.window);
  const w: TimingWindow = p[c];
  if (t.failover.policy !== 'coherent') return { window: step.window, case: c, earliestMs: w.earliestMs, latestMs: w.latestMs };
  // coherent: Envoy marks the broker, then the controller (polling Envoy) switches every listener; a
  // failback also waits failover.failbackHold with every primary broker healthy.
  const hold = step.marks === 'failback' && t.failover.failback === 'auto' ? t.failover.failbackHoldMs : 0;
  if (step.window === 'crash') return { window: step.window, case: `${c} (once back)`, earliestMs: 0, latestMs: w.latestMs + 2 * CONTROLLER_POLL_MS };
  return { window: step.window, case: hold ? `${c} + failback hold` : c, earliestMs: w.earliestMs + hold, latestMs: w.latestMs + hold + 2 * CONTROLLER_POLL_MS };
}

function describeAction(step: ScenarioStep): string {
  return step.name;
}

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const { runtime, scenario } = o;
  const t = runtime.topology;
  const pollMs = o.pollMs ?? 100;
  const slackMs = o.slackMs ?? 5_000 + 2 * pollMs;
  const emit = o.onEvent ?? (() => {});
  const endpoints = runtime.endpoints();
  const topic = t.topics[0]?.name;
  if (!topic) throw new UserError('the topology has no topic to produce to', 'add one under `topics:` in the config');
  const predicted = predictTiming(t.healthCheck);

  // The drill starts from a healthy demo.
  emit({ type: 'phase', text: 'checking that every broker serves' });
  const status = await runtime.status();
  if (!status.envoyRunning) throw new UserError('Envoy is not running', 'start the demo: `failover-demo start`');
  const notServing = status.brokers.filter((b) => !serves(b));
  if (notServing.length > 0) {
    throw new UserError(
      `the drill starts from a healthy demo, but ${notServing.map((b) => `${b.name} is ${b.running ? 'in recovery mode' : 'stopped'}`).join(', ')}`,
      'run `failover-demo restore-primary` and `failover-demo restore-secondary` first',
    );
  }

  const watcher = new RoutingWatcher(endpoints.envoyAdminUrl, t, pollMs);
  watcher.start();
  const workDir = mkdtempSync(join(tmpdir(), 'failover-demo-drill-'));
  const ledgerFile = join(workDir, 'ledger.jsonl');
  const clusters = createClusterDirectory(endpoints.direct);
  const producer = new FailoverProducer({ bootstrap: endpoints.bootstrap, topic, ratePerSecond: o.rate ?? 20, ledgerFile, clusters, direct: endpoints.direct });
  const consumer = new FailoverConsumer({ bootstrap: endpoints.bootstrap, topic, clusters, direct: endpoints.direct, from: 'latest' });
  const ackCounts = new Map<number, AckBucket>();
  let startedAt = Date.now();
  const acksAt: { at: number; cluster: string; seq: number; relabelled?: boolean }[] = [];
  const bucket = (at: number) => {
    const second = Math.floor((at - startedAt) / 1000);
    let b = ackCounts.get(second);
    if (!b) ackCounts.set(second, (b = { second, primary: 0, secondary: 0, unknown: 0, failed: 0 }));
    return b;
  };
  const partitions = range(t.topics.find((x) => x.name === topic)?.partitions ?? 0);
  const partitionAcks: PartitionEvent[] = [];
  const received: PartitionEvent[] = [];
  const failures: { at: number; count: number }[] = [];
  let crashStep: CrashStep | undefined;
  consumer.on('message', (m: { partition: number; at: number }) => received.push({ at: m.at, partition: m.partition }));
  producer.on('ack', (a) => {
    acksAt.push({ at: a.at, cluster: a.cluster, seq: a.seq });
    partitionAcks.push({ at: a.at, partition: a.partition });
    if (a.at >= startedAt) bucket(a.at)[a.cluster]++;
  });
  producer.on('failure', (f) => {
    failures.push({ at: f.at, count: f.seqs.length });
    if (f.at >= startedAt) bucket(f.at).failed += f.seqs.length;
  });
  let producerRun: Promise<ProducerSummary> | undefined;
  let consumerRun: Promise<ConsumerSummary> | undefined;
  const steps: StepResult[] = [];
  let failure: DrillReport['failure'];
  let ledger: DrillReport['ledger'] = null;
  let producerSummary: ProducerSummary | undefined;
  let consumerSummary: ConsumerSummary | undefined;
  let lateClients: NonNullable<DrillReport['lateClients']> | undefined;

  const allPrimary = expectedRouting(t.brokers, () => true);
  try {
    emit({ type: 'phase', text: 'waiting for Envoy to route every listener to primary' });
    await waitFor(() => {
      const obs = watcher.observed();
      return obs !== undefined && routingMatches(obs, allPrimary);
    }, {
      timeoutMs: predicted.recovered.latestMs + slackMs,
      intervalMs: pollMs,
      what: `Envoy to route every listener to primary (last seen: ${describeRouting(watcher.observed() ?? { activeCluster: 'none', listeners: [] })})`,
      signal: o.signal,
    }).catch((err) => {
      if (err instanceof WaitTimeoutError) {
        throw new UserError(`Envoy does not route every listener to primary: ${describeRouting(watcher.observed() ?? { activeCluster: 'none', listeners: [] })}`, 'check `failover-demo routing` and `failover-demo status`');
      }
      throw err;
    });
    emit({ type: 'phase-done', text: 'Envoy routes every listener to primary' });

    emit({ type: 'phase', text: `starting a producer (${o.rate ?? 20} msg/s, ledger) and a consumer on ${topic}` });
    producerRun = producer.run();
    consumerRun = consumer.run();
    producerRun.catch(() => undefined);
    consumerRun.catch(() => undefined);
    await waitFor(() => acksAt.length > 0, { timeoutMs: 60_000, intervalMs: 100, what: 'the first acknowledged message through Envoy', signal: o.signal });
    emit({ type: 'phase-done', text: 'clients running: messages acknowledged by primary' });
    startedAt = Date.now();

    for (const [index, step] of scenario.steps.entries()) {
      const window = stepWindow(step, runtime);
      const deadlineMs = window.latestMs + slackMs;
      emit({ type: 'step-start', index, step, deadlineMs });
      const stepStart = Date.now();
      let actionDoneAt = stepStart;
      let faultAt = stepStart;
      let effectAt = stepStart;
      let notes: string[] = [];
      let error: string | undefined;
      let reachedAt: number | undefined;
      let heldMs: number | undefined;
      let detectedBy: StepResult['detectedBy'];
      let reachFrom: number | undefined;
      try {
        const onAction = (text: string) => emit({ type: 'step-action', index, text });
        if (step.action.kind === 'crash') {
          crashStep = await runCrash(runtime, step.action.part, { topic, signal: o.signal, onAction });
          faultAt = effectAt = crashStep.result.killedAt;
          reachFrom = crashStep.result.servingAt;
          notes = [`killed ${crashStep.result.killed}; back after ${((crashStep.result.servingAt! - faultAt) / 1000).toFixed(1)} s`];
        } else {
          const outcome = await applyFault(runtime, step.action, onAction);
          faultAt = outcome.faultAt;
          effectAt = outcome.effectAt;
          notes = outcome.changes.flatMap((c) => (c.readyAt === undefined && c.note ? [c.note] : []));
        }
        actionDoneAt = Date.now();
        o.signal?.throwIfAborted();
        await waitFor(
          () => {
            const obs = watcher.observed();
            if (obs) emit({ type: 'step-waiting', index, expected: describeRouting(step.expect), observed: describeRouting(obs) });
            return obs !== undefined && routingMatches(obs, step.expect);
          },
          { timeoutMs: deadlineMs, intervalMs: pollMs, what: describeRouting(step.expect), signal: o.signal },
        );
        // When it was first reached (it may have been before the runtime calls returned).
        // A crash step: once the part serves again (before that, the routing in force is stale or unread).
        reachedAt = firstTimeWhen(watcher.samples, reachFrom ?? faultAt, (x) => routingMatches(x as ObservedRouting, step.expect)) ?? Date.now();
        detectedBy = detectionCause(watcher.samples.filter((x) => x.at <= reachedAt!).at(-1)?.unhealthy ?? []);
        if (step.action.kind === 'crash') {
          // The clients are part of what a crash step shows: acknowledged and receiving on every partition again.
          const killedAt = faultAt;
          await waitFor(() => recoveryAfter(partitionAcks, killedAt, partitions) !== null && recoveryAfter(received, killedAt, partitions) !== null, {
            timeoutMs: CLIENT_RECOVERY_TIMEOUT_MS,
            intervalMs: pollMs,
            what: 'the clients to be acknowledged and to receive on every partition again',
            signal: o.signal,
          }).catch((err) => {
            if (!(err instanceof WaitTimeoutError)) throw err;
            const who = recoveryAfter(partitionAcks, killedAt, partitions) === null ? 'the producer was not acknowledged' : 'the consumer did not receive';
            throw new Error(`${who} on every partition within ${CLIENT_RECOVERY_TIMEOUT_MS / 1000} s of the kill`);
          });
        }
        if (step.hold) {
          // Would a broker that passes its health check have been marked healthy by now? Then it is not.
          // The routing must stay while any change this step could cause would have shown (its window).
          const holdUntil = actionDoneAt + Math.max(window.latestMs, predicted.recovered.latestMs) + slackMs;
          while (Date.now() < holdUntil) {
            o.signal?.throwIfAborted();
            const obs = watcher.observed();
            if (obs && !routingMatches(obs, step.expect)) {
              error = `routing changed to ${describeRouting(obs)} while it should have stayed ${describeRouting(step.expect)}`;
              break;
            }
            await delay(pollMs, o.signal);
          }
          heldMs = Date.now() - actionDoneAt;
        }
      } catch (err) {
        if (o.signal?.aborted) {
          error = 'interrupted';
        } else if (err instanceof WaitTimeoutError) {
          error = `Envoy did not reach ${describeRouting(step.expect)} within ${(deadlineMs / 1000).toFixed(1)} s of the action (predicted at most ${(window.latestMs / 1000).toFixed(1)} s)` +
            (watcher.lastError ? `; reading Envoy failed: ${watcher.lastError.message}` : '');
        } else {
          error = (err as Error).message;
        }
      }
      const endedAt = Date.now();
      // Predicted windows count from the moment the fault took effect (a broker's process exited, a
      // started one was ready), not from the command: a container's graceful stop alone takes seconds.
      const base = effectAt;
      const observed = watcher.observed() ?? { activeCluster: 'none' as const, listeners: [] };
      const passed = error === undefined && routingMatches(observed, step.expect);
      const result: StepResult = {
        name: describeAction(step),
        ...(step.poc ? { poc: step.poc } : {}),
        why: step.why,
        expected: step.expect,
        observed,
        passed,
        ms: (reachedAt ?? endedAt) - stepStart,
        actionMs: actionDoneAt - stepStart,
        ...(reachedAt !== undefined ? { settleMs: Math.max(0, reachedAt - base), fromCommandMs: Math.max(0, reachedAt - faultAt) } : {}),
        predicted: { ...window, deadlineMs },
        ...(heldMs !== undefined ? { heldMs } : {}),
        ...(detectedBy && step.window !== 'recovered' ? { detectedBy } : {}),
        startedAt: stepStart,
        faultAt,
        effectAt,
        actionDoneAt,
        ...(notes.length ? { notes } : {}),
        endedAt,
        ...(error ? { error } : {}),
      };
      steps.push(result);
      emit({ type: 'step-end', index, result });
      if (!passed) {
        failure = { step: step.name, message: error ?? `observed ${describeRouting(observed)}`, environment: 'left as it failed' };
        break;
      }
    }
    if (!failure) {
      emit({ type: 'phase', text: 'starting a fresh producer and consumer: where do clients that start now land?' });
      lateClients = await runLateClients({ bootstrap: endpoints.bootstrap, topic, clusters, direct: endpoints.direct, signal: o.signal });
      const last = acksAt.at(-1)?.cluster;
      if (last) lateClients.runningProducerCluster = last;
      emit({
        type: 'phase-done',
        text: `fresh producer acked on ${Object.entries(lateClients.producerAckedBy).filter(([, n]) => n > 0).map(([c]) => c).join(', ') || 'nothing'}` +
          `, fresh consumer on ${lateClients.consumerCluster ?? 'no cluster'}; the drill's producer acks on ${last ?? '—'}`,
      });
    }
  } finally {
    emit({ type: 'phase', text: 'stopping the clients' });
    producer.stop();
    consumer.stop();
    producerSummary = await producerRun?.catch(() => undefined);
    consumerSummary = await consumerRun?.catch(() => undefined);
    await watcher.stop();
    emit({ type: 'phase-done', text: 'clients stopped' });
  }
  const endedAt = Date.now();

  try {
    if (failure && o.restoreOnFailure && !o.signal?.aborted) {
      emit({ type: 'phase', text: 'restoring every broker' });
      await applyFault(runtime, { kind: 'restore', brokers: brokersOf(t).map((b) => b.name) });
      failure.environment = 'restored';
      emit({ type: 'phase-done', text: 'every broker restored' });
    }
    if (!failure || failure.environment === 'restored') {
      emit({ type: 'phase', text: 'checking the ledger: reading every acknowledged message back from its cluster' });
      const scan = await scanLedger(ledgerFile, topic, endpoints.direct);
      ledger = { checked: scan.checked, missing: scan.missing, onOtherCluster: scan.onOtherCluster, ...(scan.missing ? { missingSamples: scan.missingSamples } : {}) };
      // An ack labelled from stale metadata is counted where the ledger found it.
      const truth = new Map(scan.relabelled.map((r) => [r.seq, r.cluster]));
      for (const a of acksAt) {
        const real = truth.get(a.seq);
        if (real && real !== a.cluster) Object.assign(a, { cluster: real, relabelled: true });
      }
      emit({
        type: 'phase-done',
        text: `ledger: ${ledger.checked} acknowledged messages checked, ${ledger.missing} missing` + (ledger.onOtherCluster ? ` (${ledger.onOtherCluster} found on the other cluster than acknowledged: split)` : ''),
      });
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }

  const routing = watcher.samples;
  const clipped = clipRouting(routing, startedAt);
  const faultStep = steps.find((s, i) => scenario.steps[i]?.marks === 'fault');
  const failbackStep = steps.find((s, i) => scenario.steps[i]?.marks === 'failback' && s.passed);
  const change = faultStep ? firstRoutingChange(routing, faultStep.faultAt) : undefined;
  const firstSecondaryAck = faultStep ? acksAt.find((a) => a.at >= faultStep.faultAt && a.cluster === 'secondary') : undefined;
  const backOnPrimary = failbackStep ? firstTimeIn(routing, failbackStep.faultAt, 'primary') : undefined;
  const passed = !failure && steps.length === scenario.steps.length && steps.every((s) => s.passed) && ledger?.missing === 0;
  const inactive = inactiveAcks(acksAt.filter((a) => a.at >= startedAt), routing, t.failover.settleGraceMs);
  const firstPrimaryAck = failbackStep ? acksAt.find((a) => a.at >= failbackStep.faultAt && a.cluster === 'primary') : undefined;

  return {
    scenario: scenario.name,
    description: scenario.description,
    passed,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: endedAt - startedAt,
    runtime: runtime.kind,
    brokers: t.brokers,
    healthCheck: t.healthCheck,
    steps,
    detectionMs: change && faultStep ? Math.max(0, change.at - faultStep.effectAt) : null,
    clientRecoveryMs: firstSecondaryAck && faultStep ? Math.max(0, firstSecondaryAck.at - faultStep.effectAt) : null,
    failbackMs: backOnPrimary !== undefined && failbackStep ? Math.max(0, backOnPrimary - failbackStep.effectAt) : null,
    splitMs: timeIn('split', clipped, endedAt),
    policy: t.failover.policy,
    clientFailbackMs: firstPrimaryAck && failbackStep ? Math.max(0, firstPrimaryAck.at - failbackStep.effectAt) : null,
    acksOnInactiveCluster: inactive.length,
    ...(inactive.length ? { inactiveAcks: inactive.slice(0, 20).map((a) => ({ seq: a.seq, cluster: a.cluster, afterSwitchMs: a.afterSwitchMs, relabelled: a.relabelled === true })) } : {}),
    ...(lateClients ? { lateClients } : {}),
    ...(crashStep ? { crash: crashMeasures(crashStep, { acks: partitionAcks, received, failures, partitions }) } : {}),
    ackedMissing: ledger ? ledger.missing : null,
    predicted: {
      ...(faultStep ? { detection: { case: faultStep.predicted.case, earliestMs: faultStep.predicted.earliestMs, latestMs: faultStep.predicted.latestMs } } : {}),
      ...(failbackStep ? { failback: { case: failbackStep.predicted.case, earliestMs: failbackStep.predicted.earliestMs, latestMs: failbackStep.predicted.latestMs } } : {}),
    },
    clients: {
      sent: producerSummary?.sent ?? 0,
      acked: producerSummary?.acked ?? 0,
      failed: producerSummary?.failed ?? 0,
      ackedBy: { ...(producerSummary?.ackedBy ?? {}) },
      ...(consumerSummary
        ? {
            received: consumerSummary.received,
            gaps: consumerSummary.gaps,
            duplicates: consumerSummary.duplicates,
            clusterSwitches: consumerSummary.clusterSwitches,
          }
        : {}),
    },
    ledger,
    pollMs,
    timeline: {
      startedAt,
      endedAt,
      routing: clipped,
      acks: [...ackCounts.values()].sort((a, b) => a.second - b.second),
      connections: watcher.connections.filter((c) => c.at >= startedAt),
    },
    ...(failure ? { failure } : {}),
  };
}

/**
 * A producer (10 messages) and a consumer started now, next to the drill's: where new clients land.
 * Under `coherent` they join the clients that ran through the drill; under `per-broker` after a failback
 * they land on the primary while the drill's producer stays on the secondary.
 */
async function runLateClients(o: {
  bootstrap: string[];
  topic: string;
  clusters: ReturnType<typeof createClusterDirectory>;
  direct: Endpoints['direct'];
  signal?: AbortSignal;
}): Promise<NonNullable<DrillReport['lateClients']>> {
  const seen = new Map<string, number>();
  const consumer = new FailoverConsumer({ bootstrap: o.bootstrap, topic: o.topic, clusters: o.clusters, direct: o.direct, from: 'latest' });
  consumer.on('message', (m: { cluster: string }) => seen.set(m.cluster, (seen.get(m.cluster) ?? 0) + 1));
  const consuming = consumer.run();
  consuming.catch(() => undefined);
  const producer = new FailoverProducer({ bootstrap: o.bootstrap, topic: o.topic, ratePerSecond: 20, count: 10, clusters: o.clusters, direct: o.direct });
  try {
    const summary = await producer.run();
    await waitFor(() => [...seen.values()].reduce((a, b) => a + b, 0) >= 10, { timeoutMs: 30_000, intervalMs: 100, what: 'a fresh consumer to receive 10 messages', signal: o.signal }).catch(() => undefined);
    const consumerCluster = [...seen.entries()].filter(([c]) => c !== 'unknown').sort((a, b) => b[1] - a[1])[0]?.[0];
    return { producerAckedBy: { ...summary.ackedBy }, ...(consumerCluster ? { consumerCluster } : {}) };
  } finally {
    producer.stop();
    consumer.stop();
    await consuming.catch(() => undefined);
  }
}

/** Samples from `from` on; the one in force at `from` starts at `from`. */
function clipRouting(routing: RoutingSample[], from: number): RoutingSample[] {
  const before = routing.filter((s) => s.at <= from).at(-1);
  return [...(before ? [{ ...before, at: from }] : []), ...routing.filter((s) => s.at > from)];
}
