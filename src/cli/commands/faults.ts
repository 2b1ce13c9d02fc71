/** Fault commands: `broker stop|start|restart`, `fail-*` / `restore-*`, `recovery enable|disable`. */
import type { Command } from 'commander';
import chalk from 'chalk';
import ora from 'ora';
import { brokersOf, type ClusterName } from '../../config/topology.js';
import { applyFault, resolveBroker, resolveBrokersOrCluster, type FaultAction } from '../../drill/faults.js';
import { UserError } from '../../util/errors.js';
import { openRuntime } from '../context.js';
import { returnsExitCode } from '../exit-code.js';
import { choiceArgument } from '../options.js';

async function run(build: (runtime: ReturnType<typeof openRuntime>) => FaultAction): Promise<number> {
  const runtime = openRuntime();
  const action = build(runtime);
  const spinner = ora({ text: 'working', stream: process.stderr }).start();
  try {
    const outcome = await applyFault(runtime, action, (text) => {
      spinner.text = text;
    });
    spinner.stop();
    for (const line of outcome.did) process.stdout.write(`${chalk.green('✓')} ${line}\n`);
    for (const line of outcome.next) process.stdout.write(`${chalk.cyan('→')} ${line}\n`);
    process.stdout.write(chalk.dim('Watch it happen: failover-demo routing\n'));
    return 0;
  } catch (err) {
    spinner.fail('failed');
    throw err;
  }
}

const BROKER_ACTIONS = ['stop', 'start', 'restart'] as const;
const RECOVERY_MODES = ['enable', 'disable'] as const;
const CLUSTERS = ['primary', 'secondary'] as const;

function cluster(cmd: string, cluster: ClusterName, kind: 'stop' | 'restore', description: string, program: Command): void {
  program
    .command(cmd)
    .description(description)
    .action(returnsExitCode(() => run((rt) => ({ kind, brokers: brokersOf(rt.topology, cluster).map((b) => b.name) }))));
}

export function register(program: Command): void {
  program
    .command('broker')
    .description('stop, start or restart one broker (e.g. `broker stop primary-broker-0`)')
    .addArgument(
      choiceArgument('<action>', `one of ${BROKER_ACTIONS.join(', ')}`, BROKER_ACTIONS, (action) => new UserError(`unknown broker action "${action}"`, `use one of: ${BROKER_ACTIONS.join(', ')}`)),
    )
    .argument('<name>', 'broker name, e.g. primary-broker-0')
    .action(
      returnsExitCode((action: (typeof BROKER_ACTIONS)[number], name: string) =>
        run((rt) => {
          resolveBroker(rt.topology, name);
          return { kind: action, brokers: [name] };
        }),
      ),
    );

  cluster('fail-primary', 'primary', 'stop', 'stop every primary broker: Envoy should move all listeners to the secondary cluster', program);
  cluster('restore-primary', 'primary', 'restore', 'start the primary brokers again (and take them out of recovery mode)', program);
  cluster('fail-secondary', 'secondary', 'stop', 'stop every secondary broker (the fallback is gone)', program);
  cluster('restore-secondary', 'secondary', 'restore', 'start the secondary brokers again (and take them out of recovery mode)', program);

  program
    .command('recovery')
    .description('put a broker or a whole cluster into recovery mode, or take it out (edits redpanda.yaml, restarts)')
    .addArgument(
      choiceArgument('<mode>', 'enable or disable', RECOVERY_MODES, (mode) => new UserError(`unknown recovery mode action "${mode}"`, 'use `recovery enable TARGET` or `recovery disable TARGET`')),
    )
    .argument('<target>', 'broker name (primary-broker-2) or cluster (primary, secondary)')
    .action(
      returnsExitCode((mode: (typeof RECOVERY_MODES)[number], target: string) =>
        run((rt) => ({ kind: 'recovery', enabled: mode === 'enable', brokers: resolveBrokersOrCluster(rt.topology, target).map((b) => b.name) })),
      ),
    );
}

/** `crash <part>`: SIGKILL a part as a crash would; its supervisor brings it back (what a deploy's restart does to clients). */
export function registerCrash(program: Command): void {
  program
    .command('crash')
    .description('kill a part with SIGKILL as a crash would (envoy, controller, or a broker: its JVM), and time its supervisor bringing it back')
    .argument('<part>', 'envoy, controller, or a broker name (primary-broker-0)')
    .addHelpText('after', '\nExamples:\n  $ failover-demo crash envoy              # what a proxy restart does to running clients\n  $ failover-demo crash primary-broker-0   # kills its JVM; Kafka elects new leaders\n  $ failover-demo status                   # restarts and how each part last exited')
    .action(returnsExitCode(async (part: string) => {
      const runtime = openRuntime();
      const spinner = ora({ text: `killing ${part} with SIGKILL; waiting for its supervisor to bring it back`, stream: process.stderr }).start();
      try {
        const r = await runtime.crash(part);
        spinner.stop();
        const s = (at: number | undefined) => (at === undefined ? '—' : `${((at - r.killedAt) / 1000).toFixed(1)} s`);
        process.stdout.write(`${chalk.green('✓')} killed ${r.killed}: running again after ${s(r.restartedAt)}, serving after ${s(r.servingAt)} (restart ${r.restarts ?? '?'})\n`);
        process.stdout.write(chalk.dim('Restarts and the last exit: failover-demo status\n'));
        return 0;
      } catch (err) {
        spinner.fail('failed');
        throw err;
      }
    }));
}
