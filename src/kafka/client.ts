/**
 * kafkajs clients the way this project needs them: quiet (kafkajs logs go to a callback, never to the
 * terminal), and able to tell which Kafka cluster they are talking to.
 *
 * Which cluster: kafkajs 2.2.4 keeps the last Metadata response (it carries the cluster id) on its internal
 * Cluster object, which the public API does not expose. `trackClusterId` wraps the client's private
 * cluster factory (looked up by its symbol description) to keep a reference to that object. If a kafkajs
 * upgrade changes that internal, `clusterId()` returns undefined and callers fall back to describeCluster.
 * `captureKafkajsCluster` is that wrapper on its own.
 *
 * Every client is created with the kafkajs fixes of src/kafka/kafkajs-fixes.ts in place: the process's
 * entry point applies them (applyKafkajsFixes), and `createClient` refuses to create a client without them
 * (the UserError naming the fix, the installed and the expected kafkajs version when they did not fit;
 * an Error naming the missing applyKafkajsFixes() call when no entry point made it).
 */
import { connect, isIP, Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import kafkajs from 'kafkajs';
import type { Admin, ISocketFactory, Kafka as KafkaClient, LogEntry, RetryOptions } from 'kafkajs';
import { captureKafkajsCluster as captureInternals } from './kafkajs-internals.js';
import { assertKafkajsFixesApplied } from './kafkajs-fixes.js';

const { Kafka, logLevel } = kafkajs;

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** One kafkajs log line, routed away from the terminal. */
export interface KafkaLogLine {
  level: KafkaLogLevel;
  namespace: string;
  message: string;
  error?: string;
}

export interface ClientOptions {
  brokers: string[];
  clientId: string;
  connectionTimeoutMs: number;
  requestTimeoutMs: number;
  retry: RetryOptions;
  /** Receives kafkajs' warn/error lines (default: dropped). */
  onLog?: (line: KafkaLogLine) => void;
  /** Opens the client's TCP connections (default: kafkajs' own, plain TCP). */
  socketFactory?: ISocketFactory;
}

const LEVEL_NAMES: Record<number, KafkaLogLevel> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
};

/** A kafkajs client; throws (see assertKafkajsFixesApplied) unless the kafkajs fixes are in place. */
export function createClient(o: ClientOptions): KafkaClient {
  assertKafkajsFixesApplied();
  const onLog = o.onLog;
  return new Kafka({
    brokers: o.brokers,
    clientId: o.clientId,
    connectionTimeout: o.connectionTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    retry: o.retry,
    ...(o.socketFactory ? { socketFactory: o.socketFactory } : {}),
    logLevel: onLog ? logLevel.WARN : logLevel.NOTHING,
    logCreator: () => (entry: LogEntry) => {
      if (!onLog) return;
      const { message, error } = entry.log as { message: string; error?: string };
      onLog({ level: LEVEL_NAMES[entry.level] ?? 'info', namespace: entry.namespace, message, error });
    },
  });
}

/**
 * A client that talks straight to one cluster's brokers (bypassing Envoy): admin tasks and checks such as
 * topic creation, readiness and ledger reads. Defaults suit a few short requests; `overrides` tune them.
 */
export function directClient(
  brokers: string[],
  clientId: string,
  overrides: Partial<Pick<ClientOptions, 'connectionTimeoutMs' | 'requestTimeoutMs' | 'retry' | 'onLog'>> = {},
): KafkaClient {
  return createClient({
    brokers,
    clientId,
    connectionTimeoutMs: 3_000,
    requestTimeoutMs: 10_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
    ...overrides,
  });
}

/** A short-lived client for one quick question: fails fast (no retries) unless `retry` says otherwise. */
export type ProbeOptions = Pick<ClientOptions, 'brokers' | 'clientId' | 'connectionTimeoutMs' | 'requestTimeoutMs'> & { retry?: RetryOptions };

