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
import type { EachBatchPayload } from 'kafkajs';
import type { ClusterName } from '../config/topology.js';
import { ClientCore, type ClientStatus } from './client-core.js';
import { createClusterDirectory, type ClusterDirectory, type ClusterLabel } from './clusters.js';
import { GroupMember } from './group-member.js';
import { decodeMessage } from './message.js';
import type { FailoverSettings } from './settings.js';
import { ProducerSequences, type SequenceReport } from './stats.js';

const { KafkaJSNonRetriableError } = kafkajs;

/**
 * 'committed': the group's committed offsets on the new cluster, as a replicator synced them there
 * (replication.mode: shadow); 'earliest' where the group has none. kafkajs always resumes from committed
 * offsets, so this differs from 'earliest' only in what it says: with replication, that is the point.
 */
export type StartPosition = 'earliest' | 'latest' | 'committed';
export const START_POSITIONS: readonly StartPosition[] = ['earliest', 'latest', 'committed'];

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

export type ConsumerStatusEvent = ClientStatus<ConsumerState>;

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

export class FailoverConsumer extends EventEmitter<ConsumerEvents> {
  readonly groupId: string;
  readonly settings: FailoverSettings;
  private readonly core: ClientCore<ConsumerState>;
  private readonly clusters: ClusterDirectory;
  private current?: GroupMember;
  private cluster?: ClusterLabel;
  /** Id of the cluster the consumer last read from (whichever instance): a new one there is a switch. */
  private clusterId?: string;
  private received = 0;
  private foreign = 0;
  private readonly receivedBy: Record<ClusterLabel, number> = { primary: 0, secondary: 0, unknown: 0 };
  private readonly sequences = new ProducerSequences();
  private readonly switches: ClusterSwitchEvent[] = [];
  private switching = false;

  constructor(readonly options: ConsumerOptions) {
    super();
    this.groupId = options.groupId ?? `failover-demo-consume-${randomBytes(3).toString('hex')}`;
    this.core = new ClientCore({
      bootstrap: options.bootstrap,
      topic: options.topic,
      options,
      clientId: `failover-demo-consumer-${this.groupId}`,
      onStatus: (status) => this.emit('status', status),
    });
    this.settings = this.core.settings;
    this.clusters = options.clusters ?? createClusterDirectory(options.direct ?? {});
  }

  stop(): void {
    this.core.stop();
  }

  stats(): ConsumerStats {
    return {
      groupId: this.groupId,
      state: this.core.state,
      cluster: this.cluster,
      received: this.received,
      ...this.core.latency.live(Date.now()),
      ...this.sequences.totals(),
      clusterSwitches: this.switches.length,
      lastError: this.core.lastError,
    };
  }

  async run(): Promise<ConsumerSummary> {
    const started = Date.now();
    const deadline = this.options.durationMs === undefined ? Infinity : started + this.options.durationMs;
    try {
      await this.clusters.refresh();
      await this.startInstance(this.options.from ?? 'latest');
      const watchMs = this.options.watchIntervalMs ?? 250;
      while (!this.core.stopRequested && Date.now() < deadline && !this.countReached()) {
        await this.watch();
        await this.core.pause(Math.min(watchMs, Math.max(1, deadline - Date.now())));
      }
      return this.summary(started);
    } finally {
      this.core.setState('stopped', 'disconnecting');
      await this.stopInstance();
    }
  }

  private countReached(): boolean {
    return this.options.count !== undefined && this.received >= this.options.count;
  }

  /** Connects a fresh kafkajs consumer (retrying with a status line until it works or stop()). */
  private async startInstance(position: StartPosition): Promise<void> {
    await this.core.connect({
      prepare: () => (this.current = this.createInstance()),
      attempt: async (_partitions, instance) => {
        await instance.consumer.connect();
        await instance.consumer.subscribe({ topics: [this.options.topic], fromBeginning: position !== 'latest' });
        this.core.setState('joining', `joining group ${this.groupId}`);
        await instance.consumer.run({ eachBatchAutoResolve: false, eachBatch: (payload) => this.onBatch(instance, payload) });
        instance.clusterId = instance.tracker.clusterId();
        await this.landedOn(instance.clusterId);
      },
      cleanup: () => this.stopInstance({ retire: true }),
    });
  }

  private createInstance(): GroupMember {
    const { sessionTimeoutMs, heartbeatIntervalMs } = this.options;
    return new GroupMember(this.core, { groupId: this.groupId, sessionTimeoutMs, heartbeatIntervalMs }, {
      isCurrent: (member) => this.current === member,
      log: (line) => this.core.noteKafkaLog(line, 'consuming'),
      crash: (error, restart) => {
        this.core.lastError = error;
        // kafkajs restarts it itself (say, every broker closed the connection): the status line says so.
        if (restart) this.core.setState('retrying', `kafkajs consumer restarting: ${error}`);
      },
      join: () => this.core.setState('consuming', `consuming (group ${this.groupId})`),
    });
  }

  /** Disconnects the current kafkajs consumer; `retire`: a successor follows (see GroupMember.stop). */
  private async stopInstance({ retire = false }: { retire?: boolean } = {}): Promise<void> {
    const instance = this.current;
    this.current = undefined;
    await instance?.stop({ retire }, this.settings.requestTimeoutMs);
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
      this.core.setState('retrying', `consumer stopped (${this.core.lastError ?? 'unknown error'}); rejoining`);
      await this.stopInstance({ retire: true });
      await this.startInstance(this.options.onSwitch ?? 'earliest');
    }
  }

  private lastProbeAt = 0;

  /** The cluster id Envoy's bootstrap listener leads to right now (at most every 2 s), or undefined. */
  private async probeClusterId(): Promise<string | undefined> {
    if (Date.now() - this.lastProbeAt < 2_000) return undefined;
    this.lastProbeAt = Date.now();
    return this.core.askClusterId();
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
      this.core.setState('switching', `cluster switch ${from} -> ${to}: rejoining group ${this.groupId} there`);
      await this.stopInstance({ retire: true });
      await this.startInstance(this.options.onSwitch ?? 'earliest');
    } finally {
      this.switching = false;
    }
  }

  private async onBatch(instance: GroupMember, { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
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
        const duplicate = this.sequences.record(probe.producer, probe.seq);
        const latencyMs = Math.max(0, at - probe.sentAt);
        this.received++;
        this.receivedBy[cluster]++;
        this.core.latency.add(at, latencyMs);
        this.emit('message', { producer: probe.producer, seq: probe.seq, cluster, partition: batch.partition, offset: record.offset, latencyMs, duplicate, at });
      }
      resolveOffset(record.offset);
    }
    await heartbeat();
  }

  private summary(started: number): ConsumerSummary {
    const durationMs = Date.now() - started;
    return {
      groupId: this.groupId,
      topic: this.options.topic,
      received: this.received,
      foreign: this.foreign,
      ...this.sequences.totals(),
      clusterSwitches: this.switches.length,
      switches: [...this.switches],
      receivedBy: { ...this.receivedBy },
      producers: this.sequences.reports(),
      latencyMs: this.core.latency.summary(),
      onSwitch: this.options.onSwitch ?? 'earliest',
      durationMs,
      clusterIds: this.clusters.ids(),
      interrupted: this.core.stopRequested && !this.countReached(),
    };
  }
}
