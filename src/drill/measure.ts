/**
 * After a drill's steps: restore the brokers if asked (a failed step), read every acknowledged message
 * back from its cluster (the ledger), and measure the report — times from the fault and failback steps,
 * time split, acknowledgements on the inactive cluster, the clients' totals, the timeline.
 */
import { brokersOf } from '../config/topology.js';
import type { ConsumerSummary } from '../kafka/consumer.js';
import type { ProducerSummary } from '../kafka/producer.js';
import type { DrillClients } from './clients.js';
import type { DrillContext } from './context.js';
import { crashMeasures, type CrashStep } from './crash.js';
import { applyFault } from './faults.js';
import { scanLedger } from './ledger-scan.js';
import type { DrillReport, StepResult } from './report-model.js';
import { clipRouting, firstRoutingChange, firstTimeIn, inactiveAcks, timeIn } from './timeline.js';
import type { RoutingWatcher } from './watch.js';

/** What running the scenario left to measure. */
export interface DrillRun {
  steps: StepResult[];
  /** Set when a step failed. */
  failure?: NonNullable<DrillReport['failure']>;
  /** The last crash step's kill, for the report's crash section. */
  crash?: CrashStep;
  lateClients?: NonNullable<DrillReport['lateClients']>;
  producer?: ProducerSummary;
  consumer?: ConsumerSummary;
  /** Epoch ms: the clients and the routing watcher stopped. */
  endedAt: number;
}

/** After a failed step, with restoreOnFailure (and not interrupted): restores every broker. */
export async function restoreAfterFailure(ctx: DrillContext, run: DrillRun): Promise<void> {
  if (!run.failure || !ctx.restoreOnFailure || ctx.signal?.aborted) return;
  ctx.emit({ type: 'phase', text: 'restoring every broker' });
  await applyFault(ctx.runtime, { kind: 'restore', brokers: brokersOf(ctx.topology).map((b) => b.name) });
  run.failure.environment = 'restored';
  ctx.emit({ type: 'phase-done', text: 'every broker restored' });
}

/**
 * Reads every acknowledged message of the ledger back from its cluster, unless the drill failed and left
 * the environment broken (null: not checked). Acks the ledger found on the other cluster are relabelled.
 */
export async function checkLedger(ctx: DrillContext, run: DrillRun, clients: DrillClients, ledgerFile: string): Promise<DrillReport['ledger']> {
  if (run.failure && run.failure.environment !== 'restored') return null;
  ctx.emit({ type: 'phase', text: 'checking the ledger: reading every acknowledged message back from its cluster' });
  const scan = await scanLedger(ledgerFile, ctx.topic, ctx.endpoints.direct);
  const ledger = { checked: scan.checked, missing: scan.missing, onOtherCluster: scan.onOtherCluster, ...(scan.missing ? { missingSamples: scan.missingSamples } : {}) };
  // An ack labelled from stale metadata is counted where the ledger found it.
  const truth = new Map(scan.relabelled.map((r) => [r.seq, r.cluster]));
  for (const a of clients.acks) {
    const real = truth.get(a.seq);
    if (real && real !== a.cluster) Object.assign(a, { cluster: real, relabelled: true });
  }
  // Where the drill's producer really acked last, by the ledger (its label may come from stale metadata).
  if (run.lateClients && clients.acks.length > 0) run.lateClients.runningProducerCluster = clients.acks.at(-1)!.cluster;
  ctx.emit({
    type: 'phase-done',
    text: `ledger: ${ledger.checked} acknowledged messages checked, ${ledger.missing} missing` + (ledger.onOtherCluster ? ` (${ledger.onOtherCluster} found on the other cluster than acknowledged: split)` : ''),
  });
  return ledger;
}

function clientTotals(producer: ProducerSummary | undefined, consumer: ConsumerSummary | undefined): DrillReport['clients'] {
  return {
    sent: producer?.sent ?? 0,
    acked: producer?.acked ?? 0,
    failed: producer?.failed ?? 0,
    ackedBy: { ...(producer?.ackedBy ?? {}) },
    ...(consumer
      ? {
          received: consumer.received,
          gaps: consumer.gaps,
          duplicates: consumer.duplicates,
          clusterSwitches: consumer.clusterSwitches,
        }
      : {}),
  };
}

function predictedOf(faultStep: StepResult | undefined, failbackStep: StepResult | undefined): DrillReport['predicted'] {
  const window = (s: StepResult) => ({ case: s.predicted.case, earliestMs: s.predicted.earliestMs, latestMs: s.predicted.latestMs });
  return { ...(faultStep ? { detection: window(faultStep) } : {}), ...(failbackStep ? { failback: window(failbackStep) } : {}) };
}

/** The DrillReport of a run: its steps, the times measured against the fault and failback steps, totals, timeline. */
export function measureDrill(ctx: DrillContext, run: DrillRun, clients: DrillClients, watcher: RoutingWatcher, ledger: DrillReport['ledger']): DrillReport {
  const { scenario, topology: t } = ctx;
  const { steps, failure, endedAt } = run;
  const { startedAt, acks } = clients;
  const routing = watcher.samples;
  const clipped = clipRouting(routing, startedAt);
  const faultStep = steps.find((s, i) => scenario.steps[i]?.marks === 'fault');
  const failbackStep = steps.find((s, i) => scenario.steps[i]?.marks === 'failback' && s.passed);
  const change = faultStep ? firstRoutingChange(routing, faultStep.faultAt) : undefined;
  const firstSecondaryAck = faultStep ? acks.find((a) => a.at >= faultStep.faultAt && a.cluster === 'secondary') : undefined;
  const backOnPrimary = failbackStep ? firstTimeIn(routing, failbackStep.faultAt, 'primary') : undefined;
  const passed = !failure && steps.length === scenario.steps.length && steps.every((s) => s.passed) && ledger?.missing === 0;
  const inactive = inactiveAcks(acks.filter((a) => a.at >= startedAt), routing, t.failover.settleGraceMs);
  const firstPrimaryAck = failbackStep ? acks.find((a) => a.at >= failbackStep.faultAt && a.cluster === 'primary') : undefined;

  return {
    scenario: scenario.name,
    description: scenario.description,
    passed,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: endedAt - startedAt,
    runtime: ctx.runtime.kind,
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
    ...(run.lateClients ? { lateClients: run.lateClients } : {}),
    ...(run.crash ? { crash: crashMeasures(run.crash, { acks: clients.partitionAcks, received: clients.received, failures: clients.failures, partitions: clients.partitions }) } : {}),
    ackedMissing: ledger ? ledger.missing : null,
    predicted: predictedOf(faultStep, failbackStep),
    clients: clientTotals(run.producer, run.consumer),
    ledger,
    pollMs: ctx.pollMs,
    timeline: {
      startedAt,
      endedAt,
      routing: clipped,
      acks: clients.ackBuckets(),
      connections: watcher.connections.filter((c) => c.at >= startedAt),
    },
    ...(failure ? { failure } : {}),
  };
}
