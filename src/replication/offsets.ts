/**
 * What the replicator reads and writes on the clusters with kafkajs, straight to the brokers: the end
 * offsets of the replicated topics (for lag and for the position a flow starts at), and the position a
 * MirrorMaker 2 flow resumes from (written into MM2's own offsets topic before it starts).
 */
import type { Admin } from 'kafkajs';
import { askOnce, directClient } from '../kafka/client.js';
import { CONNECT_OFFSETS_PARTITIONS, connectOffsetsTopic, sourceOffsetKey, sourceOffsetValue, type Flow } from './mm2-properties.js';

/** Per topic, the end offset of each partition (index = partition). */
export type Offsets = Record<string, number[]>;

const probe = (brokers: string[], timeoutMs: number) => ({
  brokers,
  clientId: 'failover-demo-replicator',
  connectionTimeoutMs: Math.min(3_000, timeoutMs),
  requestTimeoutMs: timeoutMs,
});

async function topicEnds(admin: Admin, topics: string[]): Promise<Offsets> {
  const out: Offsets = {};
  for (const topic of topics) {
    const list = await admin.fetchTopicOffsets(topic);
    const ends: number[] = [];
    for (const p of list) ends[p.partition] = Number(p.high);
    out[topic] = ends;
  }
  return out;
}

/** End offsets of `topics` on the cluster at `brokers`; rejects when it cannot answer within about `timeoutMs`. */
export function endOffsets(brokers: string[], topics: string[], timeoutMs = 3_000): Promise<Offsets> {
  return askOnce(probe(brokers, timeoutMs), (admin) => topicEnds(admin, topics));
}

/** Per partition, how far `target` is behind `source` since the flow started at (sourceBase, targetBase). */
export function lagOf(source: Offsets, target: Offsets, sourceBase: Offsets, targetBase: Offsets): Offsets {
  const out: Offsets = {};
  for (const [topic, ends] of Object.entries(source)) {
    out[topic] = ends.map((end, p) => {
      const copied = (target[topic]?.[p] ?? 0) - (targetBase[topic]?.[p] ?? 0);
      const produced = end - (sourceBase[topic]?.[p] ?? 0);
      return Math.max(0, produced - copied);
    });
  }
  return out;
}

export const totalOf = (o: Offsets): number => Object.values(o).reduce((n, ends) => n + ends.reduce((a, b) => a + b, 0), 0);

/**
 * Makes `flow` start copying at `next` (per topic and partition) the next time its MM2 starts: writes
 * MirrorSourceConnector's position records into MM2's offsets topic on the target cluster (created first,
 * compacted, as MM2 creates it). Acknowledged by every in-sync replica before it returns.
 */
export async function seedFlowStart(targetBrokers: string[], replicationFactor: number, flow: Flow, next: Offsets): Promise<void> {
  const kafka = directClient(targetBrokers, 'failover-demo-replicator');
  const topic = connectOffsetsTopic(flow);
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) {
      await admin.createTopics({
        waitForLeaders: true,
        topics: [{ topic, numPartitions: CONNECT_OFFSETS_PARTITIONS, replicationFactor, configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }],
      });
    }
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const messages = Object.entries(next).flatMap(([t, ends]) => ends.map((end, partition) => ({ key: sourceOffsetKey(flow, t, partition), value: sourceOffsetValue(end) })));
    await producer.send({ topic, acks: -1, messages });
  } finally {
    await producer.disconnect().catch(() => undefined);
  }
}
