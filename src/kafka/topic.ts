/** Topic checks and creation (and the group coordinator's readiness), with errors a person can act on. */
import type { Admin } from 'kafkajs';
import type { ClusterName, TopicSpec } from '../config/topology.js';
import { UserError } from '../util/errors.js';
import { waitFor } from '../util/wait.js';
import { describeError, directClient } from './client.js';

export class UnknownTopicError extends UserError {
  constructor(readonly topic: string) {
    super(
      `topic "${topic}" does not exist on the cluster Envoy routes to`,
      `pass --create-topic to create it on both clusters, or pick an existing topic with --topic (the demo creates the topology's topics at start)`,
    );
    this.name = 'UnknownTopicError';
  }
}

/** Number of partitions of `topic`, or UnknownTopicError. */
export async function partitionCount(admin: Admin, topic: string): Promise<number> {
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const found = topics.find((t) => t.name === topic);
    if (!found || found.partitions.length === 0) throw new UnknownTopicError(topic);
    return found.partitions.length;
  } catch (err) {
    const e = err as { type?: string; message?: string };
    if (err instanceof UnknownTopicError) throw err;
    if (e.type === 'UNKNOWN_TOPIC_OR_PARTITION' || /does not host this topic/i.test(e.message ?? '')) {
      throw new UnknownTopicError(topic);
    }
    throw err;
  }
}

/**
 * Topic settings that give Kafka the durability of Redpanda's Raft replication, which the stand-in brokers
 * imitate: an acks=all write counts only once a majority of replicas has it, and a replica that missed
 * acknowledged writes never becomes leader. Without them (min.insync.replicas=1 and unclean leader election
 * on), stopping every broker of a cluster and starting it again can drop messages it had acknowledged,
 * which the ledger check then reports as missing.
 */
export function durabilityConfig(replicationFactor: number): { name: string; value: string }[] {
  return [
    { name: 'min.insync.replicas', value: String(Math.floor(replicationFactor / 2) + 1) },
    { name: 'unclean.leader.election.enable', value: 'false' },
  ];
}

/**
 * Creates the `topics` missing on one cluster, straight to its `brokers` (not via Envoy), with
 * replication capped at the cluster size (`clusterSize`, default the brokers its metadata lists) and
 * durabilityConfig; then waits until every partition of every topic has a leader. Returns the names it
 * created. (kafkajs' own waitForLeaders asks too early for a KRaft cluster and fails with
 * UNKNOWN_TOPIC_OR_PARTITION, so we poll ourselves.) The same path serves `start` and `--create-topic`,
 * so every topic the demo creates has the same durability.
 */
export async function ensureTopics(
  brokers: string[],
  topics: readonly TopicSpec[],
  { clusterSize, signal, cluster }: { clusterSize?: number; signal?: AbortSignal; cluster?: string } = {},
): Promise<string[]> {
  const admin = directClient(brokers, 'failover-demo-topics', { connectionTimeoutMs: 2_000, requestTimeoutMs: 15_000 }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      const size = clusterSize ?? (await admin.describeCluster()).brokers.length;
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => {
          const replicationFactor = Math.max(1, Math.min(t.replicationFactor, size));
          return { topic: t.name, numPartitions: t.partitions, replicationFactor, configEntries: durabilityConfig(replicationFactor) };
        }),
      });
    }
    const names = topics.map((t) => t.name);
    await waitFor(
      async () => {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: names });
        return meta.every((m) => m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0));
      },
      { what: `leaders for ${names.join(', ')}${cluster ? ` on the ${cluster} cluster` : ''}`, timeoutMs: 30_000, intervalMs: 250, signal },
    );
    // Each broker learns of a new topic on its own schedule: a client that asks another broker right after
    // (a producer through Envoy) must find it too, so wait until every broker of the cluster knows it.
    for (const address of brokers) {
      const one = directClient([address], 'failover-demo-topics-check', { retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 } }).admin();
      try {
        await one.connect();
        await waitFor(
          async () => {
            const { topics: meta } = await one.fetchTopicMetadata({ topics: names });
            return meta.every((m) => m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0));
          },
          { what: `broker ${address} to know ${names.join(', ')}`, timeoutMs: 30_000, intervalMs: 200, signal },
        );
      } finally {
        await one.disconnect().catch(() => undefined);
      }
    }
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Kafka's and Redpanda's name for the topic that holds consumer groups and their offsets. */
export const OFFSETS_TOPIC = '__consumer_offsets';

/**
 * Readies one cluster's consumer-group coordinator, straight to its `brokers`. Kafka and Redpanda create the
 * offsets topic on the first FindCoordinator and answer "coordinator not available" / "loading" until its
 * partitions have leaders. Left to the first consumer, a cold cluster pays that during a failover, when the
 * secondary sees its first group on a busy machine; `start` pays it instead, on both clusters.
 */
export async function ensureGroupCoordinator(
  brokers: string[],
  { signal, cluster }: { signal?: AbortSignal; cluster?: string } = {},
): Promise<void> {
  const admin = directClient(brokers, 'failover-demo-coordinator', { connectionTimeoutMs: 2_000, requestTimeoutMs: 15_000 }).admin();
  const where = cluster ? ` on the ${cluster} cluster` : '';
  try {
    await admin.connect();
    await waitFor(
      async () => {
        try {
          await admin.describeGroups(['failover-demo-warm-up']);
        } catch {
          return false;
        }
        const { topics } = await admin.fetchTopicMetadata({ topics: [OFFSETS_TOPIC] }).catch(() => ({ topics: [] }));
        const offsets = topics.find((t) => t.name === OFFSETS_TOPIC);
        return offsets !== undefined && offsets.partitions.length > 0 && offsets.partitions.every((p) => p.leader >= 0);
      },
      { what: `the consumer-group coordinator${where}`, timeoutMs: 60_000, intervalMs: 250, signal },
    );
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface TopicCreation {
  topic: string;
  partitions: number;
  /** Capped at each cluster's broker count. */
  replicationFactor: number;
}

/**
 * Creates the topic on every reachable cluster (ensureTopics per cluster: the clusters are independent
 * and both need it). Returns what happened per cluster; a failure is reported, not thrown.
 */
export async function createTopicOnClusters(
  direct: Partial<Record<ClusterName, string[]>>,
  spec: TopicCreation,
): Promise<Partial<Record<ClusterName, 'created' | 'exists' | string>>> {
  const result: Partial<Record<ClusterName, string>> = {};
  const topic: TopicSpec = { name: spec.topic, partitions: spec.partitions, replicationFactor: spec.replicationFactor };
  for (const [cluster, brokers] of Object.entries(direct) as [ClusterName, string[]][]) {
    if (!brokers.length) continue;
    try {
      const created = await ensureTopics(brokers, [topic], { cluster });
      result[cluster] = created.length ? 'created' : 'exists';
    } catch (err) {
      result[cluster] = `failed: ${describeError(err)}`;
    }
  }
  return result;
}
