/**
 * A consumer that follows Envoy from one cluster to the other and accounts for what it received.
 *
 * It reads the probe messages of ./message.ts and keeps, per producer, which sequence numbers arrived
 * (gaps and duplicates), the end-to-end latency (receive time - send time), and the cluster it reads from
 * (cluster id of its metadata, named primary/secondary by asking each cluster directly).
 *
 * Cluster switch: the two clusters are independent (no replication), so offsets and the consumer group's
 * committed offsets on one mean nothing on the other. When the cluster id changes, the consumer records the
 * switch, drops its kafkajs consumer and joins the group afresh on the new cluster. There the group's
 * committed offsets win if it has any (e.g. failing back to a cluster it read before); otherwise
 * `onSwitch` decides: 'earliest' (default) reads everything the new cluster holds, so every message a
 * producer got acknowledged there after the switch is seen, even those written before this consumer
 * noticed the switch; 'latest' skips the new cluster's history (and can miss those).
 */
import { EventEmitter } from 'node:events';
import kafkajs from 'kafkajs';
import { randomBytes } from 'node:crypto';
import type { Admin, Consumer, EachBatchPayload } from 'kafkajs';
import type { ClusterName } from '../config/topology.js';
import { delay } from '../util/wait.js';
import { createClient, describeError, logLineText, socketGate, trackClusterId, type ClusterIdTracker, type KafkaLogLine, type SocketGate } from './client.js';
import { createClusterDirectory, type ClusterDirectory, type ClusterLabel } from './clusters.js';
import { decodeMessage } from './message.js';
import { DEFAULT_FAILOVER_SETTINGS, retryOptions, type FailoverSettings } from './settings.js';
import { LatencySamples, SequenceTracker, SlidingWindow, round1, type SequenceReport } from './stats.js';
import { partitionCount, UnknownTopicError } from './topic.js';

const { KafkaJSNonRetriableError } = kafkajs;

export type StartPosition = 'earliest' | 'latest';
export const START_POSITIONS: readonly StartPosition[] = ['earliest', 'latest'];

export interface ConsumerOptions extends Partial<FailoverSettings> {
  bootstrap: string[];
  topic: string;
  /** Default: failover-demo-consume-<random> (a fresh group per run). */
  groupId?: string;
  /** Stop after this many probe messages were received. */
  count?: number;
  durationMs?: number;
  /** Where a group without committed offsets starts on the first cluster. Default 'latest'. */
  from?: StartPosition;
  /** Where it starts after a cluster switch. Default 'earliest' (see the module comment). */
  onSwitch?: StartPosition;
  /** Group session timeout. Default 10 s: a member lost with its cluster is noticed soon. */
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** How often the cluster id is checked. Default 250 ms. */
  watchIntervalMs?: number;
  direct?: Partial<Record<ClusterName, string[]>>;
  clusters?: ClusterDirectory;
}

export interface ReceivedEvent {
  producer: string;
  seq: number;
  cluster: ClusterLabel;
  partition: number;
  offset: string;
  latencyMs: number;
  duplicate: boolean;
  at: number;
}

export interface ClusterSwitchEvent {
  at: number;
  from: ClusterLabel;
  to: ClusterLabel;
  fromId?: string;
  toId?: string;
}

export type ConsumerState = 'connecting' | 'joining' | 'consuming' | 'switching' | 'retrying' | 'stopped';

export interface ConsumerStatusEvent {
  state: ConsumerState;
  text: string;
  at: number;
}

export interface ConsumerStats {
  groupId: string;
  state: ConsumerState;
  cluster?: ClusterLabel;
  received: number;
  rate: number;
  p50Ms?: number;
  p99Ms?: number;
  gaps: number;
  duplicates: number;
  clusterSwitches: number;
  lastError?: string;
}

export interface ConsumerSummary {
  groupId: string;
  topic: string;
  /** Probe messages received (duplicates included). */
  received: number;
  /** Records on the topic that are not probe messages. */
  foreign: number;
  /** Sum over producers of sequence numbers missing between the lowest and highest seen. */
  gaps: number;
  duplicates: number;
  clusterSwitches: number;
  switches: ClusterSwitchEvent[];
  receivedBy: Record<ClusterLabel, number>;
  producers: Record<string, SequenceReport>;
  latencyMs: { p50?: number; p99?: number; max?: number };
  onSwitch: StartPosition;
  durationMs: number;
  clusterIds: Partial<Record<ClusterName, string>>;
  interrupted: boolean;
}

export interface ConsumerEvents {
  message: [ReceivedEvent];
  clusterSwitch: [ClusterSwitchEvent];
  status: [ConsumerStatusEvent];
}

