/**
 * A producer that rides through an Envoy failover and accounts for every message.
 *
 * Messages carry producer id, sequence number and send time (./message.ts), go to partition seq % N
 * (so offsets of one send follow from the partition's base offset), with acks=all. Every ack is an
 * `ack` event naming the cluster that acknowledged it (cluster id of the client's metadata, mapped to
 * primary/secondary by asking each cluster directly); every failed send a `failure` event.
 * `run()` resolves with the summary once the count / duration is reached or `stop()` was called.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Admin, Producer } from 'kafkajs';
import type { ClusterName } from '../config/topology.js';
import { delay } from '../util/wait.js';
import { createClient, describeError, logLineText, trackClusterId, type ClusterIdTracker, type KafkaLogLine } from './client.js';
import { createClusterDirectory, type ClusterDirectory, type ClusterLabel } from './clusters.js';
import { openLedger, type LedgerEntry, type LedgerWriter } from './ledger.js';
import { encodeMessage } from './message.js';
import { DEFAULT_FAILOVER_SETTINGS, retryOptions, type FailoverSettings } from './settings.js';
import { LatencySamples, SlidingWindow, round1 } from './stats.js';
import { partitionCount, UnknownTopicError } from './topic.js';

export interface ProducerOptions extends Partial<FailoverSettings> {
  /** Bootstrap through Envoy. */
  bootstrap: string[];
  topic: string;
  /** Defaults to <hostname>-<pid>-<random>. */
  producerId?: string;
  /** Messages per second; 0 = as fast as the cluster acknowledges. Default 100. */
  ratePerSecond?: number;
  /** Stop after this many messages were sent. */
  count?: number;
  /** Stop after this long. */
  durationMs?: number;
  /** Idempotent producer (see IDEMPOTENCE_REASON). Default false. */
  idempotent?: boolean;
  /** Concurrent send() calls. Default 16. */
  maxInFlightBatches?: number;
  /** Most messages in one send(). Default 500. */
  batchSize?: number;
  /** Pad each message value to about this many bytes. */
  payloadBytes?: number;
  /** Append every acked message to this file (JSON lines, see LedgerEntry). */
  ledgerFile?: string;
  /** Each cluster's brokers, bypassing Envoy: used to name cluster ids. */
  direct?: Partial<Record<ClusterName, string[]>>;
  /** A directory already built (e.g. shared with a consumer); otherwise built from `direct`. */
  clusters?: ClusterDirectory;
}

export interface AckEvent {
  producer: string;
  seq: number;
  cluster: ClusterLabel;
  clusterId?: string;
  partition: number;
  offset: string;
  latencyMs: number;
  /** ms since epoch. */
  at: number;
}

export interface FailureEvent {
  /** Sequence numbers of the messages of the failed send. */
  seqs: number[];
  error: string;
  at: number;
}

export type ProducerState = 'connecting' | 'producing' | 'retrying' | 'flushing' | 'stopped';

export interface StatusEvent {
  state: ProducerState;
  /** Human text, e.g. "retrying: Connection error: connect ECONNREFUSED 127.0.0.1:9092". */
  text: string;
  at: number;
}

export interface ClusterChangeEvent {
  at: number;
  from: ClusterLabel;
  to: ClusterLabel;
}

export interface ProducerStats {
  producerId: string;
  state: ProducerState;
  sent: number;
  acked: number;
  failed: number;
  inFlight: number;
  /** Acks per second over the last 5 s. */
  rate: number;
  p50Ms?: number;
  p99Ms?: number;
  ackedBy: Record<ClusterLabel, number>;
  lastCluster?: ClusterLabel;
  lastError?: string;
}

export interface ProducerSummary {
  producerId: string;
  topic: string;
  sent: number;
  acked: number;
  failed: number;
  ackedBy: Record<ClusterLabel, number>;
  /** First ack time per cluster (ms since epoch). */
  firstAckAt: Partial<Record<ClusterLabel, number>>;
  clusterChanges: ClusterChangeEvent[];
  clusterIds: Partial<Record<ClusterName, string>>;
  durationMs: number;
  /** Acks per second over the whole run. */
  ackRate: number;
  latencyMs: { p50?: number; p99?: number; max?: number };
  settings: FailoverSettings & { idempotent: boolean; acks: -1; ratePerSecond: number };
  ledgerFile?: string;
  /** True when stop() was called before count/duration was reached. */
  interrupted: boolean;
}

