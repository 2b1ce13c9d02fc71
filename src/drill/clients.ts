/**
 * The drill's clients: a producer (with a ledger) and a consumer that run through every step, and what
 * they saw — acknowledgements per cluster and per second, per-partition acknowledgements and deliveries,
 * failed sends. Plus the late clients: a fresh producer and consumer started after the last step.
 */
import { createClusterDirectory } from '../kafka/clusters.js';
import { FailoverConsumer, type ConsumerSummary } from '../kafka/consumer.js';
import { FailoverProducer, type ProducerSummary } from '../kafka/producer.js';
import type { Endpoints } from '../runtime/types.js';
import { waitFor } from '../util/wait.js';
import type { PartitionEvent } from './crash.js';
import type { AckBucket, DrillReport } from './report-model.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** One acknowledged message; `relabelled` once the ledger found it on the other cluster than acknowledged. */
export interface AckRecord {
  at: number;
  cluster: string;
  seq: number;
  relabelled?: boolean;
}

/**
 * Where the consumer resumed after a cluster switch: per partition, the last offset it read on `from`
 * and the first it read on `to` (with replication, the group's offsets the replicator synced there; the
 * clusters' offsets match as long as both topics started empty), and the duplicates it read after it.
 */
export interface ConsumerResume {
  at: number;
  from: string;
  to: string;
  partitions: { partition: number; lastRead?: number; resumedAt?: number }[];
  duplicates: number;
}

export class DrillClients {
  /**
   * Epoch ms the drill's timeline starts from: set when the clients are created, reset once the first
   * message is acknowledged. Acks and failures from then on are counted per second since it.
   */
  startedAt: number;
  readonly acks: AckRecord[] = [];
  readonly partitionAcks: PartitionEvent[] = [];
  readonly received: PartitionEvent[] = [];
  /** Sequence numbers of the drill producer's messages the consumer received (replication checks). */
  readonly receivedSeqs = new Set<number>();
  readonly resumes: ConsumerResume[] = [];
  /** Per cluster, per partition: the last offset the consumer read there. */
  private readonly lastRead = new Map<string, Map<number, number>>();
  readonly failures: { at: number; count: number }[] = [];
  /** The partitions of the topic. */
  readonly partitions: number[];
  readonly clusters: ReturnType<typeof createClusterDirectory>;
  private readonly buckets = new Map<number, AckBucket>();
  private readonly producer: FailoverProducer;
  private readonly consumer: FailoverConsumer;
  private producerRun?: Promise<ProducerSummary>;
  private consumerRun?: Promise<ConsumerSummary>;

  /** replicated: after a switch the consumer resumes from its group's offsets the replicator synced there. */
  constructor(o: { endpoints: Endpoints; topic: string; partitions: number; rate: number; ledgerFile: string; replicated?: boolean }) {
    const { bootstrap, direct } = o.endpoints;
    this.clusters = createClusterDirectory(direct);
    this.producer = new FailoverProducer({ bootstrap, topic: o.topic, ratePerSecond: o.rate, ledgerFile: o.ledgerFile, clusters: this.clusters, direct });
    this.consumer = new FailoverConsumer({ bootstrap, topic: o.topic, clusters: this.clusters, direct, from: 'latest', onSwitch: o.replicated ? 'committed' : 'earliest' });
    this.partitions = range(o.partitions);
    this.consumer.on('message', (m) => {
      this.received.push({ at: m.at, partition: m.partition });
      if (m.producer === this.producer.producerId) this.receivedSeqs.add(m.seq);
      this.noteRead(m.cluster, m.partition, Number(m.offset), m.duplicate);
    });
    this.consumer.on('clusterSwitch', (w) => {
      const before = this.lastRead.get(w.from);
      this.resumes.push({ at: w.at, from: w.from, to: w.to, partitions: this.partitions.map((p) => ({ partition: p, lastRead: before?.get(p) })), duplicates: 0 });
    });
    this.producer.on('ack', (a) => {
      this.acks.push({ at: a.at, cluster: a.cluster, seq: a.seq });
      this.partitionAcks.push({ at: a.at, partition: a.partition });
      if (a.at >= this.startedAt) this.bucket(a.at)[a.cluster]++;
    });
    this.producer.on('failure', (f) => {
      this.failures.push({ at: f.at, count: f.seqs.length });
      if (f.at >= this.startedAt) this.bucket(f.at).failed += f.seqs.length;
    });
    this.startedAt = Date.now();
  }

  private noteRead(cluster: string, partition: number, offset: number, duplicate: boolean): void {
    const resume = this.resumes.at(-1);
    if (resume && resume.to === cluster) {
      const p = resume.partitions.find((x) => x.partition === partition);
      if (p && p.resumedAt === undefined) p.resumedAt = offset;
      if (duplicate) resume.duplicates++;
    }
    let read = this.lastRead.get(cluster);
    if (!read) this.lastRead.set(cluster, (read = new Map()));
    read.set(partition, offset);
  }

