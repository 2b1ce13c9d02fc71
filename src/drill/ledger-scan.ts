/**
 * The drill's ledger check: is every acknowledged message somewhere? Reads the whole topic straight from
 * each cluster (not through Envoy) and looks the messages up by producer id and sequence number.
 *
 * Not by (cluster, partition, offset) as `verify-ledger` does: during a split the producer's metadata comes
 * from one cluster while some listeners send its writes to the other, so an acknowledgement can name the
 * wrong cluster (and kafkajs then reports offsets of the other cluster, or -1). Looking messages up by
 * content finds them wherever they are, and counts how many acknowledgements named the wrong cluster.
 */
import { randomBytes } from 'node:crypto';
import type { ClusterName } from '../config/topology.js';
import { directClient } from '../kafka/client.js';
import { readLedger } from '../kafka/ledger.js';
import { decodeMessage } from '../kafka/message.js';
import { waitFor } from '../util/wait.js';

export interface LedgerScan {
  /** Acknowledged messages. */
  checked: number;
  /** Acknowledged, found on neither cluster. */
  missing: number;
  /** Found, but only on the other cluster than the acknowledgement named. */
  onOtherCluster: number;
  /** Those, with the cluster that really holds them (the ack's label came from stale client metadata). */
  relabelled: { producer: string; seq: number; cluster: ClusterName }[];
  /** A few missing ones (producer, seq, cluster named by the ack). */
  missingSamples: { producer: string; seq: number; cluster: string }[];
}

/** Sequence numbers of `producer`'s messages on one cluster's copy of `topic`. */
export async function sequencesOn(brokers: string[], topic: string, producer: string, timeoutMs = 60_000): Promise<Set<number>> {
  const found = new Set<number>();
  const client = directClient(brokers, 'failover-demo-drill-ledger');
  const admin = client.admin();
  const consumer = client.consumer({ groupId: `failover-demo-drill-ledger-${randomBytes(4).toString('hex')}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  try {
    await admin.connect();
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, BigInt(o.high)]));
    const position = new Map([...ends.keys()].map((p) => [p, 0n]));
    if ([...ends.values()].every((high) => high === 0n)) return found;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const record of batch.messages) {
          const m = decodeMessage(record.value);
          if (m?.producer === producer) found.add(m.seq);
          position.set(batch.partition, BigInt(record.offset) + 1n);
        }
      },
    });
    await waitFor(() => [...ends].every(([p, high]) => (position.get(p) ?? 0n) >= high), {
      timeoutMs,
      intervalMs: 100,
      what: `reading ${topic} from ${brokers.join(',')}`,
    });
    return found;
  } finally {
    await Promise.allSettled([consumer.disconnect(), admin.disconnect()]);
  }
}

export async function scanLedger(ledgerFile: string, topic: string, direct: Partial<Record<ClusterName, string[]>>): Promise<LedgerScan> {
  const entries = await readLedger(ledgerFile);
  const producers = [...new Set(entries.map((e) => e.producer))];
  const on: Record<ClusterName, Map<string, Set<number>>> = { primary: new Map(), secondary: new Map() };
  for (const cluster of ['primary', 'secondary'] as const) {
    const brokers = direct[cluster];
    if (!brokers?.length) continue;
    for (const producer of producers) on[cluster].set(producer, await sequencesOn(brokers, topic, producer));
  }
  const has = (cluster: ClusterName, producer: string, seq: number) => on[cluster].get(producer)?.has(seq) ?? false;
  let missing = 0;
  let onOtherCluster = 0;
  const relabelled: LedgerScan['relabelled'] = [];
  const missingSamples: LedgerScan['missingSamples'] = [];
  for (const e of entries) {
    const named = e.cluster === 'primary' || e.cluster === 'secondary' ? e.cluster : undefined;
    const onNamed = named ? has(named, e.producer, e.seq) : false;
    const anywhere = has('primary', e.producer, e.seq) || has('secondary', e.producer, e.seq);
    if (!anywhere) {
      missing++;
      if (missingSamples.length < 20) missingSamples.push({ producer: e.producer, seq: e.seq, cluster: e.cluster });
    } else if (!onNamed) {
      onOtherCluster++;
      relabelled.push({ producer: e.producer, seq: e.seq, cluster: has('primary', e.producer, e.seq) ? 'primary' : 'secondary' });
    }
  }
  return { checked: entries.length, missing, onOtherCluster, relabelled, missingSamples };
}