export interface ProducerEvents {
  ack: [AckEvent];
  failure: [FailureEvent];
  status: [StatusEvent];
  clusterChange: [ClusterChangeEvent];
}

export function defaultProducerId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

interface PendingMessage {
  seq: number;
  partition: number;
  sentAt: number;
  value: string;
}

export class FailoverProducer extends EventEmitter<ProducerEvents> {
  readonly producerId: string;
  readonly settings: FailoverSettings;
  private readonly kafkaProducer: Producer;
  private readonly admin: Admin;
  private readonly tracker: ClusterIdTracker;
  private readonly clusters: ClusterDirectory;
  private state: ProducerState = 'connecting';
  private seq = 0;
  private acked = 0;
  private failed = 0;
  private inFlight = 0;
  private readonly ackedBy: Record<ClusterLabel, number> = { primary: 0, secondary: 0, unknown: 0 };
  private readonly firstAckAt: Partial<Record<ClusterLabel, number>> = {};
  private readonly clusterChanges: ClusterChangeEvent[] = [];
  private lastCluster?: ClusterLabel;
  private lastError?: string;
  private readonly latencies = new LatencySamples();
  private readonly window = new SlidingWindow(5_000);
  private maxLatency = 0;
  private stopRequested = false;
  private readonly stopController = new AbortController();
  private ledger?: LedgerWriter;

  constructor(readonly options: ProducerOptions) {
    super();
    this.producerId = options.producerId ?? defaultProducerId();
    this.settings = {
      ...DEFAULT_FAILOVER_SETTINGS,
      ...Object.fromEntries(
        Object.entries(options).filter(([k, v]) => k in DEFAULT_FAILOVER_SETTINGS && v !== undefined),
      ),
    };
    const client = createClient({
      brokers: options.bootstrap,
      clientId: `failover-demo-producer-${this.producerId}`,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      retry: retryOptions(this.settings),
      onLog: (line) => this.onKafkaLog(line),
    });
    this.tracker = trackClusterId(client);
    const idempotent = options.idempotent ?? false;
    this.kafkaProducer = client.producer({
      metadataMaxAge: this.settings.metadataMaxAgeMs,
      allowAutoTopicCreation: false,
      idempotent,
      // kafkajs requires a single request in flight for idempotence
      maxInFlightRequests: idempotent ? 1 : undefined,
      retry: retryOptions(this.settings),
    });
    // The connect probe (topic check) fails fast, so the connect loop can show a status line and honour stop().
    this.admin = createClient({
      brokers: options.bootstrap,
      clientId: `failover-demo-producer-${this.producerId}-probe`,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      retry: { retries: 0 },
    }).admin();
    this.clusters = options.clusters ?? createClusterDirectory(options.direct ?? {});
  }

  /** Graceful stop: no new messages; in-flight sends finish (or fail), then run() resolves. */
  stop(): void {
    this.stopRequested = true;
    this.stopController.abort();
  }

  stats(): ProducerStats {
    const now = Date.now();
    return {
      producerId: this.producerId,
      state: this.state,
      sent: this.seq,
      acked: this.acked,
      failed: this.failed,
      inFlight: this.inFlight,
      rate: round1(this.window.ratePerSecond(now)) ?? 0,
      p50Ms: round1(this.window.percentile(now, 0.5)),
      p99Ms: round1(this.window.percentile(now, 0.99)),
      ackedBy: { ...this.ackedBy },
      lastCluster: this.lastCluster,
      lastError: this.lastError,
    };
  }

  async run(): Promise<ProducerSummary> {
    const started = Date.now();
    try {
      if (this.options.ledgerFile) this.ledger = openLedger(this.options.ledgerFile);
      const partitions = await this.connect();
      if (partitions === undefined) return this.summary(started);
      this.setState('producing', 'producing');
      await this.produceLoop(partitions, started);
      return this.summary(started);
    } finally {
      this.setState('stopped', 'disconnecting');
      await Promise.allSettled([this.kafkaProducer.disconnect(), this.admin.disconnect()]);
      await this.ledger?.close();
    }
  }

