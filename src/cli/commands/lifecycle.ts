/** `start`, `stop`, `status`: bring the demo up and down, and show what runs. */
import { resolve } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import chalk from 'chalk';
import ora, { type Ora } from 'ora';
import { clearState, readStateForStop, writeState, type DemoState } from '../../runtime/state.js';
import { externalRuntimeOf } from '../gameday.js';
import { collectStatus, restartsText, statusTable, type Paint, type StatusReport, type Tone } from '../../runtime/status-report.js';
import { readRouting } from '../../envoy/routing.js';
import { describeRouting, routingStatus, type RoutingStatus } from '../../envoy/routing-model.js';
import { effectiveQuorum } from '../../config/topology.js';
import { RUNTIME_KINDS, type Progress, type Runtime, type RuntimeKind } from '../../runtime/types.js';
import { UserError } from '../../util/errors.js';
import { projectDir } from '../../util/paths.js';
import { currentState, openRuntime, resolveTopology, runtimeFor, type TopologyFlags } from '../context.js';
import { dockerClient } from '../../runtime/docker/engine.js';
import { returnsExitCode } from '../exit-code.js';
import { onInterrupt } from '../interrupt.js';
import { oneOf, parsedOption } from '../options.js';
import { readReplication, replicationSection } from '../replication-view.js';

/** A spinner left spinning (a runtime that ended on step(), or threw) keeps its timer, and the process, alive. */
function stopSpinning(spinner: Ora): void {
  if (spinner.isSpinning) spinner.stop();
}

function spinnerProgress(spinner: Ora): Progress {
  return {
    step(text) {
      if (spinner.isSpinning) spinner.text = text;
      else spinner.start(text);
    },
    done(text) {
      spinner.succeed(text);
    },
    info(text) {
      spinner.info(text);
    },
  };
}

const runtimeKind = oneOf(RUNTIME_KINDS, (v) => new UserError(`unknown runtime "${v}"`, `use one of: ${RUNTIME_KINDS.join(', ')}`));

interface StartFlags extends TopologyFlags {
  runtime: RuntimeKind;
  fresh?: boolean;
}

async function start(flags: StartFlags, runtimeGiven: boolean): Promise<number> {
  const project = projectDir();
  const running = currentState(project);
  if (running && flags.fresh) {
    throw new UserError(`--fresh discards the brokers' data, but a demo is running in ${project}`, 'run `failover-demo stop` first');
  }
  if (running) return resume(flags, runtimeGiven, running);
  const kind = flags.runtime;
  const topology = resolveTopology({ config: flags.config, brokers: flags.brokers, rewrite: flags.rewrite, replication: flags.replication }, project);
  const runtime = runtimeFor(kind, topology, project);
  // Remembered before anything starts, so `stop` finds the processes even if this command dies.
  writeState(project, {
    runtime: kind,
    topology,
    configFile: flags.config === undefined ? undefined : resolve(flags.config),
    startedAt: new Date().toISOString(),
  });
  const began = Date.now();
  try {
    await withSpinner('stopping everything started so far', (progress, signal) => runtime.start({ progress, signal, fresh: flags.fresh === true }));
  } catch (err) {
    clearState(project);
    throw err;
  }
  printReady(runtime, `\n${chalk.green('Ready')} in ${((Date.now() - began) / 1000).toFixed(1)} s (${kind} runtime, ${topology.brokers} brokers per cluster).\n`);
  return 0;
}

/** Runs `work` under a spinner that Ctrl+C turns into an abort (`interrupted`: what the work undoes). */
async function withSpinner<T>(interrupted: string, work: (progress: Progress, signal: AbortSignal) => Promise<T>): Promise<T> {
  const spinner = ora({ stream: process.stderr });
  const interrupt = onInterrupt({ onInterrupt: () => (spinner.text = `interrupted: ${interrupted}`) });
  try {
    return await work(spinnerProgress(spinner), interrupt.signal);
  } catch (err) {
    if (spinner.isSpinning) spinner.fail(interrupt.signal.aborted ? 'interrupted' : 'start failed');
    throw err;
  } finally {
    interrupt.release();
    stopSpinning(spinner);
  }
}

