/**
 * The Schema Registry's internal Kafka client, as the stand-in imitates it.
 *
 * Redpanda's Schema Registry (and HTTP Proxy) runs a Kafka client of its own. It bootstraps from
 * `schema_registry_client.brokers`, or when that is not set from the broker's first Kafka API listener,
 * and then talks to whatever addresses that listener *advertises* (redpanda src/v/kafka/client). Every
 * Schema Registry route, the health-checked `GET /schemas/types` included, waits until that client has
 * created its internal topic `_schemas`, written to it and read it back. So a first listener that
 * advertises Envoy sends the client through Envoy, which routes nothing before a health check passes:
 * the registry never answers. The stand-in does the same work before it answers, through the same
 * addresses, so the tests see that failure instead of hiding it.
 */
import kafkajs from 'kafkajs';
import { captureKafkajsCluster } from '../kafka/kafkajs-internals.js';
import { dialAddress } from '../util/net.js';
import type { RedpandaNodeConfig, SocketAddress } from './kafka-config.js';

const { Kafka, logLevel } = kafkajs;

/**
 * The stand-in's internal topic: one per broker (`_schemas_standin_<node id>`), a single replica on the
 * broker itself. Redpanda's `_schemas` is replicated by Raft and writable while a majority runs; a Kafka
 * partition waits for its last in-sync replica instead, which after a stopped cluster's brokers return
 * one by one may be the broker still down (seen: a Schema Registry that never came up). A topic that
 * lives on the broker itself is writable exactly when that broker's Kafka API is up, which (the
 * stand-in opens it only with a controller quorum) matches Raft's majority rule, and the write still
 * goes to the address its first listener advertises.
 */
export function schemasTopic(nodeId: number): string {
  return `_schemas_standin_${nodeId}`;
}

/** Where the internal client bootstraps: schema_registry_client.brokers, else the first Kafka listener. */
export function internalClientBootstrap(c: Pick<RedpandaNodeConfig, 'schemaRegistryClientBrokers' | 'kafkaApi'>): SocketAddress[] {
  if (c.schemaRegistryClientBrokers.length > 0) return c.schemaRegistryClientBrokers;
  return [dialAddress(c.kafkaApi[0]!)];
}

export interface InternalClientState {
  state: 'waiting' | 'ready' | 'stopped';
  bootstrap: string[];
  /** Broker addresses the cluster advertised to the client (where it really connects). */
  advertised: string[];
  attempts: number;
  lastError?: string;
  readyAt?: string;
}

export interface InternalClientOptions {
  config: Pick<RedpandaNodeConfig, 'schemaRegistryClientBrokers' | 'kafkaApi' | 'nodeId' | 'seedServers'>;
  log: (msg: string) => void;
  /** Per-attempt budget; the client keeps trying until stopped. */
  attemptTimeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/**
 * Creates `_schemas`, writes one record with acks=all and fetches it back from the partition leader
 * (no consumer group), retrying until it works or
 * `stop()` is called. `ready` resolves true once done, false when stopped first.
 */
export class SchemaRegistryInternalClient {
  readonly status: InternalClientState;
  readonly ready: Promise<boolean>;
  private stopped = false;
  private wake?: () => void;

  constructor(private readonly o: InternalClientOptions) {
    const bootstrap = internalClientBootstrap(o.config).map((a) => `${a.address}:${a.port}`);
    this.status = { state: 'waiting', bootstrap, advertised: [], attempts: 0 };
    this.ready = this.loop();
  }

  stop(): void {
    this.stopped = true;
    if (this.status.state === 'waiting') this.status.state = 'stopped';
    this.wake?.();
  }