  /** Connects through Envoy (retrying with a status line until it works or stop()), checks the topic. */
  private async connect(): Promise<number | undefined> {
    this.setState('connecting', `connecting to ${this.options.bootstrap.join(',')}`);
    const lookup = this.clusters.refresh();
    for (;;) {
      if (this.stopRequested) return undefined;
      try {
        await this.admin.connect();
        const partitions = await partitionCount(this.admin, this.options.topic);
        await this.admin.disconnect();
        await this.kafkaProducer.connect();
        await lookup;
        return partitions;
      } catch (err) {
        if (err instanceof UnknownTopicError) throw err;
        this.lastError = describeError(err);
        await this.admin.disconnect().catch(() => undefined);
        this.setState('connecting', `cannot reach Kafka through Envoy at ${this.options.bootstrap.join(',')} (${this.lastError}); retrying`);
        await delay(1_000, this.stopController.signal).catch(() => undefined);
      }
    }
  }

  private async produceLoop(partitions: number, started: number): Promise<void> {
    const rate = this.options.ratePerSecond ?? 100;
    const count = this.options.count;
    const batchSize = this.options.batchSize ?? 500;
    const maxInFlight = this.options.maxInFlightBatches ?? 16;
    const deadline = this.options.durationMs === undefined ? Infinity : started + this.options.durationMs;
    const tickMs = rate > 0 ? Math.max(2, Math.min(20, Math.floor(1000 / rate))) : 0;
    const pending = new Set<Promise<void>>();
    let scheduleStart = Date.now();
    let scheduled = 0;

    while (!this.stopRequested) {
      const now = Date.now();
      if (now >= deadline || (count !== undefined && this.seq >= count)) break;
      if (pending.size >= maxInFlight) {
        await Promise.race([...pending, this.stopped()]);
        continue;
      }
      let due: number;
      if (rate > 0) {
        let target = Math.floor(((now - scheduleStart) * rate) / 1000) + 1;
        // Fell more than a second behind (back-pressure during a failover): do not burst to catch up.
        if (target - scheduled > rate) {
          scheduleStart = now;
          scheduled = 0;
          target = 1;
        }
        due = target - scheduled;
      } else {
        due = batchSize;
      }
      if (count !== undefined) due = Math.min(due, count - this.seq);
      due = Math.min(due, batchSize);
      if (due <= 0) {
        await delay(tickMs, this.stopController.signal).catch(() => undefined);
        continue;
      }
      scheduled += due;
      const batch = this.createBatch(due, partitions);
      const p = this.send(batch).finally(() => pending.delete(p));
      pending.add(p);
      if (tickMs > 0) await delay(tickMs, this.stopController.signal).catch(() => undefined);
    }
    if (pending.size > 0) {
      this.setState('flushing', `waiting for ${this.inFlight} in-flight message(s)`);
      await Promise.all(pending);
    }
  }

  private stopPromise?: Promise<void>;

  /** Resolves on stop() (one listener, however often it is awaited). */
  private stopped(): Promise<void> {
    const signal = this.stopController.signal;
    this.stopPromise ??= new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    return this.stopPromise;
  }

  private createBatch(n: number, partitions: number): PendingMessage[] {
    const sentAt = Date.now();
    return Array.from({ length: n }, () => {
      const seq = this.seq++;
      const value = encodeMessage({ producer: this.producerId, seq, sentAt }, this.options.payloadBytes ?? 0);
      return { seq, partition: seq % partitions, sentAt, value };
    });
  }

  /**
   * Sends a batch as one kafkajs send() per partition. kafkajs 2.2.4 keeps each broker's response across the
   * retries of one send() and only re-sends to brokers without one; when a cluster switch moves a partition
   * to a broker that already answered (for other partitions, on the old cluster), that partition is not
   * sent again, yet send() resolves, with no entry for it. Seen in a loaded run: 4 messages recorded as
   * acked at offsets -1..2, which no cluster held there. One partition per send() has one leader, hence one response: all or
   * nothing. An acknowledgement missing from the result is still checked for, and counted as failed.
   */
  private async send(batch: PendingMessage[]): Promise<void> {
    const byPartition = new Map<number, PendingMessage[]>();
    for (const m of batch) {
      const list = byPartition.get(m.partition);
      if (list) list.push(m);
      else byPartition.set(m.partition, [m]);
    }
    await Promise.all([...byPartition].map(([partition, messages]) => this.sendPartition(partition, messages)));
  }

