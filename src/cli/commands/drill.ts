/** `failover-demo drill`: run a scenario, assert every routing state, measure, write a report. */
import type { Command } from 'commander';
import type { Ora } from 'ora';
import { resolve } from 'node:path';
import chalk from 'chalk';
import ora from 'ora';
import { formatSeconds, formatWindow } from '../../envoy/timing.js';
import { runDrill, type DrillEvent } from '../../drill/engine.js';
import { drillProgressFile, recordDrillProgress } from '../../drill/dashboard-progress.js';
import { projectDir } from '../../util/paths.js';
import { describeRouting } from '../../envoy/routing-model.js';
import { writeReportFiles, type DrillReport, type StepResult } from '../../drill/report.js';
import { buildScenario, SCENARIO_NAMES, type Scenario, type ScenarioName } from '../../drill/scenarios.js';
import { effectiveQuorum } from '../../config/topology.js';
import { UserError } from '../../util/errors.js';
import { openRuntime } from '../context.js';
import { gameDayRuntime, type GameDayFlags } from '../gameday.js';
import { parseBrokerList, parseTopic } from '../client-flags.js';
import type { Runtime } from '../../runtime/types.js';
import { returnsExitCode } from '../exit-code.js';
import { onInterrupt } from '../interrupt.js';
import { oneOf, parsedOption, positiveInt } from '../options.js';

interface DrillFlags extends Partial<GameDayFlags> {
  scenario: ScenarioName;
  report?: string;
  restore?: boolean;
  rate: number;
  poll: number;
  json?: boolean;
}

function stepLine(i: number, r: StepResult): string {
  const took = r.heldMs !== undefined ? `held ${formatSeconds(r.heldMs)} s` : r.settleMs !== undefined ? `Envoy ${formatSeconds(r.settleMs)} s` : 'not reached';
  return `${i + 1}. ${r.name} → ${describeRouting(r.observed)}  ${chalk.dim(`${took} (predicted ${formatWindow(r.predicted)}), step ${formatSeconds(r.ms)} s`)}`;
}

