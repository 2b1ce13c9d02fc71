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
import { dialAddress } from './net.js';
import type { RedpandaNodeConfig, SocketAddress } from './kafka-config.js';

const { Kafka, logLevel } = kafkajs;

export const SCHEMAS_TOPIC = '_schemas';

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
 * Creates `_schemas`, writes one record with acks=all and reads it back, retrying until it works or
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
        this.o.log(`Schema Registry internal client ready: wrote and read back ${SCHEMAS_TOPIC} via ${this.status.advertised.join(', ')}`);
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
    const admin = kafka.admin();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    const consumer = kafka.consumer({ groupId: `failover-demo-standin-schema-registry-${this.o.config.nodeId}`, retry: { retries: 2 } });
    try {
      await admin.connect();
      const { brokers } = await admin.describeCluster();
      this.status.advertised = brokers.map((b) => `${b.host}:${b.port}`).sort();
      const replicas = Math.min(3, this.o.config.seedServers.length);
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic: SCHEMAS_TOPIC, numPartitions: 1, replicationFactor: replicas, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
      // The write goes to the partition leader at its advertised address: the step that fails when the
      // first listener advertises Envoy.
      const marker = `noop-${this.o.config.nodeId}-${Date.now()}`;
      await producer.connect();
      const [sent] = await producer.send({ topic: SCHEMAS_TOPIC, acks: -1, messages: [{ key: marker, value: null }] });
      const offset = sent?.baseOffset;
      if (offset === undefined) throw new Error(`no acknowledgement for the write to ${SCHEMAS_TOPIC}`);
      await consumer.connect();
      await consumer.subscribe({ topic: SCHEMAS_TOPIC, fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        consumer
          .run({
            eachMessage: async ({ message }) => {
              if (message.key?.toString() === marker) resolve();
            },
          })
          .catch(reject);
        consumer.on(consumer.events.CRASH, (e) => reject(new Error(`reading ${SCHEMAS_TOPIC} back: ${String(e.payload.error)}`)));
      });
    } finally {
      await Promise.allSettled([consumer.disconnect(), producer.disconnect(), admin.disconnect()]);
    }
  }
}
