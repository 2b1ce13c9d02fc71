/** `failover-demo timing`: when Envoy should notice each kind of fault, with the arithmetic. */
import type { Command } from 'commander';
import chalk from 'chalk';
import { resolveTopology } from '../context.js';
import { formatSeconds, formatWindow, outlierDetectionNote, predictCoherent, predictTiming, recoveryModeCase, type TimingPrediction } from '../../envoy/timing.js';
import { effectiveQuorum, type HealthCheckSettings, type Topology } from '../../config/topology.js';
import { CONTROLLER_POLL_MS } from '../../render/controller.js';
import { returnsExitCode } from '../exit-code.js';

const CASES: { key: keyof Omit<TimingPrediction, 'traffic'>; label: string }[] = [
  { key: 'refused', label: 'broker killed (connection refused) → unhealthy' },
  { key: 'hung', label: 'broker hung (health check times out) → unhealthy' },
  { key: 'errorStatus', label: 'Schema Registry answers non-200 → unhealthy' },
  { key: 'vanished', label: 'container stopped (Docker: refused, then timeouts) → unhealthy' },
  { key: 'returned', label: 'container started again (Docker: DNS re-adds it) → healthy' },
  { key: 'recovered', label: 'Schema Registry answers 200 again → healthy' },
];

export function describeHealthCheck(hc: HealthCheckSettings): string {
  return (
    `GET ${hc.path} on port ${hc.port} every ${formatSeconds(hc.intervalMs)} s (+0–${formatSeconds(hc.intervalJitterMs)} s jitter), ` +
    `timeout ${formatSeconds(hc.timeoutMs)} s, unhealthy after ${hc.unhealthyThreshold} failures, healthy after ${hc.healthyThreshold} passes`
  );
}

function render(t: Topology, traffic: boolean): string {
  const p = predictTiming(t.healthCheck, { traffic });
  const recoveryCase = recoveryModeCase(t.local.recoveryBehaviour);
  const lines = [
    chalk.bold('Envoy health check: ') + describeHealthCheck(t.healthCheck),
    chalk.dim(
      traffic
        ? `Assumes clients have connected through Envoy. Before any traffic every wait is no_traffic_interval (${formatSeconds(t.healthCheck.noTrafficIntervalMs)} s): see --no-traffic.`
        : 'Assumes no client has connected through Envoy yet: every wait is no_traffic_interval.',
    ),
    '',
  ];
  for (const { key, label } of CASES) {
    lines.push(`  ${label.padEnd(50)} ${chalk.cyan(formatWindow(p[key]))}`);
    lines.push(chalk.dim(`    ${p[key].explanation}`));
  }
  lines.push('');
  lines.push(
    `  Recovery mode disables the Schema Registry; the local runtime's stand-in then ${
      t.local.recoveryBehaviour === 'http-503' ? 'answers 503' : 'refuses connections'
    } (local.recoveryBehaviour), so entering it is detected like "${CASES.find((c) => c.key === recoveryCase)!.label.split(' →')[0]}": ${chalk.cyan(formatWindow(p[recoveryCase]))}.`,
  );
  if (t.failover.policy !== 'coherent') {
    lines.push('  Each listener flips to the secondary broker the moment its primary broker is marked unhealthy (panic routing is off).');
  }
  lines.push(`  ${outlierDetectionNote(t.outlierDetection)}`);
  if (t.failover.policy === 'coherent') {
    const c = predictCoherent(p, { failbackHoldMs: t.failover.failbackHoldMs, pollMs: CONTROLLER_POLL_MS, failback: t.failover.failback });
    lines.push('');
    lines.push(chalk.bold(`Coherent policy (quorum ${effectiveQuorum(t)} of ${t.brokers}): every listener moves at once`));
    lines.push(`  ${'failover: active cluster below its quorum → other cluster'.padEnd(50)} ${chalk.cyan(formatWindow(c.failover))}`);
    lines.push(chalk.dim(`    ${c.failover.explanation}`));
    lines.push(`  ${'failback: every primary broker healthy → primary'.padEnd(50)} ${chalk.cyan(t.failover.failback === 'manual' ? 'manual' : formatWindow(c.failback))}`);
    lines.push(chalk.dim(`    ${c.failback.explanation}`));
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('timing')
    .description('expected time (earliest–latest) for Envoy to detect a killed / hung / failing broker and its recovery')
    .option('--config <file>', 'topology config file (default: the running demo, else the defaults)')
    .option('--no-traffic', 'windows for an Envoy that has not carried client traffic yet')
    .option('--json', 'print the windows as JSON')
    .action(returnsExitCode((opts: { config?: string; traffic: boolean; json?: boolean }) => {
      const topology = resolveTopology({ config: opts.config });
      if (opts.json) {
        const prediction = predictTiming(topology.healthCheck, { traffic: opts.traffic });
        process.stdout.write(
          JSON.stringify(
            {
              healthCheck: topology.healthCheck,
              recoveryModeCase: recoveryModeCase(topology.local.recoveryBehaviour),
              ...prediction,
              outlierDetection: outlierDetectionNote(topology.outlierDetection),
              policy: topology.failover.policy,
              ...(topology.failover.policy === 'coherent'
                ? { coherent: predictCoherent(prediction, { failbackHoldMs: topology.failover.failbackHoldMs, pollMs: CONTROLLER_POLL_MS, failback: topology.failover.failback }) }
                : {}),
            },
            null,
            2,
          ) + '\n',
        );
        return 0;
      }
      process.stdout.write(render(topology, opts.traffic) + '\n');
      return 0;
    }));
}