interface Instance {
  consumer: Consumer;
  admin: Admin;
  tracker: ClusterIdTracker;
  /** Its connections: closed when it is replaced, so it cannot reach the cluster its successor joins. */
  gate: SocketGate;
  /** Cluster id this instance joined on (set at the first id seen). */
  clusterId?: string;
  crashed: boolean;
}

export class FailoverConsumer extends EventEmitter<ConsumerEvents> {
  readonly groupId: string;
  readonly settings: FailoverSettings;
  private readonly clusters: ClusterDirectory;
  private current?: Instance;
  private state: ConsumerState = 'connecting';
  private cluster?: ClusterLabel;
  /** Id of the cluster the consumer last read from (whichever instance): a new one there is a switch. */
  private clusterId?: string;
  private received = 0;
  private foreign = 0;
  private readonly receivedBy: Record<ClusterLabel, number> = { primary: 0, secondary: 0, unknown: 0 };
  private readonly producers = new Map<string, SequenceTracker>();
  private readonly switches: ClusterSwitchEvent[] = [];
  private readonly latencies = new LatencySamples();
  private readonly window = new SlidingWindow(5_000);
  private maxLatency = 0;
  private lastError?: string;
  private stopRequested = false;
  private readonly stopController = new AbortController();
  private switching = false;

  constructor(readonly options: ConsumerOptions) {
    super();
    this.groupId = options.groupId ?? `failover-demo-consume-${randomBytes(3).toString('hex')}`;
    this.settings = {
      ...DEFAULT_FAILOVER_SETTINGS,
      ...Object.fromEntries(Object.entries(options).filter(([k, v]) => k in DEFAULT_FAILOVER_SETTINGS && v !== undefined)),
    };
    this.clusters = options.clusters ?? createClusterDirectory(options.direct ?? {});
  }

  stop(): void {
    this.stopRequested = true;
    this.stopController.abort();
  }

  stats(): ConsumerStats {
    const now = Date.now();
    const totals = this.totals();
    return {
      groupId: this.groupId,
      state: this.state,
      cluster: this.cluster,
      received: this.received,
      rate: round1(this.window.ratePerSecond(now)) ?? 0,
      p50Ms: round1(this.window.percentile(now, 0.5)),
      p99Ms: round1(this.window.percentile(now, 0.99)),
      gaps: totals.gaps,
      duplicates: totals.duplicates,
      clusterSwitches: this.switches.length,
      lastError: this.lastError,
    };
  }

  async run(): Promise<ConsumerSummary> {
    const started = Date.now();
    const deadline = this.options.durationMs === undefined ? Infinity : started + this.options.durationMs;
    try {
      await this.clusters.refresh();
      await this.startInstance(this.options.from ?? 'latest');
      const watchMs = this.options.watchIntervalMs ?? 250;
      while (!this.stopRequested && Date.now() < deadline && !this.countReached()) {
        await this.watch();
        await delay(Math.min(watchMs, Math.max(1, deadline - Date.now())), this.stopController.signal).catch(() => undefined);
      }
      return this.summary(started);
    } finally {
      this.setState('stopped', 'disconnecting');
      await this.stopInstance();
    }
  }

  private countReached(): boolean {
    return this.options.count !== undefined && this.received >= this.options.count;
  }

  /** Connects a fresh kafkajs consumer (retrying with a status line until it works or stop()). */
  private async startInstance(position: StartPosition): Promise<void> {
    this.setState('connecting', `connecting to ${this.options.bootstrap.join(',')}`);
    for (;;) {
      if (this.stopRequested) return;
      const instance = this.createInstance();
      this.current = instance;
      try {
        await instance.admin.connect();
        await partitionCount(instance.admin, this.options.topic);
        await instance.admin.disconnect();
        await instance.consumer.connect();
        await instance.consumer.subscribe({ topics: [this.options.topic], fromBeginning: position === 'earliest' });
        this.setState('joining', `joining group ${this.groupId}`);
        await instance.consumer.run({ eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(instance, payload) });
        instance.clusterId = instance.tracker.clusterId();
        await this.landedOn(instance.clusterId);
        return;
      } catch (err) {
        if (err instanceof UnknownTopicError) throw err;
        this.lastError = describeError(err);
        await this.stopInstance({ retire: true });
        this.setState('connecting', `cannot reach Kafka through Envoy at ${this.options.bootstrap.join(',')} (${this.lastError}); retrying`);
        await delay(1_000, this.stopController.signal).catch(() => undefined);
      }
    }
  }

