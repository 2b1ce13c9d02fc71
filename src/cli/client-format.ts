/** Plain-text renderings of the clients' live state and summaries (the CLI adds colour). */
import type { ConsumerStats, ConsumerSummary } from '../kafka/consumer.js';
import type { LedgerVerification } from '../kafka/ledger.js';
import type { ProducerStats, ProducerSummary } from '../kafka/producer.js';

const ms = (v: number | undefined) => (v === undefined ? '-' : `${Math.round(v)}ms`);

export function producerLine(s: ProducerStats): string {
  const by = `primary ${s.ackedBy.primary} / secondary ${s.ackedBy.secondary}${s.ackedBy.unknown ? ` / unknown ${s.ackedBy.unknown}` : ''}`;
  const state = s.state === 'producing' ? '' : ` [${s.state}${s.lastError && s.state !== 'stopped' ? `: ${s.lastError}` : ''}]`;
  return (
    `${s.rate.toFixed(0)} msg/s  sent ${s.sent}  acked ${s.acked}  failed ${s.failed}  in-flight ${s.inFlight}  ` +
    `p50 ${ms(s.p50Ms)} p99 ${ms(s.p99Ms)}  acked by ${by}  now: ${s.lastCluster ?? '-'}${state}`
  );
}

export function consumerLine(s: ConsumerStats): string {
  const state = s.state === 'consuming' ? '' : ` [${s.state}${s.lastError && s.state === 'retrying' ? `: ${s.lastError}` : ''}]`;
  return (
    `${s.rate.toFixed(0)} msg/s  received ${s.received}  e2e p50 ${ms(s.p50Ms)} p99 ${ms(s.p99Ms)}  ` +
    `gaps ${s.gaps}  duplicates ${s.duplicates}  cluster ${s.cluster ?? '-'}  switches ${s.clusterSwitches}${state}`
  );
}

const time = (at: number) => new Date(at).toISOString().slice(11, 23);

export function producerSummaryText(s: ProducerSummary): string[] {
  const lines = [
    `producer ${s.producerId} on ${s.topic}: sent ${s.sent}, acked ${s.acked}, failed ${s.failed} in ${(s.durationMs / 1000).toFixed(1)}s (${s.ackRate} acks/s)`,
    `acked by primary ${s.ackedBy.primary}, secondary ${s.ackedBy.secondary}${s.ackedBy.unknown ? `, unknown cluster ${s.ackedBy.unknown}` : ''}`,
    `ack latency p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`,
  ];
  for (const c of s.clusterChanges) lines.push(`${time(c.at)} acks moved ${c.from} -> ${c.to}`);
  if (s.ledgerFile) lines.push(`ledger: ${s.ledgerFile} (check it with \`failover-demo verify-ledger ${s.ledgerFile}\`)`);
  return lines;
}

export function consumerSummaryText(s: ConsumerSummary): string[] {
  const lines = [
    `consumer group ${s.groupId} on ${s.topic}: received ${s.received} in ${(s.durationMs / 1000).toFixed(1)}s, gaps ${s.gaps}, duplicates ${s.duplicates}, cluster switches ${s.clusterSwitches}`,
    `received from primary ${s.receivedBy.primary}, secondary ${s.receivedBy.secondary}; end-to-end latency p50 ${ms(s.latencyMs.p50)}, p99 ${ms(s.latencyMs.p99)}, max ${ms(s.latencyMs.max)}`,
  ];
  for (const w of s.switches) lines.push(`${time(w.at)} switched ${w.from} -> ${w.to} (rejoined, on-switch ${s.onSwitch})`);
  for (const [id, r] of Object.entries(s.producers)) {
    const ranges = r.gapRanges.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(', ');
    lines.push(`  ${id}: seq ${r.lowest}..${r.highest}, ${r.distinct} distinct, gaps ${r.gaps}${ranges ? ` (${ranges}${r.gapRanges.length >= 10 ? ', ...' : ''})` : ''}, duplicates ${r.duplicates}`);
  }
  if (s.foreign) lines.push(`  ${s.foreign} record(s) on the topic were not failover-demo probe messages`);
  return lines;
}

export function ledgerText(v: LedgerVerification): string[] {
  const per = Object.entries(v.byCluster).map(([c, n]) => `${c} ${n}`).join(', ');
  const lines = [`checked ${v.checked} acked message(s) (${per || 'none'}): ${v.missing} missing`];
  if (v.relabelled > 0) {
    const on = Object.entries(v.foundOn).map(([c, n]) => `${c} ${n}`).join(', ');
    lines.push(`  ${v.relabelled} were acknowledged by the other cluster than their label said (found at their acked offset there); really on: ${on}`);
  }
  for (const m of v.missingSamples) lines.push(`  missing ${m.producer} #${m.seq} ${m.cluster} ${m.topic}[${m.partition}]@${m.offset}: ${m.reason}`);
  return lines;
}
