/**
 * The drill engine: runs any scenario (./scenarios.ts) against a running demo through the Runtime
 * interface. A producer (with a ledger) and a consumer (./clients.ts) run in the background the whole
 * time; the routing monitor's loop (./watch.ts) reads Envoy's routing every `pollMs`. Prepared by
 * ./prepare.ts, each step (./step.ts) performs its fault action, then waits — with a deadline from
 * predictTiming — until the routing matches what the step expects (and, for `hold` steps, stays so).
 * A failed step stops the drill and leaves the environment as it is (or restores it, if asked).
 * The result (./measure.ts) is a DrillReport (./report.ts) with the measured times next to the predicted ones.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeRouting } from '../envoy/routing-model.js';
import { DrillClients, runLateClients } from './clients.js';
import { drillContext, type DrillContext, type DrillOptions } from './context.js';
import { checkLedger, measureDrill, restoreAfterFailure, type DrillRun } from './measure.js';
import { measureReplication, ReplicationWatch, waitCopying } from './replication.js';
import { checkHealthyDemo, startClients, waitAllPrimary } from './prepare.js';
import type { DrillReport } from './report-model.js';
import { runStep } from './step.js';
import { RoutingWatcher } from './watch.js';

export type { DrillEvent, DrillOptions } from './context.js';

export async function runDrill(o: DrillOptions): Promise<DrillReport> {
  const ctx = drillContext(o);
  await checkHealthyDemo(ctx);
  const watcher = new RoutingWatcher(ctx.endpoints.envoyAdminUrl, ctx.topology, ctx.pollMs);
  watcher.start();
  const workDir = mkdtempSync(join(tmpdir(), 'failover-demo-drill-'));
  // The ledger's folder goes however the drill ends (also when Envoy never routes everything to primary).
  try {
    const ledgerFile = join(workDir, 'ledger.jsonl');
    const partitions = ctx.topology.topics.find((x) => x.name === ctx.topic)?.partitions ?? 0;
    const replicated = ctx.endpoints.replicatorUrl !== undefined;
    const clients = new DrillClients({ endpoints: ctx.endpoints, topic: ctx.topic, partitions, rate: ctx.rate, ledgerFile, replicated });
    const replication = replicated ? new ReplicationWatch(ctx.endpoints.replicatorUrl!) : undefined;
    replication?.start();
    let run: DrillRun;
    try {
      run = await runScenario(ctx, watcher, clients, replication);
    } finally {
      replication?.stop();
    }
    await restoreAfterFailure(ctx, run);
    const ledger = await checkLedger(ctx, run, clients, ledgerFile);
    const report = measureDrill(ctx, run, clients, watcher, ledger);
    if (!replication || (run.failure && run.failure.environment !== 'restored')) return report;
    const r = await measureReplication(ctx, replication, clients, run.consumer);
    return { ...report, replication: r, passed: report.passed && r.passed };
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** How long the consumer gets, once the producer stopped, to read the last acknowledged messages. */
const DRAIN_MS = 10_000;

/** From Envoy on the primary to the late clients; the clients and the watcher are stopped however it ends. */
async function runScenario(ctx: DrillContext, watcher: RoutingWatcher, clients: DrillClients, replication?: ReplicationWatch): Promise<DrillRun> {
  const run: Omit<DrillRun, 'endedAt'> = { steps: [] };
  let completed = false;
  try {
    await waitAllPrimary(ctx, watcher);
    await startClients(ctx, clients);
    if (replication) await waitCopying(ctx, clients.startedAt, clients.groupId, replication);
    await runSteps(ctx, watcher, clients, run);
    if (!run.failure) run.lateClients = await lateClients(ctx, clients);
    completed = !run.failure;
  } finally {
    // After a passed run the consumer reads what was acknowledged last before it stops (see DrillClients.stop).
    const drain = !completed || ctx.signal?.aborted ? undefined : { timeoutMs: DRAIN_MS, signal: ctx.signal };
    ctx.emit({ type: 'phase', text: drain ? 'stopping the producer, then the consumer once it read the last acknowledged messages' : 'stopping the clients' });
    const { producer, consumer, unread } = await clients.stop(drain);
    Object.assign(run, { producer, consumer });
    await watcher.stop();
    ctx.emit({ type: 'phase-done', text: unread ? `clients stopped; after ${DRAIN_MS / 1000} s the consumer had not read ${unread} message(s) acknowledged where the producer ended` : 'clients stopped' });
  }
  return { ...run, endedAt: Date.now() };
}

/** The scenario's steps in order, up to the first that fails. */
async function runSteps(ctx: DrillContext, watcher: RoutingWatcher, clients: DrillClients, run: Omit<DrillRun, 'endedAt'>): Promise<void> {
  for (const [index, step] of ctx.scenario.steps.entries()) {
    const { result, crash } = await runStep(ctx, watcher, clients, index, step);
    if (crash) run.crash = crash;
    run.steps.push(result);
    ctx.emit({ type: 'step-end', index, result });
    if (!result.passed) {
      run.failure = { step: step.name, message: result.error ?? `observed ${describeRouting(result.observed)}`, environment: 'left as it failed' };
      return;
    }
  }
}

/** After the last step: where do a fresh producer and consumer land, next to the drill's producer? */
async function lateClients(ctx: DrillContext, clients: DrillClients): Promise<NonNullable<DrillReport['lateClients']>> {
  const { bootstrap, direct } = ctx.endpoints;
  ctx.emit({ type: 'phase', text: 'starting a fresh producer and consumer: where do clients that start now land?' });
  const late = await runLateClients({ bootstrap, topic: ctx.topic, clusters: clients.clusters, direct, signal: ctx.signal });
  const last = clients.acks.at(-1)?.cluster;
  if (last) late.runningProducerCluster = last;
  ctx.emit({
    type: 'phase-done',
    text: `fresh producer acked on ${Object.entries(late.producerAckedBy).filter(([, n]) => n > 0).map(([c]) => c).join(', ') || 'nothing'}` +
      `, fresh consumer on ${late.consumerCluster ?? 'no cluster'}; the drill's producer acks on ${last ?? '—'}`,
  });
  return late;
}