function summary(r: DrillReport): string[] {
  const s = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${formatSeconds(v)} s`);
  const c = r.crash;
  if (c) {
    return [
      `killed ${c.killed}: running again after ${s(c.backMs)}, serving after ${s(c.servingMs)} (restarts ${c.restarts ?? '—'})` +
        (c.ledPartitions ? ` · leadership of partition${c.ledPartitions.length === 1 ? '' : 's'} ${c.ledPartitions.join(', ')} moved after ${s(c.leaderElectionMs)}` : ''),
      `clients: every partition acknowledged again after ${s(c.producerRecoveryMs)}, received again after ${s(c.consumerRecoveryMs)}, ${c.failedSends} failed send(s)`,
      `acked ${r.clients.acked} of ${r.clients.sent}, ledger: ${r.ledger ? `${r.ledger.checked} checked, ${r.ledger.missing} missing` : 'not checked'}`,
    ];
  }
  return [
    `detection ${s(r.detectionMs)}${r.predicted.detection ? chalk.dim(` (predicted ${formatWindow(r.predicted.detection)})`) : ''}` +
      ` · client recovery ${s(r.clientRecoveryMs)}` +
      ` · failback ${s(r.failbackMs)}${r.predicted.failback ? chalk.dim(` (predicted ${formatWindow(r.predicted.failback)})`) : ''}` +
      ` · split ${s(r.splitMs)}`,
    `acked ${r.clients.acked} of ${r.clients.sent} (${Object.entries(r.clients.ackedBy).filter(([, n]) => n > 0).map(([c, n]) => `${c} ${n}`).join(', ')}), ` +
      `ledger: ${r.ledger ? `${r.ledger.checked} checked, ${r.ledger.missing} missing` : 'not checked'}`,
  ];
}

/** Shows the drill's progress on the spinner, a line per finished step (nothing but the spinner's stop with --json). */
function progressView(scenario: Scenario, spinner: Ora, json: boolean): (e: DrillEvent) => void {
  let stepStart = 0;
  let deadline = 0;
  return (e) => {
    switch (e.type) {
      case 'phase':
        spinner.start(e.text);
        break;
      case 'phase-done':
        if (json) spinner.stop();
        else spinner.succeed(e.text);
        break;
      case 'step-start':
        stepStart = Date.now();
        deadline = e.deadlineMs;
        spinner.start(`${e.index + 1}. ${e.step.name}`);
        break;
      case 'step-action':
        spinner.text = `${e.index + 1}. ${scenario.steps[e.index]!.name}: ${e.text}`;
        break;
      case 'step-waiting':
        spinner.text = `${e.index + 1}. ${scenario.steps[e.index]!.name}: waiting for ${e.expected} — now ${e.observed} ${chalk.dim(`(${formatSeconds(Date.now() - stepStart)} s, deadline ${formatSeconds(deadline)} s after the action)`)}`;
        break;
      case 'step-end':
        if (json) spinner.stop();
        else if (e.result.passed) spinner.succeed(stepLine(e.index, e.result));
        else spinner.fail(stepLine(e.index, e.result) + '\n   ' + chalk.red(e.result.error ?? `expected ${describeRouting(e.result.expected)}`));
        break;
    }
  };
}

/** The running demo, or with --clusters users' own clusters (a game day); flags that need --clusters refused without it. */
async function drillRuntime(flags: DrillFlags, signal: AbortSignal): Promise<Runtime> {
  if (flags.clusters) return gameDayRuntime({ ...flags, clusters: flags.clusters }, signal);
  const only = (['admin', 'bootstrap', 'stepCmd', 'topic'] as const).filter((k) => flags[k] !== undefined);
  if (only.length > 0) {
    const names = only.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ');
    throw new UserError(`${names} ${only.length === 1 ? 'is' : 'are'} for a game day on your own clusters`, 'add --clusters FILE (README "Your own clusters"), or leave them out to drill the running demo');
  }
  return openRuntime();
}

/** The terminal's progress view, plus (the demo's own runtimes) the steps a running `dashboard` shows. */
function withDashboard(view: (e: DrillEvent) => void, runtime: Runtime, scenario: Scenario): (e: DrillEvent) => void {
  if (runtime.kind === 'external') return view;
  const record = recordDrillProgress(drillProgressFile(projectDir()), runtime, scenario);
  return (e) => {
    view(e);
    record(e);
  };
}

async function drill(flags: DrillFlags): Promise<number> {
  const interrupt = onInterrupt();
  let runtime: Runtime;
  try {
    runtime = await drillRuntime(flags, interrupt.signal);
  } catch (err) {
    interrupt.release();
    throw err;
  }
  const t = runtime.topology;
  const scenario = buildScenario(flags.scenario, t.brokers, t.failover.policy, {
    quorum: effectiveQuorum(t),
    failback: t.replication.mode === 'shadow' ? 'manual' : t.failover.failback,
    switchBack: t.replication.mode === 'shadow',
  });
  const out = (line: string) => {
    if (!flags.json) process.stdout.write(line + '\n');
  };
  const spinner = ora({ stream: process.stderr, isEnabled: !flags.json && process.stderr.isTTY && !(flags.clusters && !flags.stepCmd) });
  out(chalk.bold(`Drill ${scenario.name}`) + chalk.dim(` — ${scenario.description} (${scenario.steps.length} steps)`));
  let report: DrillReport;
  try {
    report = await runDrill({
      runtime,
      scenario,
      restoreOnFailure: flags.restore,
      rate: flags.rate,
      pollMs: flags.poll,
      signal: interrupt.signal,
      onEvent: withDashboard(progressView(scenario, spinner, flags.json === true), runtime, scenario),
    });
  } catch (err) {
    spinner.fail('drill could not run');
    throw err;
  } finally {
    interrupt.release();
  }
  spinner.stop();
  if (flags.report) {
    const files = writeReportFiles(resolve(flags.report), report);
    out(chalk.dim(`report: ${files.json}, ${files.md}, ${files.svg}, ${files.html}`));
  }
  if (flags.json) process.stdout.write(JSON.stringify(report, null, 2) + '\n');
  for (const line of summary(report)) out(line);
  if (report.passed) {
    out(chalk.green('✓ drill passed'));
    return 0;
  }
  out(chalk.red('✗ drill failed') + (report.failure ? `: step "${report.failure.step}": ${report.failure.message}` : report.ledger && report.ledger.missing > 0 ? `: ${report.ledger.missing} acknowledged messages missing` : ''));
  if (report.failure?.environment === 'left as it failed' && runtime.kind === 'external') {
    out(chalk.dim('Your clusters are left as the failed step left them: start any broker it stopped yourself (or with your step command).'));
  } else if (report.failure?.environment === 'left as it failed') {
    out(chalk.dim('The environment is left as it failed: inspect it with `failover-demo status` / `failover-demo routing`; restore it with `failover-demo restore-primary` (or run the drill with --restore).'));
  }
  return 1;
}

const scenarioName = oneOf(SCENARIO_NAMES, (name) => new UserError(`unknown scenario "${name}"`, `scenarios: ${SCENARIO_NAMES.join(', ')}`));

export function register(program: Command): void {
  program
    .command('drill')
    .description('run a failover scenario against the running demo: assert each routing state, measure detection / recovery / failback, check no acknowledged message is lost')
    .addOption(parsedOption('--scenario <name>', `one of ${SCENARIO_NAMES.join(', ')}`, scenarioName, 'recovery-mode'))
    .option('--report <dir>', 'write report.json, report.md, timeline.svg and report.html (the dashboard page, static) there')
    .option('--restore', 'if a step fails, restore every broker (default: leave the environment as it failed, for inspection)')
    .addOption(parsedOption('--rate <n>', 'producer messages per second', positiveInt, '20'))
    .addOption(parsedOption('--poll <ms>', 'how often Envoy routing is read', positiveInt, '100'))
    .option('--json', 'print the report as JSON (no live step list)')
    .option('--clusters <file>', 'a game day on your own clusters (README "Your own clusters"), behind the Envoy you deployed from `render --clusters`')
    .option('--admin <url>', "with --clusters: that Envoy's admin URL (default http://127.0.0.1:<envoy.adminPort>)")
    .addOption(parsedOption('--bootstrap <host:port,...>', "with --clusters: that Envoy's listeners (default: envoy.advertisedHost, envoy.listenerPort + i)", parseBrokerList))
    .option('--step-cmd <hook>', 'with --clusters: "ACTION TARGET=COMMAND" run for each broker a step stops or starts (ACTION stop|start; TARGET a broker, primary, secondary or *; {broker} {cluster} {index} {id} {host} {port} replaced; no shell). Without one, the drill asks you at the terminal. Repeatable', (v: string, all: string[] = []) => [...all, v])
    .addOption(parsedOption('--topic <name>', 'with --clusters: the topic the drill produces to, on both clusters (default: test-topic)', parseTopic))
    .action(returnsExitCode((flags: DrillFlags) => drill(flags)));
}