  private bucket(at: number): AckBucket {
    const second = Math.floor((at - this.startedAt) / 1000);
    let b = this.buckets.get(second);
    if (!b) this.buckets.set(second, (b = { second, primary: 0, secondary: 0, unknown: 0, failed: 0 }));
    return b;
  }

  /** The drill consumer's group (the replicator syncs its offsets to the other cluster). */
  get groupId(): string {
    return this.consumer.groupId;
  }

  /** The producer id in every message of the drill's producer (how the ledger check finds them). */
  get producerId(): string {
    return this.producer.producerId;
  }

  start(): void {
    this.producerRun = this.producer.run();
    this.consumerRun = this.consumer.run();
    this.producerRun.catch(() => undefined);
    this.consumerRun.catch(() => undefined);
  }

  /**
   * Stops both; their summaries, for those that were started and did not fail. With `drain`, the
   * producer stops first and the consumer gets up to `drain.timeoutMs` to read what was acknowledged
   * on the cluster the producer ended on since it moved there (following the last switch itself if it
   * has not yet): messages a switch held back (fenced, then retried) land in any order, so a consumer
   * stopped with the producer can miss some that precede ones it read.
   */
  async stop(drain?: { timeoutMs: number; signal?: AbortSignal }): Promise<{ producer?: ProducerSummary; consumer?: ConsumerSummary; unread?: number }> {
    this.producer.stop();
    const producer = await this.producerRun?.catch(() => undefined);
    let unread: number | undefined;
    if (drain && this.consumerRun) {
      await waitFor(() => this.unreadWhereProducerEnded() === 0, { timeoutMs: drain.timeoutMs, intervalMs: 100, what: 'the consumer to read the last acknowledged messages', signal: drain.signal }).catch(() => undefined);
      unread = this.unreadWhereProducerEnded();
    }
    this.consumer.stop();
    const consumer = await this.consumerRun?.catch(() => undefined);
    return { producer, consumer, ...(unread !== undefined ? { unread } : {}) };
  }

  /**
   * Acknowledged on the cluster the producer acked on last, since it moved there (or since the consumer
   * first received anything), and not received yet: what a consumer that followed the switches can read.
   */
  unreadWhereProducerEnded(): number {
    const last = this.acks.at(-1);
    if (!last) return 0;
    let from = this.acks.length - 1;
    while (from > 0 && this.acks[from - 1]!.cluster === last.cluster) from--;
    const since = this.received[0]?.at ?? Infinity;
    return this.acks.slice(from).filter((a) => a.at >= since && !this.receivedSeqs.has(a.seq)).length;
  }

  /** Acks and failed sends per second since startedAt. */
  ackBuckets(): AckBucket[] {
    return [...this.buckets.values()].sort((a, b) => a.second - b.second);
  }
}

/**
 * A producer (10 messages) and a consumer started now, next to the drill's: where new clients land.
 * Under `coherent` they join the clients that ran through the drill; under `per-broker` after a failback
 * they land on the primary while the drill's producer stays on the secondary.
 */
export async function runLateClients(o: {
  bootstrap: string[];
  topic: string;
  clusters: ReturnType<typeof createClusterDirectory>;
  direct: Endpoints['direct'];
  signal?: AbortSignal;
}): Promise<NonNullable<DrillReport['lateClients']>> {
  const seen = new Map<string, number>();
  const consumer = new FailoverConsumer({ bootstrap: o.bootstrap, topic: o.topic, clusters: o.clusters, direct: o.direct, from: 'latest' });
  consumer.on('message', (m: { cluster: string }) => seen.set(m.cluster, (seen.get(m.cluster) ?? 0) + 1));
  const consuming = consumer.run();
  consuming.catch(() => undefined);
  const producer = new FailoverProducer({ bootstrap: o.bootstrap, topic: o.topic, ratePerSecond: 20, count: 10, clusters: o.clusters, direct: o.direct });
  try {
    const summary = await producer.run();
    await waitFor(() => [...seen.values()].reduce((a, b) => a + b, 0) >= 10, { timeoutMs: 30_000, intervalMs: 100, what: 'a fresh consumer to receive 10 messages', signal: o.signal }).catch(() => undefined);
    const consumerCluster = [...seen.entries()].filter(([c]) => c !== 'unknown').sort((a, b) => b[1] - a[1])[0]?.[0];
    return { producerAckedBy: { ...summary.ackedBy }, ...(consumerCluster ? { consumerCluster } : {}) };
  } finally {
    producer.stop();
    consumer.stop();
    await consuming.catch(() => undefined);
  }
}
