/**
 * Before a drill's first step: a healthy demo to start from, Envoy routing every listener to the
 * primary, and the drill's clients running, with a first message acknowledged.
 */
import { describeRouting, expectedRouting, routingMatches } from '../envoy/routing-model.js';
import { UserError } from '../util/errors.js';
import { waitFor, WaitTimeoutError } from '../util/wait.js';
import type { DrillClients } from './clients.js';
import type { DrillContext } from './context.js';
import { serves } from './faults.js';
import type { RoutingWatcher } from './watch.js';

/** The drill starts from a healthy demo: Envoy running, every broker serving. Throws a UserError if not. */
export async function checkHealthyDemo(ctx: DrillContext): Promise<void> {
  ctx.emit({ type: 'phase', text: 'checking that every broker serves' });
  const status = await ctx.runtime.status();
  if (!status.envoyRunning) throw new UserError('Envoy is not running', 'start the demo: `failover-demo start`');
  const notServing = status.brokers.filter((b) => !serves(b));
  if (notServing.length > 0) {
    throw new UserError(
      `the drill starts from a healthy demo, but ${notServing.map((b) => `${b.name} is ${b.running ? 'in recovery mode' : 'stopped'}`).join(', ')}`,
      ctx.runtime.kind === 'external'
        ? 'bring them back first: a game day starts from every broker passing the health check Envoy runs'
        : 'run `failover-demo restore-primary` and `failover-demo restore-secondary` first',
    );
  }
}

/** Waits (at most the predicted recovery + slack) until Envoy routes every listener to the primary. */
export async function waitAllPrimary(ctx: DrillContext, watcher: RoutingWatcher): Promise<void> {
  const allPrimary = expectedRouting(ctx.topology.brokers, () => true);
  const lastSeen = () => describeRouting(watcher.observed() ?? { activeCluster: 'none', listeners: [] });
  ctx.emit({ type: 'phase', text: 'waiting for Envoy to route every listener to primary' });
  await waitFor(() => {
    const obs = watcher.observed();
    return obs !== undefined && routingMatches(obs, allPrimary);
  }, {
    timeoutMs: ctx.predicted.recovered.latestMs + ctx.slackMs,
    intervalMs: ctx.pollMs,
    what: `Envoy to route every listener to primary (last seen: ${lastSeen()})`,
    signal: ctx.signal,
  }).catch((err) => {
    if (err instanceof WaitTimeoutError) {
      throw new UserError(`Envoy does not route every listener to primary: ${lastSeen()}`, 'check `failover-demo routing` and `failover-demo status`');
    }
    throw err;
  });
  ctx.emit({ type: 'phase-done', text: 'Envoy routes every listener to primary' });
}

/** Starts the drill's producer and consumer; once a first message is acknowledged, the timeline starts. */
export async function startClients(ctx: DrillContext, clients: DrillClients): Promise<void> {
  ctx.emit({ type: 'phase', text: `starting a producer (${ctx.rate} msg/s, ledger) and a consumer on ${ctx.topic}` });
  clients.start();
  await waitFor(() => clients.acks.length > 0, { timeoutMs: 60_000, intervalMs: 100, what: 'the first acknowledged message through Envoy', signal: ctx.signal });
  ctx.emit({ type: 'phase-done', text: 'clients running: messages acknowledged by primary' });
  clients.startedAt = Date.now();
}