  private createInstance(): Instance {
    let instance: Instance | undefined;
    const gate = socketGate('consumer retired after a cluster switch');
    const client = createClient({
      brokers: this.options.bootstrap,
      clientId: `failover-demo-consumer-${this.groupId}`,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      retry: retryOptions(this.settings),
      socketFactory: gate.factory,
      // A replaced instance still winding down (its old member id unknown on the new cluster) is not news.
      onLog: (line) => {
        if (instance !== undefined && this.current === instance) this.onKafkaLog(line);
      },
    });
    const tracker = trackClusterId(client);
    const consumer = client.consumer({
      groupId: this.groupId,
      metadataMaxAge: this.settings.metadataMaxAgeMs,
      allowAutoTopicCreation: false,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 1_000,
      maxWaitTimeInMs: 500,
      // Only the current instance restarts after a crash; one replaced after a cluster switch stays down.
      retry: { ...retryOptions(this.settings), restartOnFailure: async () => instance !== undefined && this.current === instance },
    });
    // The connect probe (topic check) fails fast, so startInstance can show a status line and honour stop().
    const admin = createClient({
      brokers: this.options.bootstrap,
      clientId: `failover-demo-consumer-${this.groupId}-probe`,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      retry: { retries: 0 },
    }).admin();
    const created: Instance = { consumer, admin, tracker, gate, crashed: false };
    instance = created;
    consumer.on(consumer.events.CRASH, (e) => {
      if (this.current !== created) return;
      this.lastError = describeError(e.payload.error);
      if (!e.payload.restart) created.crashed = true;
      // kafkajs restarts it itself (say, every broker closed the connection): the status line says so.
      else this.setState('retrying', `kafkajs consumer restarting: ${this.lastError}`);
    });
    consumer.on(consumer.events.GROUP_JOIN, () => {
      if (this.current === created) this.setState('consuming', `consuming (group ${this.groupId})`);
    });
    return created;
  }

  /**
   * Disconnects the current kafkajs consumer. `retire` (a cluster switch or a crash, a successor follows):
   * first refuse it any new connection, since through Envoy that would reach the cluster its successor is
   * about to join, where it could rejoin the group (its old member id is unknown there, so kafkajs asks
   * for a new one) and hold a share of the partitions until its session times out. Its connections opened
   * before still serve a clean LeaveGroup. In every case, whatever it still holds is closed at the end.
   */
  private async stopInstance({ retire = false }: { retire?: boolean } = {}): Promise<void> {
    const instance = this.current;
    this.current = undefined;
    if (!instance) return;
    if (retire) instance.gate.block();
    // A consumer whose cluster vanished may hang while leaving its group: do not wait forever.
    await Promise.race([
      Promise.allSettled([instance.consumer.disconnect(), instance.admin.disconnect()]),
      delay(this.settings.requestTimeoutMs),
    ]);
    instance.gate.close();
  }

  /** Notices a cluster change (or a consumer kafkajs gave up on) and rejoins on the new cluster. */
  private async watch(): Promise<void> {
    const instance = this.current;
    if (!instance || this.switching) return;
    const id = instance.tracker.clusterId();
    if (instance.clusterId === undefined && id !== undefined) {
      instance.clusterId = id;
      await this.landedOn(id);
    }
    if (id !== undefined && instance.clusterId !== undefined && id !== instance.clusterId) {
      await this.switchTo(instance.clusterId, id);
      return;
    }
    // kafkajs refreshes a consumer's metadata only when something asks for it: one whose fetches keep
    // working after Envoy switched (same topic and partitions on the other cluster) can read the new cluster
    // under the old cluster id indefinitely. So ask, through Envoy, on a fresh connection now and then.
    const probed = instance.clusterId === undefined || instance.crashed ? undefined : await this.probeClusterId();
    if (probed !== undefined && this.current === instance && !this.switching && probed !== instance.clusterId) {
      await this.switchTo(instance.clusterId!, probed);
    } else if (instance.crashed) {
      this.setState('retrying', `consumer stopped (${this.lastError ?? 'unknown error'}); rejoining`);
      await this.stopInstance({ retire: true });
      await this.startInstance(this.options.onSwitch ?? 'earliest');
    }
  }

  private lastProbeAt = 0;

