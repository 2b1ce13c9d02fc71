/** Real readiness signals of the local rig: brokers answer metadata, Envoy sees every endpoint healthy. */
import type { Admin } from 'kafkajs';
import { createClient } from '../../kafka/client.js';
import { readRouting, type RoutingSnapshot } from '../../envoy/routing.js';
import type { TopicSpec, Topology } from '../../config/topology.js';
import { waitFor } from '../../util/wait.js';

export function quietAdmin(brokers: string[], clientId = 'failover-demo-local-runtime'): Admin {
  return createClient({
    brokers,
    clientId,
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 5_000,
    retry: { retries: 0 },
  }).admin();
}

/** Number of brokers the cluster's metadata lists, asked through `brokers` (direct listeners). */
export async function brokersInMetadata(brokers: string[]): Promise<number> {
  const admin = quietAdmin(brokers);
  try {
    await admin.connect();
    return (await admin.describeCluster()).brokers.length;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Creates topics that do not exist yet (replication capped at the cluster size) and waits until every
 * partition has a leader; returns the names created. (kafkajs' own waitForLeaders asks too early for a
 * KRaft cluster and fails with UNKNOWN_TOPIC_OR_PARTITION, so we poll ourselves.)
 */
export async function ensureTopics(brokers: string[], topics: readonly TopicSpec[], clusterSize: number, signal?: AbortSignal): Promise<string[]> {
  const admin = createClient({
    brokers,
    clientId: 'failover-demo-topics',
    connectionTimeoutMs: 2_000,
    requestTimeoutMs: 15_000,
    retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 2_000 },
  }).admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length > 0) {
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: Math.min(t.replicationFactor, clusterSize),
        })),
      });
    }
    await waitFor(
      async () => {
        const { topics: meta } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.name) });
        return meta.every((m) => m.partitions.length > 0 && m.partitions.every((p) => p.leader >= 0));
      },
      { what: `leaders for ${topics.map((t) => t.name).join(', ')}`, timeoutMs: 30_000, intervalMs: 250, signal },
    );
    return missing.map((t) => t.name);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Envoy's routing view (per listener, per host), or undefined when its admin API does not answer. */
export async function readRoutingOrUndefined(adminUrl: string, topology: Topology): Promise<RoutingSnapshot | undefined> {
  try {
    return await readRouting(adminUrl, topology);
  } catch {
    return undefined;
  }
}

/** Every upstream host Envoy knows is healthy, and there are `expected` of them. */
export function allHostsHealthy(snapshot: RoutingSnapshot | undefined, expected: number): boolean {
  const hosts = snapshot?.listeners.flatMap((l) => l.hosts) ?? [];
  return hosts.length === expected && hosts.every((h) => h.healthy);
}