/**
 * Asks one question on a short-lived admin client: connects, runs `question`, and disconnects whatever
 * happened. Used for the topic check before a client connects and for the cluster id behind an address;
 * failing fast lets the caller's own loop show why and honour stop() between attempts.
 */
export async function askOnce<T>(o: ProbeOptions, question: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = createClient({ ...o, retry: o.retry ?? { retries: 0 } }).admin();
  try {
    await admin.connect();
    return await question(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * A kafkajs socket factory that can cut its client off: `block()` makes every later connection attempt fail
 * at once, `close()` also destroys the connections already open. Used to retire a consumer after a cluster
 * switch: through Envoy, any connection it opened from then on would reach the new cluster, where it must
 * not take part in the group its successor joins.
 */
export interface SocketGate {
  factory: ISocketFactory;
  block(): void;
  close(): void;
}

export function socketGate(reason: string): SocketGate {
  const open = new Set<Socket>();
  let blocked = false;
  return {
    factory: ({ host, port, ssl, onConnect }) => {
      if (blocked) {
        const refused = new Socket();
        process.nextTick(() => refused.destroy(new Error(reason)));
        return refused;
      }
      const socket = ssl ? tlsConnect({ host, port, ...(isIP(host) ? {} : { servername: host }), ...ssl }, onConnect) : connect({ host, port }, onConnect);
      socket.setKeepAlive(true, 60_000);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      return socket;
    },
    block: () => {
      blocked = true;
    },
    close: () => {
      blocked = true;
      for (const socket of open) socket.destroy();
      open.clear();
    },
  };
}

interface InternalCluster {
  brokerPool?: {
    metadata?: {
      clusterId?: string;
      topicMetadata?: { topic: string; partitionMetadata?: { partitionId: number; leader?: number }[] }[];
    } | null;
    brokers?: Record<string, { nodeId?: number } | undefined>;
  };
}

/** Reads the cluster id of the Metadata response that the last producer/consumer/admin of `kafka` holds. */
export interface ClusterIdTracker {
  clusterId(): string | undefined;
  /** What kafkajs' metadata says about one partition (its leader and the broker it would send to): for error messages. */
  describePartition(topic: string, partition: number): string;
}

/** kafkajs' internal Cluster of the last producer/consumer/admin `kafka` creates (see ./kafkajs-internals.ts). */
export function captureKafkajsCluster<T = InternalCluster>(kafka: KafkaClient): () => T | undefined {
  return captureInternals<T>(kafka);
}

export function trackClusterId(kafka: KafkaClient): ClusterIdTracker {
  const current = captureKafkajsCluster(kafka);
  return {
    clusterId: () => current()?.brokerPool?.metadata?.clusterId ?? undefined,
    describePartition: (topic, partition) => {
      const pool = current()?.brokerPool;
      if (!pool?.metadata) return 'kafkajs holds no metadata';
      const partitions = pool.metadata.topicMetadata?.find((t) => t.topic === topic)?.partitionMetadata ?? [];
      const entry = partitions.find((p) => p.partitionId === partition);
      if (!entry) return `kafkajs metadata lists partitions [${partitions.map((p) => p.partitionId).join(',')}] of ${topic}`;
      const broker = pool.brokers?.[String(entry.leader)];
      return `kafkajs metadata: leader node ${entry.leader}, ${broker ? `whose broker object has node id ${broker.nodeId}` : 'no broker object for it'}`;
    },
  };
}

/** A kafkajs log line as one status-line text: the message and, when kafkajs gave one, the error behind it. */
export function logLineText(line: KafkaLogLine): string {
  return line.error && !line.message.includes(line.error) ? `${line.message}: ${line.error}` : line.message;
}

/** First line of an error's message, for status lines. */
export function describeError(err: unknown): string {
  const e = err as { message?: string; name?: string } | undefined;
  return (e?.message ?? String(err)).split('\n')[0] ?? 'unknown error';
}
