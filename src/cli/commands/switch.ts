/**
 * `switch primary|secondary`: a planned switchover through the failover controller (coherent policy).
 * With replication (replication.mode: shadow) a switch to the primary is a failback: the secondary's
 * writes since the promotion are copied back first (a progress line shows the primary catching up),
 * then the controller fences writers for the last records and moves the listeners.
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import type { ClusterName } from '../../config/topology.js';
import { UserError } from '../../util/errors.js';
import { waitFor } from '../../util/wait.js';
import { openRuntime } from '../context.js';
import { returnsExitCode } from '../exit-code.js';
import { choiceArgument } from '../options.js';

const CLUSTERS: readonly ClusterName[] = ['primary', 'secondary'];

interface ReplicationView {
  phase: string;
  lag?: { total: number };
  lagError?: string;
}

async function replicatorCall(url: string, path: string, method: 'GET' | 'POST', timeoutMs = 15_000): Promise<ReplicationView> {
  const res = await fetch(`${url}${path}`, { method, signal: AbortSignal.timeout(timeoutMs) }).catch((err: Error) => {
    throw new UserError(`the replicator at ${url} did not answer (${err.message})`, 'see `failover-demo status`; the runtime restarts a crashed replicator');
  });
  const body = (await res.json().catch(() => ({}))) as ReplicationView & { error?: string };
  if (!res.ok) throw new UserError(`the replicator refused ${path}: ${body.error ?? `HTTP ${res.status}`}`, 'see `failover-demo status` and the replicator log');
  return body;
}

/**
 * Before a failback: the reverse copy runs until the primary is nearly caught up (the rest is copied
 * with writers fenced, within replication.failbackTimeout).
 */
async function catchUp(url: string, spinner: Ora, signal: AbortSignal): Promise<number> {
  const view = await replicatorCall(url, '/v1/reverse', 'POST');
  if (view.phase === 'forward') return 0;
  let lag = Number.NaN;
  await waitFor(
    async () => {
      const v = await replicatorCall(url, '/v1/replication', 'GET', 3_000);
      lag = v.lag?.total ?? Number.NaN;
      spinner.text = `primary catching up with the secondary: ${Number.isNaN(lag) ? 'reading lag' : `${lag} record(s) behind`}${v.lagError ? ` (${v.lagError})` : ''}`;
      return lag <= 100;
    },
    { timeoutMs: 600_000, intervalMs: 500, what: 'the primary to catch up with the secondary', signal },
  );
  return lag;
}

async function requestSwitch(url: string, target: ClusterName, timeoutMs: number): Promise<{ active?: string; reason?: string; note?: string }> {
  let res: Response;
  try {
    res = await fetch(`${url}/v1/switch?to=${target}`, { method: 'POST', signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new UserError(`the failover controller at ${url} did not answer (${(err as Error).message})`, 'see `failover-demo status`; the runtime restarts a crashed controller');
  }
  const body = (await res.json().catch(() => ({}))) as { error?: string; active?: string; reason?: string; note?: string };
  if (!res.ok) {
    throw new UserError(`switch to ${target} refused: ${body.error ?? `HTTP ${res.status}`}`, 'a cluster takes over only with a quorum of healthy brokers: see `failover-demo routing`');
  }
  return body;
}

export function registerSwitch(program: Command): void {
  program
    .command('switch')
    .description('planned switchover: move every listener (and every client) to one cluster now; how `failback: manual` returns to the primary')
    .addArgument(choiceArgument('<cluster>', 'primary or secondary', CLUSTERS, (target) => new UserError(`unknown cluster "${target}"`, 'use primary or secondary')))
    .addHelpText(
      'after',
      '\nWith replication: shadow, `switch primary` first copies the secondary\'s new writes back to the primary,\n' +
        'then closes the listeners for the last records (a second or two) and moves them.\n' +
        '\nExamples:\n  $ failover-demo switch secondary   # planned maintenance of the primary\n  $ failover-demo switch primary     # fail back (failover.failback: manual)',
    )
    .action(returnsExitCode(async (target: ClusterName) => {
      const runtime = openRuntime();
      const { controllerUrl: url, replicatorUrl } = runtime.endpoints();
      if (!url) throw new UserError('`switch` needs the coherent failover policy (this demo runs per-broker)', 'set `failover: { policy: coherent }` in the config and start again');
      const spinner = ora({ text: `asking the failover controller to switch to ${target}`, stream: process.stderr }).start();
      const stop = new AbortController();
      const onInt = () => stop.abort();
      process.once('SIGINT', onInt);
      try {
        if (target === 'primary' && replicatorUrl) {
          const lag = await catchUp(replicatorUrl, spinner, stop.signal);
          spinner.text = `primary ${lag} record(s) behind: fencing writers while it takes the rest, then switching`;
        }
        const timeoutMs = 10_000 + (replicatorUrl ? runtime.topology.replication.failbackTimeoutMs + 30_000 : 0);
        const body = await requestSwitch(url, target, timeoutMs);
        spinner.stop();
        process.stdout.write(`${chalk.green('✓')} active cluster: ${body.active}${body.note ? ` (${body.note})` : ''}: ${body.reason ?? ''}\n`);
        process.stdout.write(`${chalk.cyan('→')} Envoy moves every listener at once and closes client connections to the other cluster; clients reconnect.\n`);
        return 0;
      } catch (err) {
        spinner.fail(stop.signal.aborted ? 'interrupted: the listeners stay where they were' : 'failed');
        throw err;
      }
    }));
}
