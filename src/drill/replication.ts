/**
 * The drill under replication (replication.mode: shadow): what replication cost and saved.
 *
 * While the drill runs, the replicator's lag is sampled (`ReplicationWatch`). At the end, once the
 * forward copy has caught up, both clusters are read straight from their brokers and every acknowledged
 * message is looked up on the cluster it was not acknowledged by:
 *  - acked by the primary before the promotion, not on the secondary: lost to replication lag, the
 *    recovery point of the failover (expected, counted, listed by sequence number);
 *  - acked by the primary after the failback, not on the secondary (once the lag is 0): a failure;
 *  - acked by the secondary, not on the primary after the failback: a failure (the catch-up missed it).
 * The consumer's gaps are judged without the messages lost to lag; its duplicates against what one
 * offset-sync interval per switch can explain.
 */
import type { ConsumerSummary } from '../kafka/consumer.js';
import { waitFor } from '../util/wait.js';
import type { AckRecord } from './clients.js';
import type { DrillContext } from './context.js';
import { sequencesOn } from './ledger-scan.js';
import { replicatorCall, type ReplicationView } from './switch.js';

export interface ReplicationReport {
  mode: 'shadow';
  /** Replication lag sampled while the primary was active, in records (p50 / p99 / max over the samples). */
  lagRecords: { p50: number; p99: number; max: number; samples: number };
  /** When the secondary was promoted (epoch ms), if it was. */
  promotedAt?: number;
  /** Acked by the primary before the promotion and never copied: the recovery point (sequence numbers). */
  lostToReplicationLag: number[];
  /** Acked by the secondary, missing on the primary after the failback: a failure. */
  secondaryAckedMissingOnPrimary: number[];
  /** Acked by the primary after the failback, missing on the secondary once the lag was 0: a failure. */
  primaryAckedMissingOnSecondary: number[];
  /**
   * Acknowledged messages the consumer never received, between the first and the last it received, other
   * than those lost to replication lag (its gaps; a send that failed is no gap).
   */
  consumerGaps: number;
  consumerGapSeqs: number[];
  consumerDuplicates: number;
  /** Duplicates one offset-sync interval per switch explains (rate × (interval + 1 s) × switches). */
  duplicatesBound: number;
  /** The replicator's lag while the primary was active, as sampled (epoch ms, records). */
  lagSamples: { at: number; lag: number }[];
  passed: boolean;
}

/** Samples the replicator's view every `everyMs` while the drill runs. */
export class ReplicationWatch {
  readonly samples: { at: number; phase: string; lag?: number }[] = [];
  promotedAt?: number;
  private timer?: NodeJS.Timeout;

  constructor(private readonly url: string, private readonly everyMs = 500) {}

