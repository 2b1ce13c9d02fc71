/** Topic checks and creation, with errors a person can act on. */
import type { Admin } from 'kafkajs';
import type { ClusterName } from '../config/topology.js';
import { UserError } from '../util/errors.js';
import { waitFor } from '../util/wait.js';
import { createClient, describeError } from './client.js';

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

export interface TopicCreation {
  topic: string;
  partitions: number;
  /** Capped at each cluster's broker count. */
  replicationFactor: number;
}

/**
 * Creates the topic on every reachable cluster, straight to its brokers (not via Envoy: the clusters
 * are independent and both need it). Returns what happened per cluster.
 */
export async function createTopicOnClusters(
  direct: Partial<Record<ClusterName, string[]>>,
  spec: TopicCreation,
): Promise<Partial<Record<ClusterName, 'created' | 'exists' | string>>> {
  const result: Partial<Record<ClusterName, string>> = {};
  for (const [cluster, brokers] of Object.entries(direct) as [ClusterName, string[]][]) {
    if (!brokers.length) continue;
    const admin = createClient({
      brokers,
      clientId: 'failover-demo-topic',
      connectionTimeoutMs: 2_000,
      requestTimeoutMs: 10_000,
      // waitForLeaders polls metadata through these retries: give a 3-broker cluster a few seconds.
      retry: { retries: 10, initialRetryTime: 200, maxRetryTime: 1_000 },
    }).admin();
    try {
      await admin.connect();
      const { brokers: nodes } = await admin.describeCluster();
      const replicationFactor = Math.max(1, Math.min(spec.replicationFactor, nodes.length));
      // kafkajs' own waitForLeaders gives up when a broker does not know the new topic yet
      // (UNKNOWN_TOPIC_OR_PARTITION): wait for leaders here instead.
      const created = await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.partitions,
            replicationFactor,
            configEntries: durabilityConfig(replicationFactor),
          },
        ],
      });
      await waitFor(
        async () => {
          const { topics } = await admin.fetchTopicMetadata({ topics: [spec.topic] });
          const partitions = topics[0]?.partitions ?? [];
          return partitions.length > 0 && partitions.every((p) => p.leader >= 0);
        },
        { timeoutMs: 30_000, intervalMs: 200, what: `leaders for ${spec.topic} on the ${cluster} cluster` },
      );
      result[cluster] = created ? 'created' : 'exists';
    } catch (err) {
      result[cluster] = `failed: ${describeError(err)}`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  return result;
}