  /** The cluster id Envoy's bootstrap listener leads to right now (at most every 2 s), or undefined. */
  private async probeClusterId(): Promise<string | undefined> {
    if (Date.now() - this.lastProbeAt < 2_000) return undefined;
    this.lastProbeAt = Date.now();
    const admin = createClient({
      brokers: this.options.bootstrap,
      clientId: `failover-demo-consumer-${this.groupId}-cluster-probe`,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      retry: { retries: 0 },
    }).admin();
    try {
      await admin.connect();
      return (await admin.describeCluster()).clusterId || undefined;
    } catch {
      return undefined;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /**
   * A (new) instance reads from cluster `id`. When that is not the cluster the consumer read from before,
   * it is a cluster switch, however the consumer got there: noticed while reading (switchTo), or a
   * consumer kafkajs gave up on during the failover (say, no group coordinator) restarted on the other side.
   */
  private async landedOn(id: string | undefined): Promise<void> {
    if (id === undefined) return;
    if (this.clusterId !== undefined && this.clusterId !== id) {
      await this.recordSwitch(this.clusterId, id);
      return;
    }
    this.clusterId = id;
    this.cluster = await this.clusters.nameOf(id);
  }

  private async recordSwitch(fromId: string, toId: string): Promise<ClusterSwitchEvent> {
    const from = await this.clusters.nameOf(fromId);
    const to = await this.clusters.nameOf(toId);
    const event: ClusterSwitchEvent = { at: Date.now(), from, to, fromId, toId };
    this.switches.push(event);
    this.clusterId = toId;
    this.cluster = to;
    this.emit('clusterSwitch', event);
    return event;
  }

  private async switchTo(fromId: string, toId: string): Promise<void> {
    this.switching = true;
    try {
      const { from, to } = await this.recordSwitch(fromId, toId);
      this.setState('switching', `cluster switch ${from} -> ${to}: rejoining group ${this.groupId} there`);
      await this.stopInstance({ retire: true });
      await this.startInstance(this.options.onSwitch ?? 'earliest');
    } finally {
      this.switching = false;
    }
  }

  private async onBatch(instance: Instance, { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    // A replaced instance that is still alive (its disconnect timed out) may have rejoined the group on the
    // new cluster, where it would hold partitions and never process them: make it crash, which makes
    // kafkajs leave the group (and restartOnFailure keeps it down).
    if (this.current !== instance) throw new KafkaJSNonRetriableError('consumer replaced after a cluster switch');
    const id = instance.tracker.clusterId();
    // Records fetched after the metadata moved to another cluster are left for the rejoined consumer.
    if (instance.clusterId !== undefined && id !== undefined && id !== instance.clusterId) return;
    const cluster = this.clusters.knownNameOf(instance.clusterId ?? id);
    for (const record of batch.messages) {
      if (!isRunning() || isStale() || this.current !== instance) break;
      const at = Date.now();
      const probe = decodeMessage(record.value);
      if (!probe) {
        this.foreign++;
      } else if (!this.countReached()) {
        let tracker = this.producers.get(probe.producer);
        if (!tracker) this.producers.set(probe.producer, (tracker = new SequenceTracker()));
        const duplicate = tracker.record(probe.seq);
        const latencyMs = Math.max(0, at - probe.sentAt);
        this.received++;
        this.receivedBy[cluster]++;
        this.latencies.add(latencyMs);
        this.window.add(at, latencyMs);
        if (latencyMs > this.maxLatency) this.maxLatency = latencyMs;
        this.emit('message', { producer: probe.producer, seq: probe.seq, cluster, partition: batch.partition, offset: record.offset, latencyMs, duplicate, at });
      }
      resolveOffset(record.offset);
    }
    await heartbeat();
  }

  private onKafkaLog(line: KafkaLogLine): void {
    if (line.level !== 'error') return;
    this.lastError = logLineText(line);
    if (this.state === 'consuming') this.setState('retrying', `retrying: ${this.lastError}`);
  }

  private setState(state: ConsumerState, text: string): void {
    this.state = state;
    this.emit('status', { state, text, at: Date.now() });
  }

  private totals(): { gaps: number; duplicates: number } {
    let gaps = 0;
    let duplicates = 0;
    for (const t of this.producers.values()) {
      const r = t.report(0);
      gaps += r.gaps;
      duplicates += r.duplicates;
    }
    return { gaps, duplicates };
  }

  private summary(started: number): ConsumerSummary {
    const durationMs = Date.now() - started;
    const totals = this.totals();
    return {
      groupId: this.groupId,
      topic: this.options.topic,
      received: this.received,
      foreign: this.foreign,
      gaps: totals.gaps,
      duplicates: totals.duplicates,
      clusterSwitches: this.switches.length,
      switches: [...this.switches],
      receivedBy: { ...this.receivedBy },
      producers: Object.fromEntries([...this.producers].map(([id, t]) => [id, t.report()])),
      latencyMs: {
        p50: round1(this.latencies.percentile(0.5)),
        p99: round1(this.latencies.percentile(0.99)),
        max: this.latencies.count ? this.maxLatency : undefined,
      },
      onSwitch: this.options.onSwitch ?? 'earliest',
      durationMs,
      clusterIds: this.clusters.ids(),
      interrupted: this.stopRequested && !this.countReached(),
    };
  }
}
