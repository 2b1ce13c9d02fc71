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
 * The consumer's gaps are judged without the messages lost to lag; its duplicates against what
 * MirrorMaker 2's offset translation can explain per switch (see ReplicationReport.duplicatesBound).
 */
import type { ConsumerSummary } from '../kafka/consumer.js';
import { directClient } from '../kafka/client.js';
import { waitFor } from '../util/wait.js';
import { OFFSET_LAG_MAX } from '../replication/mm2-properties.js';
import type { AckRecord, ConsumerResume } from './clients.js';
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
  /**
   * Duplicates MirrorMaker 2's offset translation explains, per switch: one checkpoint interval of
   * messages plus 1 s (rate × (interval + 1 s)), and up to offset.lag.max + 1 records per partition (a
   * group's offset translates to just past the last offset sync before it).
   */
  duplicatesBound: number;
  /** Where the consumer resumed after each switch, next to where it had read to (see ConsumerResume). */
  resumes: ConsumerResume[];
  /** The replicator's lag while the primary was active, as sampled (epoch ms, records). */
  lagSamples: { at: number; lag: number }[];
  passed: boolean;
}

/** Samples the replicator's view every `everyMs` while the drill runs. */
export class ReplicationWatch {
  readonly samples: { at: number; phase: string; lag?: number }[] = [];
  promotedAt?: number;
  /** Set once the replicator keeps up (waitCopying): lag before it measures MirrorMaker 2 starting. */
  measureFrom = Number.POSITIVE_INFINITY;
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
export async function waitCopying(ctx: DrillContext, since: number, groupId: string, watch?: ReplicationWatch): Promise<void> {
  const url = ctx.endpoints.replicatorUrl!;
  ctx.emit({ type: 'phase', text: "waiting for the replicator to copy the clients' messages and the consumer group's offsets to the secondary" });
  let lag: number | undefined;
  // The group's offsets on the secondary as first seen: each partition must move on from there, so the
  // checkpoints follow the consumer (a first translation can land far back, at an early offset sync).
  let first: Map<number, number> | undefined;
  await waitFor(
    async () => {
      const v = await replicatorCall(url, '/v1/replication', 'GET', 3_000);
      lag = v.lag?.total;
      const keepsUp = v.phase === 'forward' && v.lag !== undefined && v.lag.at > since + 2_000 && v.lag.total <= Math.max(5, ctx.rate);
      if (!keepsUp) return false;
      const synced = await groupOffsetsOnSecondary(ctx, groupId);
      if (!synced) return false;
      first ??= synced;
      return [...synced].every(([p, offset]) => offset > first!.get(p)!);
    },
    { timeoutMs: 120_000, intervalMs: 500, what: `the replicator to keep up with the drill's producer (lag ${lag ?? 'unknown'})`, signal: ctx.signal },
  );
  if (watch) watch.measureFrom = Date.now();
  ctx.emit({ type: 'phase-done', text: `replicator keeps up: ${lag} record(s) behind` });
}

/** The group's committed offsets on the secondary (MirrorMaker 2's checkpoints synced them), once it has one on every partition. */
async function groupOffsetsOnSecondary(ctx: DrillContext, groupId: string): Promise<Map<number, number> | undefined> {
  // A coordinator lookup first: a client with retries (askOnce's fail-fast one finds "no brokers in the pool").
  const admin = directClient(ctx.endpoints.direct.secondary, 'failover-demo-drill').admin();
  const offsets = await admin
    .connect()
    .then(() => admin.fetchOffsets({ groupId, topics: [ctx.topic] }))
    .catch(() => [])
    .finally(() => admin.disconnect().catch(() => undefined));
  const partitions = offsets[0]?.partitions ?? [];
  if (partitions.length === 0 || partitions.some((p) => Number(p.offset) < 0)) return undefined;
  return new Map(partitions.map((p) => [p.partition, Number(p.offset)]));
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/**
 * Acknowledged messages the consumer never received, partition by partition (partition = seq mod
 * partitions): between the first and the last it received there, so a consumer stopped before the
 * tail of another partition counts no gap. Messages lost to replication lag are not gaps.
 */
export function consumerGapsOf(acks: readonly AckRecord[], received: ReadonlySet<number>, partitions: number, lost: ReadonlySet<number>): number[] {
  const span = new Map<number, [number, number]>();
  for (const seq of received) {
    const p = seq % partitions;
    const [lo, hi] = span.get(p) ?? [seq, seq];
    span.set(p, [Math.min(lo, seq), Math.max(hi, seq)]);
  }
  return acks
    .filter((a) => {
      const s = span.get(a.seq % partitions);
      return s !== undefined && a.seq > s[0] && a.seq < s[1] && !received.has(a.seq) && !lost.has(a.seq);
    })
    .map((a) => a.seq);
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
  clients: { acks: readonly AckRecord[]; producerId: string; receivedSeqs: ReadonlySet<number>; partitions: readonly number[]; resumes: ConsumerResume[] },
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
  const measured = watch.samples.filter((s) => s.phase === 'forward' && s.lag !== undefined && s.at >= watch.measureFrom);
  const lags = measured.map((s) => s.lag!).sort((x, y) => x - y);
  const switches = consumer?.clusterSwitches ?? 0;
  const perSwitch = (ctx.rate * (ctx.topology.replication.syncIntervalMs + 1_000)) / 1000 + clients.partitions.length * (OFFSET_LAG_MAX + 1);
  const duplicatesBound = Math.ceil(perSwitch * Math.max(1, switches));
  const gapSeqs = consumerGapsOf(acks, receivedSeqs, clients.partitions.length, new Set(lost));
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
    resumes: clients.resumes,
    lagSamples: measured.map((x) => ({ at: x.at, lag: x.lag! })),
    passed: secondaryMissing.length === 0 && primaryMissing.length === 0 && consumerGaps === 0 && consumerDuplicates <= duplicatesBound,
  };
  ctx.emit({
    type: 'phase-done',
    text: `replication: ${lost.length} acked message(s) lost to replication lag at the promotion; secondary's acks on the primary: ${secondaryMissing.length === 0 ? 'all' : `${secondaryMissing.length} missing`}; consumer ${consumerGaps} gap(s), ${consumerDuplicates} duplicate(s) (bound ${duplicatesBound}${clients.resumes.length > 0 ? `; per switch ${clients.resumes.map((x) => x.duplicates).join(', ')}` : ''})`,
  });
  return report;
}