  start(): void {
    this.timer = setInterval(() => void this.sample(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async sample(): Promise<void> {
    const v = await replicatorCall(this.url, '/v1/replication', 'GET', 2_000).catch(() => undefined);
    if (!v) return;
    this.samples.push({ at: Date.now(), phase: v.phase, ...(v.lag ? { lag: v.lag.total } : {}) });
    if (v.promotion && this.promotedAt === undefined) this.promotedAt = v.promotion.at;
  }
}

/**
 * Before the first fault: the replicator copies what the drill's producer writes (lag read after the
 * clients ran 2 s, at most a second's worth of messages). A fault before that would measure a replicator
 * still starting (MirrorMaker 2 takes seconds), not replication lag.
 */
export async function waitCopying(ctx: DrillContext, since: number): Promise<void> {
  const url = ctx.endpoints.replicatorUrl!;
  ctx.emit({ type: 'phase', text: "waiting for the replicator to copy the clients' messages to the secondary" });
  let lag: number | undefined;
  await waitFor(
    async () => {
      const v = await replicatorCall(url, '/v1/replication', 'GET', 3_000);
      lag = v.lag?.total;
      return v.phase === 'forward' && v.lag !== undefined && v.lag.at > since + 2_000 && v.lag.total <= Math.max(5, ctx.rate);
    },
    { timeoutMs: 120_000, intervalMs: 500, what: `the replicator to keep up with the drill's producer (lag ${lag ?? 'unknown'})`, signal: ctx.signal },
  );
  ctx.emit({ type: 'phase-done', text: `replicator keeps up: ${lag} record(s) behind` });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Waits until the replicator copies forward with lag 0 (the primary active again, everything copied). */
async function forwardCaughtUp(url: string, signal?: AbortSignal): Promise<ReplicationView> {
  let last: ReplicationView | undefined;
  await waitFor(
    async () => {
      last = await replicatorCall(url, '/v1/replication', 'GET', 3_000);
      return last.phase === 'forward' && last.lag !== undefined && last.lag.total === 0;
    },
    { timeoutMs: 60_000, intervalMs: 500, what: 'the replicator to copy everything to the secondary (lag 0)', signal },
  );
  return last!;
}

export async function measureReplication(
  ctx: DrillContext,
  watch: ReplicationWatch,
  clients: { acks: readonly AckRecord[]; producerId: string; receivedSeqs: ReadonlySet<number> },
  consumer: ConsumerSummary | undefined,
): Promise<ReplicationReport> {
  const { acks, producerId, receivedSeqs } = clients;
  const url = ctx.endpoints.replicatorUrl!;
  ctx.emit({ type: 'phase', text: 'replication: waiting for the secondary to have everything, then reading both clusters' });
  await forwardCaughtUp(url, ctx.signal);
  const [onPrimary, onSecondary] = await Promise.all([
    sequencesOn(ctx.endpoints.direct.primary, ctx.topic, producerId),
    sequencesOn(ctx.endpoints.direct.secondary, ctx.topic, producerId),
  ]);
  const promotedAt = watch.promotedAt;
  const lost: number[] = [];
  const primaryMissing: number[] = [];
  const secondaryMissing: number[] = [];
  for (const a of acks) {
    if (a.cluster === 'secondary' && !onPrimary.has(a.seq)) secondaryMissing.push(a.seq);
    if (a.cluster !== 'primary' || onSecondary.has(a.seq)) continue;
    if (promotedAt !== undefined && a.at <= promotedAt) lost.push(a.seq);
    else primaryMissing.push(a.seq);
  }
  const lags = watch.samples.filter((s) => s.phase === 'forward' && s.lag !== undefined).map((s) => s.lag!).sort((x, y) => x - y);
  const switches = consumer?.clusterSwitches ?? 0;
  const duplicatesBound = Math.ceil((ctx.rate * (ctx.topology.replication.syncIntervalMs + 1_000) * Math.max(1, switches)) / 1000);
  const lostSet = new Set(lost);
  const seen = [...receivedSeqs];
  const [first, last] = [Math.min(...seen), Math.max(...seen)];
  const gapSeqs = acks.filter((a) => a.seq > first && a.seq < last && !receivedSeqs.has(a.seq) && !lostSet.has(a.seq)).map((a) => a.seq);
  const consumerGaps = gapSeqs.length;
  const consumerDuplicates = consumer?.duplicates ?? 0;
  const report: ReplicationReport = {
    mode: 'shadow',
    lagRecords: { p50: percentile(lags, 50), p99: percentile(lags, 99), max: lags.at(-1) ?? 0, samples: lags.length },
    ...(promotedAt !== undefined ? { promotedAt } : {}),
    lostToReplicationLag: lost.sort((x, y) => x - y),
    secondaryAckedMissingOnPrimary: secondaryMissing,
    primaryAckedMissingOnSecondary: primaryMissing,
    consumerGaps,
    consumerDuplicates,
    duplicatesBound,
    consumerGapSeqs: gapSeqs.slice(0, 50),
    lagSamples: watch.samples.filter((x) => x.phase === 'forward' && x.lag !== undefined).map((x) => ({ at: x.at, lag: x.lag! })),
    passed: secondaryMissing.length === 0 && primaryMissing.length === 0 && consumerGaps === 0 && consumerDuplicates <= duplicatesBound,
  };
  ctx.emit({
    type: 'phase-done',
    text: `replication: ${lost.length} acked message(s) lost to replication lag at the promotion; secondary's acks on the primary: ${secondaryMissing.length === 0 ? 'all' : `${secondaryMissing.length} missing`}; consumer ${consumerGaps} gap(s), ${consumerDuplicates} duplicate(s) (bound ${duplicatesBound})`,
  });
  return report;
}