/**
 * `start` on a demo that was started and not stopped: bring back whatever part of it is down (a broker
 * stopped on purpose, a part whose supervisor gave up); when every part runs, say so and exit 0. Flags
 * that ask for another runtime or configuration are refused: that needs `stop` first.
 */
async function resume(flags: StartFlags, runtimeGiven: boolean, running: DemoState): Promise<number> {
  const project = projectDir();
  if (runtimeGiven && flags.runtime !== running.runtime) {
    throw new UserError(`a ${running.runtime}-runtime demo is running in ${project}; --runtime ${flags.runtime} would start a second one`, 'run `failover-demo stop` first, then start it again');
  }
  const asked = resolveTopology({ config: flags.config, brokers: flags.brokers, rewrite: flags.rewrite, replication: flags.replication }, project);
  if (JSON.stringify(asked) !== JSON.stringify(running.topology)) {
    throw new UserError(`the demo running in ${project} was started with another configuration than these flags ask for`, 'run `failover-demo stop`, then `failover-demo start` with the new configuration');
  }
  const runtime = openRuntime(project);
  const began = Date.now();
  const started = await withSpinner('stopping the parts this command started', (progress, signal) => runtime.resume({ progress, signal }));
  if (started.length === 0) {
    process.stdout.write(`The ${running.runtime} demo in ${project} is already running: every part is up, nothing to start.\n`);
    return 0;
  }
  printReady(runtime, `\n${chalk.green('Resumed')} in ${((Date.now() - began) / 1000).toFixed(1)} s: started ${started.join(', ')} again (the rest was running).\n`);
  return 0;
}

function printReady(runtime: Runtime, headline: string): void {
  const out = process.stdout;
  out.write(headline);
  const e = runtime.endpoints();
  out.write(`  Kafka via Envoy:  ${e.bootstrap.join(',')}\n`);
  out.write(`  Envoy admin:      ${e.envoyAdminUrl}\n`);
  out.write(`  primary direct:   ${e.direct.primary.join(',')}\n`);
  out.write(`  secondary direct: ${e.direct.secondary.join(',')}\n`);
  out.write(`\nNext steps:\n`);
  out.write(`  failover-demo routing                 # live view of Envoy's routing (second terminal)\n`);
  out.write(`  failover-demo produce --rate 20       # and: failover-demo consume\n`);
  out.write(`  failover-demo broker stop primary-broker-0\n`);
  out.write(`  failover-demo recovery enable primary-broker-1\n`);
  out.write(`  failover-demo status                  # processes and Envoy's view\n`);
  out.write(`  failover-demo stop                    # stop everything (--volumes also drops data)\n`);
}

/** Asks a yes/no question on the terminal; false on anything but y/yes. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
  }
}

async function stop(flags: StopFlags): Promise<number> {
  const project = projectDir();
  // Leniently: a state file from another version still says what to stop; one that says nothing goes.
  const recorded = readStateForStop(project);
  if (!recorded) clearState(project);
  if (!recorded && !flags.volumes) {
    process.stdout.write(`nothing to stop: no demo was started in ${project}\n`);
    return 0;
  }
  if (flags.volumes && !flags.yes) {
    const question = `${recorded ? 'Stop the demo and delete' : 'Delete'} the brokers' data (topics, messages, consumer offsets) in ${project}?`;
    if (!process.stdin.isTTY) {
      throw new UserError('`stop --volumes` deletes the brokers’ data and there is no terminal to confirm it on', 'add --yes to confirm (or drop --volumes to keep the data)');
    }
    if (!(await confirm(question))) {
      process.stdout.write('Nothing stopped, nothing deleted.\n');
      return 0;
    }
  }
  const spinner = ora({ stream: process.stderr });
  try {
    if (!recorded) {
      await removeUnrecordedData(project, flags, spinnerProgress(spinner));
      return 0;
    }
    const runtime = runtimeFor(recorded.runtime, recorded.topology, project);
    await runtime.stop({ progress: spinnerProgress(spinner), removeData: flags.volumes === true });
    clearState(project);
    process.stdout.write(`${chalk.green('Stopped')} the ${runtime.kind} demo in ${project}${flags.volumes ? ' and removed its data' : ''}.\n`);
    return 0;
  } finally {
    stopSpinning(spinner);
  }
}

interface StopFlags extends TopologyFlags {
  volumes?: boolean;
  yes?: boolean;
}

/**
 * `stop --volumes` with no demo recorded (a failed start, a crash of the CLI): the data both runtimes
 * may have left for this project is removed all the same. Docker only when an engine answers.
 */
