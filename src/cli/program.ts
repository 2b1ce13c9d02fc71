/**
 * The `failover-demo` program: commander wiring only. Each command lives in ./commands/<name>.ts
 * and exports `register(program)`.
 */
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { UserError } from '../util/errors.js';
import { register as registerRender } from './commands/render.js';
import { register as registerConfig } from './commands/config.js';
import { register as registerDoctor } from './commands/doctor.js';
import { register as registerLifecycle } from './commands/lifecycle.js';
import { register as registerRouting } from './commands/routing.js';
import { register as registerClients } from './commands/clients.js';
import { register as registerFaults, registerCrash } from './commands/faults.js';
import { registerSwitch } from './commands/switch.js';
import { register as registerTiming } from './commands/timing.js';
import { register as registerDrill } from './commands/drill.js';
import { register as registerDashboard } from './commands/dashboard.js';
import { exitCodeOf } from './exit-code.js';

export function buildProgram(): Command {
  // https://no-color.org: chalk 5 does not read NO_COLOR itself.
  if (process.env.NO_COLOR) chalk.level = 0;
  const program = new Command('failover-demo')
    .description(
      'Two Redpanda clusters behind Envoy: start them, watch Envoy route, run Kafka clients through it,\n' +
        'break things on purpose and measure how clients fail over and back.',
    )
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Example:
  $ failover-demo start            # bring up both clusters and Envoy
  $ failover-demo routing          # in a second terminal: live view of Envoy's routing
  $ failover-demo produce --rate 50
  $ failover-demo fail-primary     # watch the clients move to the secondary cluster
  $ failover-demo drill --report reports/`,
    );
  registerRender(program);
  registerConfig(program);
  registerDoctor(program);
  registerLifecycle(program);
  registerRouting(program);
  registerClients(program);
  registerFaults(program);
  registerSwitch(program);
  registerCrash(program);
  registerTiming(program);
  registerDrill(program);
  registerDashboard(program);
  for (const command of program.commands) {
    const examples = EXAMPLES[command.name()];
    if (examples) command.addHelpText('after', `\nExample:\n${examples.map((e) => `  $ failover-demo ${e}`).join('\n')}`);
  }
  return program;
}

/** Examples for commands whose own module does not add them (the others print their own). */
const EXAMPLES: Record<string, string[]> = {
  start: ['start                         # Docker (default)', 'start --runtime local         # processes on this machine, no Docker', 'start --config my-demo.yaml'],
  stop: ['stop', 'stop --volumes --yes          # also delete the brokers\' data, without asking'],
  status: ['status', 'status --json | jq .routing'],
  produce: ['produce --rate 50 --ledger acks.jsonl', 'produce --count 1000 --json'],
  consume: ['consume', 'consume --group demo --on-switch earliest --duration 2m --json'],
  'verify-ledger': ['verify-ledger acks.jsonl'],
  broker: ['broker stop primary-broker-0', 'broker restart secondary-broker-2'],
  'fail-primary': ['fail-primary'],
  'restore-primary': ['restore-primary'],
  'fail-secondary': ['fail-secondary'],
  'restore-secondary': ['restore-secondary'],
  recovery: ['recovery enable primary-broker-2', 'recovery enable primary', 'recovery disable primary'],
  timing: ['timing', 'timing --config my-demo.yaml --json'],
  drill: ['drill --scenario recovery-mode --report reports/', 'drill --scenario broker-loss --restore'],
};

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return exitCodeOf(program);
  } catch (err) {
    return reportError(err);
  }
}

export function reportError(err: unknown): number {
  if (err instanceof CommanderError) {
    // commander already printed help / the usage error
    return err.exitCode;
  }
  if (err instanceof UserError) {
    process.stderr.write(`${chalk.red('error:')} ${err.message}\n`);
    if (err.hint) process.stderr.write(`${chalk.dim('hint:')} ${err.hint}\n`);
    return err.exitCode;
  }
  const e = err as Error;
  process.stderr.write(`${chalk.red('unexpected error:')} ${e?.stack ?? String(err)}\n`);
  return 1;
}

