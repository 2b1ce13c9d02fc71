/**
 * One kafkajs consumer of the failover consumer's group (./consumer.ts), bound to the cluster it joined.
 * The failover consumer replaces it after a cluster switch or once kafkajs gave up on it; from then on it
 * is not current, its news is dropped, kafkajs does not restart it, and stop({ retire }) keeps it away
 * from the cluster its successor joins.
 */
import type { Consumer } from 'kafkajs';
import { delay } from '../util/wait.js';
import { describeError, socketGate, trackClusterId, type ClusterIdTracker, type KafkaLogLine, type SocketGate } from './client.js';
import type { ClientCore } from './client-core.js';
import { retryOptions } from './settings.js';

export interface MemberOptions {
  groupId: string;
  /** Default 10 s. */
  sessionTimeoutMs?: number;
  /** Default 1 s. */
  heartbeatIntervalMs?: number;
}

/** What a member reports, only while it is the current one. */
export interface MemberEvents {
  /** Whether `member` is the failover consumer's current member. */
  isCurrent(member: GroupMember): boolean;
  log(line: KafkaLogLine): void;
  /** kafkajs crashed the consumer: `restart` when kafkajs restarts it itself, else it stays down. */
  crash(error: string, restart: boolean): void;
  /** It joined the group. */
  join(): void;
}

export class GroupMember {
  readonly consumer: Consumer;
  readonly tracker: ClusterIdTracker;
  /** Its connections: closed when it is replaced, so it cannot reach the cluster its successor joins. */
  private readonly gate: SocketGate = socketGate('consumer retired after a cluster switch');
  /** Cluster id this member joined on (set at the first id seen). */
  clusterId?: string;
  /** kafkajs gave up on it (a crash without restart). */
  crashed = false;

  constructor(core: Pick<ClientCore<string>, 'createKafka' | 'settings'>, o: MemberOptions, events: MemberEvents) {
    const current = () => events.isCurrent(this);
    const client = core.createKafka({
      socketFactory: this.gate.factory,
      // A replaced member still winding down (its old member id unknown on the new cluster) is not news.
      onLog: (line) => {
        if (current()) events.log(line);
      },
    });
    this.tracker = trackClusterId(client);
    this.consumer = client.consumer({
      groupId: o.groupId,
      metadataMaxAge: core.settings.metadataMaxAgeMs,
      allowAutoTopicCreation: false,
      sessionTimeout: o.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: o.heartbeatIntervalMs ?? 1_000,
      maxWaitTimeInMs: 500,
      // Only the current member restarts after a crash; one replaced after a cluster switch stays down.
      retry: { ...retryOptions(core.settings), restartOnFailure: async () => current() },
    });
    this.consumer.on(this.consumer.events.CRASH, (e) => {
      if (!current()) return;
      if (!e.payload.restart) this.crashed = true;
      events.crash(describeError(e.payload.error), e.payload.restart);
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => {
      if (current()) events.join();
    });
  }

  /**
   * Disconnects the kafkajs consumer, waiting at most `timeoutMs`. `retire` (a cluster switch or a crash,
   * a successor follows): first refuse it any new connection, since through Envoy that would reach the
   * cluster its successor is about to join, where it could rejoin the group (its old member id is unknown
   * there, so kafkajs asks for a new one) and hold a share of the partitions until its session times out.
   * Its connections opened before still serve a clean LeaveGroup. In every case, whatever it still holds
   * is closed at the end.
   */
  async stop({ retire = false }: { retire?: boolean }, timeoutMs: number): Promise<void> {
    if (retire) this.gate.block();
    // A consumer whose cluster vanished may hang while leaving its group: do not wait forever.
    // The timer is cancelled once the disconnect wins, so it does not keep the process alive after a command.
    const timer = new AbortController();
    await Promise.race([this.consumer.disconnect().catch(() => undefined), delay(timeoutMs, timer.signal).catch(() => undefined)]);
    timer.abort();
    this.gate.close();
  }
}