async function removeUnrecordedData(project: string, flags: StopFlags, progress: Progress): Promise<void> {
  const topology = resolveTopology({ config: flags.config, brokers: flags.brokers, rewrite: flags.rewrite, replication: flags.replication }, project);
  await runtimeFor('local', topology, project).stop({ progress, removeData: true });
  const docker = await Promise.race([dockerClient().ping().then(() => true, () => false), new Promise<boolean>((r) => setTimeout(() => r(false), 3_000).unref())]);
  if (docker) await runtimeFor('docker', topology, project).stop({ progress, removeData: true });
  else progress.info('no Docker engine answers: no Docker volumes to remove');
  process.stdout.write(`No demo was recorded as running in ${project}; its brokers' data was removed${docker ? ` (local runtime, and the Docker volumes of project ${topology.project})` : ' (local runtime)'}.\n`);
}

const TONES: Record<Tone, (text: string) => string> = { plain: (t) => t, dim: chalk.dim, good: chalk.green, bad: chalk.red, warn: chalk.yellow };
const paintTone: Paint = (text, tone) => TONES[tone](text);

function printStatus(r: StatusReport): void {
  const out = process.stdout;
  const yes = (b: boolean, t: string, f: string) => (b ? chalk.green(t) : chalk.red(f));
  out.write(`${chalk.bold('Runtime')} ${r.runtime}  ${chalk.dim(r.project)}${r.startedAt ? chalk.dim(`  started ${r.startedAt}`) : ''}\n`);
  const restarts = (name: string) => {
    const cell = restartsText(r.parts?.find((p) => p.name === name));
    return cell.text === '0' || cell.text === '?' ? '' : `  restarts ${paintTone(cell.text, cell.tone ?? 'plain')}`;
  };
  out.write(`${chalk.bold('Envoy')}   ${yes(r.envoyRunning, 'running', 'stopped')}  admin ${r.endpoints.envoyAdminUrl}${restarts('envoy')}\n`);
  if (r.controller) {
    const d = r.controller.decision;
    const state = yes(r.controller.running && d.reachable, 'running', r.controller.running ? 'not answering' : 'down');
    const what = d.reachable
      ? `decided ${chalk.bold(d.activeCluster)} since ${d.since}: ${d.reason}`
      : chalk.yellow(`${d.error}: Envoy keeps routing as last decided; the runtime restarts the controller`);
    out.write(`${chalk.bold('Control')} ${state}  ${r.endpoints.controllerUrl}  ${what}${restarts('controller')}\n`);
  }
  for (const p of r.parts ?? []) {
    if (!p.gaveUp) continue;
    out.write(`\n${chalk.red(`${p.name}: its supervisor gave up after repeated crashes (${p.gaveUp.reason}).`)} \`failover-demo start\` starts it again. Last lines of its log:\n`);
    out.write(chalk.dim(p.gaveUp.logTail.split('\n').map((l) => `  ${l}`).join('\n')) + '\n');
  }
  out.write('\n');
  out.write(statusTable(r, paintTone));
  if (!r.envoy.reachable) out.write(`\n${chalk.yellow('Envoy admin not reachable:')} ${r.envoy.error}\n`);
}

interface StatusFlags {
  json?: boolean;
  clusters?: string;
  admin?: string;
}

