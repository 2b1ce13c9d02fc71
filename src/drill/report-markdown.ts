/** report.md: the drill report in Markdown (pure). */
import { formatSeconds } from '../envoy/timing.js';
import { describeRouting } from '../envoy/routing-model.js';
import { msText as ms, windowText as win, type DrillReport } from './report-model.js';

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** The crash scenarios' own table: the part's time back and the clients' recovery. */
function crashSection(r: DrillReport): string[] {
  const c = r.crash;
  if (!c) return [];
  return [
    '## Crash',
    '',
    '| | measured |',
    '|---|---|',
    `| killed (SIGKILL) | ${c.killed} |`,
    `| running again (kill → its supervisor restarted it) | ${ms(c.backMs)} |`,
    `| serving again (kill → ${c.part === 'envoy' ? "Envoy's admin API LIVE" : 'Kafka API and Schema Registry answer'}) | ${ms(c.servingMs)} |`,
    ...(c.ledPartitions ? [`| leader election (kill → partitions ${c.ledPartitions.join(', ')} led by another broker) | ${c.leaderElectionMs === null ? 'not moved: the broker was back first' : ms(c.leaderElectionMs ?? null)} |`] : []),
    `| producer recovery (kill → every partition acknowledged again) | ${ms(c.producerRecoveryMs)} |`,
    `| consumer recovery (kill → every partition received again) | ${ms(c.consumerRecoveryMs)} |`,
    `| sends failed meanwhile (after kafkajs retries) | ${c.failedSends} |`,
    `| restarts counted by the supervisor | ${c.restarts ?? '—'} |`,
    '',
  ];
}

export function renderMarkdown(r: DrillReport, svgFile = 'timeline.svg'): string {
  const hc = r.healthCheck;
  const lines = [
    `# Drill \`${r.scenario}\`: ${r.passed ? 'passed ✓' : 'FAILED ✗'}`,
    '',
    `${r.description} ${r.brokers} brokers per cluster, ${r.runtime} runtime, ${r.startedAt}, ${formatSeconds(r.durationMs)} s.`,
    `Health check: every ${formatSeconds(hc.intervalMs)} s (+0–${formatSeconds(hc.intervalJitterMs)} s jitter), timeout ${formatSeconds(hc.timeoutMs)} s, ` +
      `unhealthy after ${hc.unhealthyThreshold}, healthy after ${hc.healthyThreshold}. Routing polled every ${r.pollMs} ms.`,
    '',
    `![routing timeline](${svgFile})`,
    '',
    '## Measured vs predicted',
    '',
    '| | measured | predicted (`failover-demo timing`) |',
    '|---|---|---|',
    `| detection (fault → Envoy routing change) | ${ms(r.detectionMs)}${r.steps.find((s) => s.detectedBy)?.detectedBy ? ` (${r.steps.find((s) => s.detectedBy)!.detectedBy})` : ''} | ${win(r.predicted.detection)} (health check) |`,
    `| client recovery (fault → first ack on secondary) | ${ms(r.clientRecoveryMs)} | detection + client retry/metadata refresh |`,
    `| failback (broker serving again → all listeners on primary) | ${ms(r.failbackMs)} | ${win(r.predicted.failback)} |`,
    `| time split (listeners on different clusters) | ${ms(r.splitMs)} | |`,
    ...(r.clientFailbackMs !== undefined ? [`| client failback (primary serving again → first ack on primary) | ${ms(r.clientFailbackMs)} | failback + client reconnect |`] : []),
    ...(r.acksOnInactiveCluster !== undefined ? [`| acks on the cluster Envoy no longer routes to (clients left behind) | ${r.acksOnInactiveCluster} | ${r.policy === 'coherent' ? '0' : '—'} |`] : []),
    ...(r.lateClients
      ? [
          `| clients started after the last step | producer acked on ${Object.entries(r.lateClients.producerAckedBy).filter(([, n]) => n > 0).map(([c]) => c).join(', ') || 'nothing'}, consumer on ${r.lateClients.consumerCluster ?? '—'}; the drill's producer acked last on ${r.lateClients.runningProducerCluster ?? '—'} | the same cluster |`,
        ]
      : []),
    `| acknowledged messages missing | ${r.ackedMissing ?? 'not checked'} | 0 |`,
    '',
    ...crashSection(r),
    '## Steps',
    '',
    '| # | step | PoC | expected | observed | Envoy took (from effect / from command) | predicted | step total | |',
    '|---|---|---|---|---|---|---|---|---|',
    ...r.steps.map((s, i) =>
      `| ${i + 1} | ${escapeCell(s.name)} | ${s.poc ?? ''} | ${escapeCell(describeRouting(s.expected))} | ${escapeCell(describeRouting(s.observed))} | ` +
        `${s.heldMs !== undefined ? `held ${ms(s.heldMs)}` : `${ms(s.settleMs)} / ${ms(s.fromCommandMs)}`}${s.detectedBy ? ` (${s.detectedBy})` : ''} | ${win(s.predicted)} (${s.predicted.case}) | ${ms(s.ms)} | ${s.passed ? '✓' : '✗'} |`,
    ),
    '',
    ...r.steps.map((s, i) => `${i + 1}. ${escapeCell(s.why)}${s.notes?.length ? ` (${escapeCell(s.notes.join('; '))})` : ''}${s.error ? ` **Failed:** ${escapeCell(s.error)}` : ''}`),
    '',
    ...(r.steps.some((s) => s.detectedBy?.includes('outlier'))
      ? [
          'Outlier detection: while clients keep connecting, Envoy ejects a broker after consecutive failed connections through its listener, ' +
            'usually well before the health check marks it; the health check then keeps it out and brings it back (the predicted windows are for the health check).',
          '',
        ]
      : []),
    '## Clients',
    '',
    `Producer: ${r.clients.sent} sent, ${r.clients.acked} acknowledged (${Object.entries(r.clients.ackedBy)
      .filter(([, n]) => n > 0)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || 'none'}), ${r.clients.failed} failed sends.`,
  ];
  if (r.clients.received !== undefined) {
    lines.push(
      `Consumer: ${r.clients.received} received, ${r.clients.gaps ?? 0} gaps, ${r.clients.duplicates ?? 0} duplicates, ${r.clients.clusterSwitches ?? 0} cluster switches.`,
    );
  }
  if (r.ledger) {
    lines.push(
      `Ledger: ${r.ledger.checked} acknowledged messages read back directly from the clusters; ${r.ledger.missing} missing.` +
        (r.ledger.onOtherCluster > 0
          ? ` ${r.ledger.onOtherCluster} of them were on the other cluster than their acknowledgement said: written during the split, when the client's metadata came from one cluster and a listener sent its writes to the other.`
          : ''),
    );
  } else {
    lines.push('Ledger: not checked.');
  }
  if (r.failure) {
    lines.push('', '## Failure', '', `Step "${r.failure.step}": ${r.failure.message}`, '', `Environment: ${r.failure.environment}.`);
  }
  return lines.join('\n') + '\n';
}
