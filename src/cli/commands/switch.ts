/**
 * `switch primary|secondary`: a planned switchover through the failover controller (coherent policy);
 * with replication a switch to the primary is a failback that waits for the primary to catch up
 * (../../drill/switch.ts does both, for this command and for the drill).
 */
import type { Command } from 'commander';
import chalk from 'chalk';
import ora from 'ora';
import type { ClusterName } from '../../config/topology.js';
import { plannedSwitch } from '../../drill/switch.js';
import { UserError } from '../../util/errors.js';
import { openRuntime } from '../context.js';
import { returnsExitCode } from '../exit-code.js';
import { choiceArgument } from '../options.js';

const CLUSTERS: readonly ClusterName[] = ['primary', 'secondary'];

export function registerSwitch(program: Command): void {
  program
    .command('switch')
    .description('planned switchover: move every listener (and every client) to one cluster now; how `failback: manual` returns to the primary')
    .addArgument(choiceArgument('<cluster>', 'primary or secondary', CLUSTERS, (target) => new UserError(`unknown cluster "${target}"`, 'use primary or secondary')))
    .addHelpText(
      'after',
      "\nWith replication: shadow, `switch primary` first copies the secondary's new writes back to the primary,\n" +
        'then closes the listeners for the last records (a second or two) and moves them.\n' +
        '\nExamples:\n  $ failover-demo switch secondary   # planned maintenance of the primary\n  $ failover-demo switch primary     # fail back (failover.failback: manual)',
    )
    .action(returnsExitCode(async (target: ClusterName) => {
      const runtime = openRuntime();
      const spinner = ora({ text: `asking the failover controller to switch to ${target}`, stream: process.stderr }).start();
      const stop = new AbortController();
      const onInt = () => stop.abort();
      process.once('SIGINT', onInt);
      try {
        const r = await plannedSwitch(runtime.topology, runtime.endpoints(), target, (text) => (spinner.text = text), stop.signal);
        spinner.stop();
        const caught = r.catchUp ? ` (primary caught up in ${(r.catchUp.ms / 1000).toFixed(1)} s; writers fenced for ${((r.answeredAt - r.requestedAt) / 1000).toFixed(1)} s)` : '';
        process.stdout.write(`${chalk.green('✓')} active cluster: ${r.active}${r.note ? ` (${r.note})` : ''}: ${r.reason ?? ''}${caught}\n`);
        process.stdout.write(`${chalk.cyan('→')} Envoy moves every listener at once and closes client connections to the other cluster; clients reconnect.\n`);
        return 0;
      } catch (err) {
        spinner.fail(stop.signal.aborted ? 'interrupted: the listeners stay where they were' : 'failed');
        throw err;
      } finally {
        process.off('SIGINT', onInt);
      }
    }));
}
