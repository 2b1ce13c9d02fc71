/** Topic checks and creation, with errors a person can act on. */
import type { Admin } from 'kafkajs';
import type { ClusterName } from '../config/topology.js';
import { UserError } from '../util/errors.js';
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
      retry: { retries: 2, initialRetryTime: 200, maxRetryTime: 1_000 },
    }).admin();
    try {
      await admin.connect();
      const { brokers: nodes } = await admin.describeCluster();
      const created = await admin.createTopics({
        waitForLeaders: true,
        topics: [
          {
            topic: spec.topic,
            numPartitions: spec.partitions,
            replicationFactor: Math.max(1, Math.min(spec.replicationFactor, nodes.length)),
          },
        ],
      });
      result[cluster] = created ? 'created' : 'exists';
    } catch (err) {
      result[cluster] = `failed: ${describeError(err)}`;
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }
  return result;
}