async function status(flags: StatusFlags): Promise<number> {
  const project = projectDir();
  if (flags.admin !== undefined && flags.clusters === undefined) throw new UserError('--admin is for your own clusters', 'add --clusters FILE (README "Your own clusters")');
  const state = flags.clusters === undefined ? currentState(project) : undefined;
  if (!state && flags.clusters === undefined) {
    if (flags.json) process.stdout.write(JSON.stringify({ running: false, project }) + '\n');
    else process.stdout.write(`no demo was started in ${project} (start one with \`failover-demo start\`)\n`);
    return 0;
  }
  // Your own clusters: each broker as its health check sees it, and the Envoy you deployed.
  const runtime = flags.clusters !== undefined ? externalRuntimeOf({ clusters: flags.clusters, admin: flags.admin }) : openRuntime(project);
  const topology = runtime.topology;
  const report = await collectStatus(runtime, flags.clusters ?? project, state?.startedAt);
  const routing = report.envoy.reachable
    ? await readRouting(report.endpoints.envoyAdminUrl, topology)
        .then((snapshot) =>
          routingStatus({ ...snapshot, ...(report.controller ? { decision: report.controller.decision } : {}) }, report.brokers, topology.brokers, effectiveQuorum(topology)),
        )
        .catch(() => undefined)
    : undefined;
  const replicatorUrl = report.endpoints.replicatorUrl;
  const replication = replicatorUrl === undefined ? undefined : await readReplication(replicatorUrl);
  if (flags.json) process.stdout.write(JSON.stringify({ running: true, ...report, ...(routing ? { routing } : {}), ...(replication ? { replication } : {}) }, null, 2) + '\n');
  else {
    printStatus(report);
    if (routing) printRouting(routing);
    if (replicatorUrl !== undefined && replication) {
      const part = report.parts?.find((p) => p.name === 'replicator');
      const lines = replicationSection({ url: replicatorUrl, reading: replication, ...(part ? { part } : {}) }, chalk, Date.now());
      process.stdout.write(`\n${lines.join('\n')}\n`);
    }
  }
  return 0;
}

/** The overall routing, and whether Envoy has caught up with the brokers' states yet. */
function printRouting(r: RoutingStatus): void {
  const now = describeRouting({ activeCluster: r.activeCluster, listeners: r.listeners.map((l) => l.routesTo) });
  const colour = r.activeCluster === 'primary' ? chalk.green : r.activeCluster === 'secondary' ? chalk.yellow : chalk.red;
  process.stdout.write(`\n${chalk.bold('Routing')} ${colour(now)}\n`);
  if (!r.settled) {
    process.stdout.write(chalk.dim(`        the brokers' states lead to ${describeRouting(r.expected)} once Envoy's health checks catch up (see \`failover-demo timing\`)\n`));
  }
}

export function register(program: Command): void {
  program
    .command('start')
    .description('render the configs, install what is missing, start both clusters and Envoy, wait until ready; on a running demo, start whatever part of it is down')
    .addOption(parsedOption('--runtime <kind>', `where to run: ${RUNTIME_KINDS.join(' or ')} (remembered for later commands)`, runtimeKind, 'docker'))
    .option('--config <file>', 'YAML config file (keys as in `failover-demo config`)')
    .option('--brokers <n>', 'brokers per cluster')
    .option('--rewrite <strategy>', 'kafka-filter or advertised')
    .option('--replication <mode>', 'none or shadow: the secondary copies the primary (topics and group offsets) while the primary is active')
    .option('--fresh', "discard the brokers' data from earlier runs first (needed when the configuration changed)")
    .action(returnsExitCode((flags: StartFlags, cmd: Command) => start(flags, cmd.getOptionValueSource('runtime') !== 'default')));

  program
    .command('stop')
    .description('stop everything `start` started (safe to run twice)')
    .option('--volumes', 'also remove the brokers’ data (asks first; see --yes)')
    .option('-y, --yes', 'do not ask before removing data with --volumes')
    .option('--config <file>', 'with --volumes and no demo recorded: the config whose Docker project to clean')
    .action(returnsExitCode((flags: StopFlags) => stop(flags)));

  program
    .command('status')
    .description('each process (running, id, recovery mode), Envoy’s view of each endpoint, the overall routing, and with replication the replicator’s phase, lag and events')
    .option('--json', 'machine-readable output')
    .option('--clusters <file>', 'your own clusters (README "Your own clusters"): each broker by the health check Envoy runs, and the Envoy you deployed')
    .option('--admin <url>', "with --clusters: that Envoy's admin URL (default http://127.0.0.1:<envoy.adminPort>)")
    .action(returnsExitCode((flags: StatusFlags) => status(flags)));
}