  private async sendPartition(partition: number, batch: PendingMessage[]): Promise<void> {
    this.inFlight += batch.length;
    try {
      const result = await this.kafkaProducer.send({
        topic: this.options.topic,
        acks: -1,
        timeout: this.settings.requestTimeoutMs,
        messages: batch.map((m) => ({ key: this.producerId, value: m.value, partition, timestamp: String(m.sentAt) })),
      });
      const acks = result.filter((r) => r.partition === partition);
      if (acks.length !== 1 || acks[0]!.baseOffset === undefined || BigInt(acks[0]!.baseOffset) < 0n) {
        const view = this.tracker.describePartition(this.options.topic, partition);
        throw new Error(`kafkajs reported the send done but returned ${acks.length} acknowledgement(s) for partition ${partition} (${view})`);
      }
      await this.recordAcks(batch, BigInt(acks[0]!.baseOffset));
    } catch (err) {
      this.failed += batch.length;
      this.lastError = describeError(err);
      this.emit('failure', { seqs: batch.map((m) => m.seq), error: this.lastError, at: Date.now() });
    } finally {
      this.inFlight -= batch.length;
    }
  }

  /** Records the acks of one partition's messages, written from `baseOffset` on. */
  private async recordAcks(batch: PendingMessage[], baseOffset: bigint): Promise<void> {
    const at = Date.now();
    const clusterId = this.tracker.clusterId();
    const cluster = await this.clusters.nameOf(clusterId);
    if (this.state === 'retrying') this.setState('producing', 'producing');
    for (const [index, m] of batch.entries()) {
      const offset = String(baseOffset + BigInt(index));
      const latencyMs = at - m.sentAt;
      this.acked++;
      this.ackedBy[cluster]++;
      this.firstAckAt[cluster] ??= at;
      this.latencies.add(latencyMs);
      this.window.add(at, latencyMs);
      if (latencyMs > this.maxLatency) this.maxLatency = latencyMs;
      if (this.lastCluster !== undefined && this.lastCluster !== cluster) {
        const change = { at, from: this.lastCluster, to: cluster };
        this.clusterChanges.push(change);
        this.emit('clusterChange', change);
      }
      this.lastCluster = cluster;
      const ack: AckEvent = { producer: this.producerId, seq: m.seq, cluster, clusterId, partition: m.partition, offset, latencyMs, at };
      if (this.ledger) {
        const entry: LedgerEntry = { producer: this.producerId, seq: m.seq, topic: this.options.topic, cluster, clusterId, partition: m.partition, offset, at };
        this.ledger.append(entry);
      }
      this.emit('ack', ack);
    }
  }

  private onKafkaLog(line: KafkaLogLine): void {
    if (line.level !== 'error') return;
    this.lastError = logLineText(line);
    if (this.state === 'producing') this.setState('retrying', `retrying: ${this.lastError}`);
  }

  private setState(state: ProducerState, text: string): void {
    this.state = state;
    this.emit('status', { state, text, at: Date.now() });
  }

  private summary(started: number): ProducerSummary {
    const durationMs = Date.now() - started;
    const interrupted =
      this.stopRequested &&
      !(this.options.count !== undefined && this.seq >= this.options.count) &&
      !(this.options.durationMs !== undefined && durationMs >= this.options.durationMs);
    return {
      producerId: this.producerId,
      topic: this.options.topic,
      sent: this.seq,
      acked: this.acked,
      failed: this.failed,
      ackedBy: { ...this.ackedBy },
      firstAckAt: { ...this.firstAckAt },
      clusterChanges: [...this.clusterChanges],
      clusterIds: this.clusters.ids(),
      durationMs,
      ackRate: durationMs > 0 ? Math.round((this.acked * 1000 * 10) / durationMs) / 10 : 0,
      latencyMs: {
        p50: round1(this.latencies.percentile(0.5)),
        p99: round1(this.latencies.percentile(0.99)),
        max: this.latencies.count ? this.maxLatency : undefined,
      },
      settings: { ...this.settings, idempotent: this.options.idempotent ?? false, acks: -1, ratePerSecond: this.options.ratePerSecond ?? 100 },
      ledgerFile: this.options.ledgerFile,
      interrupted,
    };
  }
}