  private async loop(): Promise<boolean> {
    let lastLogged = '';
    while (!this.stopped) {
      this.status.attempts++;
      try {
        await withTimeout(this.attempt(), this.o.attemptTimeoutMs ?? 15_000, 'writing and reading back _schemas');
        if (this.stopped) break;
        this.status.state = 'ready';
        this.status.readyAt = new Date().toISOString();
        delete this.status.lastError;
        this.o.log(`Schema Registry internal client ready: wrote and read back ${schemasTopic(this.o.config.nodeId)} via ${this.status.advertised.join(', ')}`);
        return true;
      } catch (err) {
        const msg = (err as Error).message;
        this.status.lastError = msg;
        if (msg !== lastLogged) {
          this.o.log(`Schema Registry waits for its internal Kafka client (bootstrap ${this.status.bootstrap.join(', ')}, advertised ${this.status.advertised.join(', ') || 'unknown'}): ${msg}`);
          lastLogged = msg;
        }
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return false;
  }

  private async attempt(): Promise<void> {
    const kafka = new Kafka({
      clientId: `schema_registry_client-${this.o.config.nodeId}`,
      brokers: this.status.bootstrap,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2_000,
      requestTimeout: 5_000,
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
    });
    const capture = captureKafkajsCluster<InternalCluster>(kafka);
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    // The producer's own kafkajs cluster (an admin created later would be captured next).
    const producerCluster = capture();
    const cluster = () => producerCluster;
    const topic = schemasTopic(this.o.config.nodeId);
    const marker = `noop-${this.o.config.nodeId}-${Date.now()}`;
    // The producer's metadata covers its own topic only: a kafkajs admin asks for every topic, and fails
    // while any partition of the cluster has no leader (a demo topic whose last replica is down).
    const write = async () => {
      const [sent] = await producer.send({ topic, acks: -1, messages: [{ key: marker, value: null }] });
      if (sent?.baseOffset === undefined) throw new Error(`no acknowledgement for the write to ${topic}`);
      return sent.baseOffset;
    };
    try {
      await producer.connect();
      let offset: string;
      try {
        offset = await write();
      } catch (err) {
        const e = err as { message?: string; type?: string; originalError?: { message?: string; type?: string } };
        const text = `${e.message} ${e.type ?? ''} ${e.originalError?.message ?? ''} ${e.originalError?.type ?? ''}`;
        if (!/does not host this topic-partition|UNKNOWN_TOPIC/i.test(text)) throw err;
        await this.createTopic(kafka, topic);
        offset = await write();
      } finally {
        // Where the metadata sent the client (what a first listener advertising Envoy gets wrong).
        const known = cluster()?.brokerPool?.metadata?.brokers;
        if (known) this.status.advertised = known.map((b) => `${b.host}:${b.port}`).sort();
      }
      await readBack(cluster(), topic, marker, offset);
    } finally {
      await producer.disconnect().catch(() => undefined);
    }
  }

  /** Creates this broker's internal topic: one partition, one replica, on the broker itself. */
  private async createTopic(kafka: InstanceType<typeof Kafka>, topic: string): Promise<void> {
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic,
            replicaAssignment: [{ partition: 0, replicas: [this.o.config.nodeId] }],
            configEntries: [
              { name: 'cleanup.policy', value: 'compact' },
              { name: 'min.insync.replicas', value: '1' },
            ],
          },
        ],
      });
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
}

/** The parts of kafkajs' internal Cluster used to fetch one offset without a consumer group. */
interface InternalCluster {
  brokerPool?: { metadata?: { brokers?: { host: string; port: number }[] } | null };
  findTopicPartitionMetadata(topic: string): { partitionId: number; leader: number }[];
  findBroker(b: { nodeId: string }): Promise<{
    fetch(request: unknown): Promise<{ responses: { partitions: { errorCode: number; messages?: { key?: Buffer | null }[] }[] }[] }>;
  }>;
}

/** Fetches `_schemas` at `offset` from its leader (no consumer group: Redpanda's client reads it the same way). */
async function readBack(cluster: InternalCluster | undefined, topic: string, marker: string, offset: string): Promise<void> {
  if (!cluster) throw new Error(`kafkajs internals changed: cannot read ${topic} back (kafkajs 2.2.4 expected)`);
  const leader = cluster.findTopicPartitionMetadata(topic).find((p) => p.partitionId === 0)?.leader;
  if (leader === undefined || leader < 0) throw new Error(`${topic} has no leader`);
  const broker = await cluster.findBroker({ nodeId: String(leader) });
  const res = await broker.fetch({
    replicaId: -1,
    isolationLevel: 0,
    maxWaitTime: 100,
    minBytes: 1,
    maxBytes: 1 << 20,
    topics: [{ topic, partitions: [{ partition: 0, fetchOffset: offset, maxBytes: 1 << 20 }] }],
  });
  const part = res.responses[0]?.partitions[0];
  if (!part?.messages?.some((m) => m.key?.toString() === marker)) {
    throw new Error(`reading ${topic} back at offset ${offset} did not return the record just written`);
  }
}
