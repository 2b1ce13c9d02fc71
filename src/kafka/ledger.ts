/**
 * The ledger: the file `produce --ledger` appends every acknowledged message to (its format is defined
 * here, and only here), and the proof that every acknowledged message is where its ack said: reads each
 * ledger entry back at its (cluster, topic, partition, offset) straight from that cluster's brokers (not
 * through Envoy) and checks it carries the right producer id and sequence number.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import type { Admin } from 'kafkajs';
import type { ClusterName } from '../config/topology.js';
import { UserError } from '../util/errors.js';
import { waitFor } from '../util/wait.js';
import { describeError, directClient } from './client.js';
import { createClusterDirectory, type ClusterLabel } from './clusters.js';
import { decodeMessage } from './message.js';

/** One line of the --ledger file: an acknowledged message and where its ack said it is. */
export interface LedgerEntry {
  producer: string;
  seq: number;
  topic: string;
  cluster: ClusterLabel;
  clusterId?: string;
  partition: number;
  offset: string;
  at: number;
}

/** The ledger file's format: JSON lines, one entry per line. */
export function ledgerLine(entry: LedgerEntry): string {
  return JSON.stringify(entry) + '\n';
}

/** One line of a ledger file as its entry (throws on a line that is not JSON). */
export function parseLedgerLine(line: string): LedgerEntry {
  return JSON.parse(line) as LedgerEntry;
}

/** A ledger file being appended to (created if missing). */
export interface LedgerWriter {
  append(entry: LedgerEntry): void;
  /** Flushes and closes the file. */
  close(): Promise<void>;
}

export function openLedger(file: string): LedgerWriter {
  const stream = createWriteStream(file, { flags: 'a' });
  return {
    append: (entry) => void stream.write(ledgerLine(entry)),
    close: () => new Promise<void>((resolve) => stream.end(resolve)),
  };
}

export interface MissingEntry extends LedgerEntry {
  /** Why it does not count as found. */
  reason: string;
}

export interface LedgerVerification {
  checked: number;
  missing: number;
  /** First few missing entries, with the reason. */
  missingSamples: MissingEntry[];
  /** Entries per cluster, by the label the producer gave each ack. */
  byCluster: Partial<Record<ClusterName | 'unknown', number>>;
  /** Entries found, per cluster where they really are (at the acked partition and offset). */
  foundOn: Partial<Record<ClusterName, number>>;
  /** Entries labelled with one cluster but found, at their acked partition and offset, on the other. */
  relabelled: number;
}

export async function readLedger(file: string): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  let lineNo = 0;
  try {
    const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    for await (const line of lines) {
      lineNo++;
      if (!line.trim()) continue;
      entries.push(parseLedgerLine(line));
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new UserError(`ledger file ${file} does not exist`, 'write one with `failover-demo produce --ledger FILE`');
    throw new UserError(`ledger file ${file} line ${lineNo} is not JSON: ${describeError(err)}`);
  }
  return entries;
}

const key = (topic: string, partition: number, offset: string) => `${topic}\u0000${partition}\u0000${offset}`;

export interface VerifyOptions {
  /** Give up reading one cluster after this long. Default 60 s. */
  timeoutMs?: number;
  maxSamples?: number;
}

export async function verifyLedger(
  file: string,
  direct: Partial<Record<ClusterName, string[]>>,
  options: VerifyOptions = {},
): Promise<LedgerVerification> {
  const entries = await readLedger(file);
  const maxSamples = options.maxSamples ?? 20;
  const missing: MissingEntry[] = [];
  let missingCount = 0;
  const miss = (e: LedgerEntry, reason: string) => {
    missingCount++;
    if (missing.length < maxSamples) missing.push({ ...e, reason });
  };

  // An entry labelled 'unknown' still names its cluster id: map it if a cluster answers with that id.
  const directory = createClusterDirectory(direct);
  await directory.refresh();
  const byCluster: Partial<Record<ClusterName | 'unknown', LedgerEntry[]>> = {};
  for (const e of entries) {
    const cluster = e.cluster !== 'unknown' ? e.cluster : directory.knownNameOf(e.clusterId);
    (byCluster[cluster] ??= []).push(e);
  }
  for (const e of byCluster.unknown ?? []) miss(e, 'acked by a cluster that is neither primary nor secondary (unknown cluster id)');

  // First pass: each entry where its label says. Second pass: an entry not at its (partition, offset) on
  // the labelled cluster is looked for at exactly that (partition, offset) on the other cluster. The label
  // comes from the client's metadata, which can still name the old cluster for a moment after Envoy
  // switched; the offset comes from the ack itself. Found there with the right producer and sequence, the
  // entry is proven acknowledged by that other cluster ("relabelled"), not lost.
  const found: Partial<Record<ClusterName, number>> = {};
  const retry: Record<ClusterName, [LedgerEntry, string][]> = { primary: [], secondary: [] };
  for (const cluster of ['primary', 'secondary'] as const) {
    const wanted = byCluster[cluster];
    if (!wanted?.length) continue;
    const brokers = direct[cluster];
    if (!brokers?.length) {
      for (const e of wanted) miss(e, `no direct address for the ${cluster} cluster`);
      continue;
    }
    try {
      const notFound = await readBack(brokers, wanted, options.timeoutMs ?? 60_000);
      found[cluster] = wanted.length - notFound.length;
      retry[cluster === 'primary' ? 'secondary' : 'primary'].push(...notFound);
    } catch (err) {
      for (const e of wanted) miss(e, `cannot read the ${cluster} cluster: ${describeError(err)}`);
    }
  }
  let relabelled = 0;
  for (const cluster of ['primary', 'secondary'] as const) {
    const candidates = retry[cluster];
    if (!candidates.length) continue;
    const brokers = direct[cluster];
    let stillMissing = candidates;
    if (brokers?.length) {
      try {
        const notFound = new Set((await readBack(brokers, candidates.map(([e]) => e), options.timeoutMs ?? 60_000)).map(([e]) => e));
        stillMissing = candidates.filter(([e]) => notFound.has(e));
        const here = candidates.length - stillMissing.length;
        relabelled += here;
        found[cluster] = (found[cluster] ?? 0) + here;
      } catch {
        // keep the first pass's reasons
      }
    }
    for (const [e, reason] of stillMissing) miss(e, reason);
  }
  return {
    checked: entries.length,
    missing: missingCount,
    missingSamples: missing,
    byCluster: Object.fromEntries(Object.entries(byCluster).map(([c, list]) => [c, list.length])),
    foundOn: found,
    relabelled,
  };
}

/** Reads the wanted offsets of one cluster; returns the entries not found as written, with the reason. */
async function readBack(brokers: string[], wanted: LedgerEntry[], timeoutMs: number): Promise<[LedgerEntry, string][]> {
  // Several entries may claim one offset (a wrong ack label): at most one of them can be right.
  const pending = new Map<string, LedgerEntry[]>();
  for (const e of wanted) {
    const k = key(e.topic, e.partition, e.offset);
    pending.set(k, [...(pending.get(k) ?? []), e]);
  }
  const unclaim = (e: LedgerEntry) => {
    const k = key(e.topic, e.partition, e.offset);
    const rest = (pending.get(k) ?? []).filter((x) => x !== e);
    if (rest.length) pending.set(k, rest);
    else pending.delete(k);
  };
  const wrong: [LedgerEntry, string][] = [];
  const client = directClient(brokers, 'failover-demo-ledger', { retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 1_000 } });
  const admin = client.admin();
  const consumer = client.consumer({ groupId: `failover-demo-ledger-${randomBytes(4).toString('hex')}`, allowAutoTopicCreation: false, maxWaitTimeInMs: 200 });
  try {
    await admin.connect();
    const { ranges, unreadable } = await planRanges(admin, brokers, wanted, timeoutMs);
    for (const [e, reason] of unreadable) {
      wrong.push([e, reason]);
      unclaim(e);
    }
    if (ranges.size === 0) return wrong;

    // Start each partition at its first wanted offset, every time the group (re)joins: on a cluster that
    // has just restarted, kafkajs may crash and restart this consumer before its group exists, and a seek
    // made then throws ("Consumer group was not initialized"). Without a seek it reads from the start.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      for (const r of ranges.values()) {
        try {
          consumer.seek({ topic: r.topic, partition: r.partition, offset: r.from.toString() });
        } catch {
          // the next join seeks again
        }
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...new Set([...ranges.values()].map((r) => r.topic))], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const r = ranges.get(`${batch.topic}\u0000${batch.partition}`);
        for (const record of batch.messages) {
          const k = key(batch.topic, batch.partition, record.offset);
          const claims = pending.get(k);
          if (claims) {
            pending.delete(k);
            const m = decodeMessage(record.value);
            for (const e of claims) {
              if (!m || m.producer !== e.producer || m.seq !== e.seq) {
                wrong.push([e, `offset ${e.offset} holds ${m ? `${m.producer} #${m.seq}` : 'another record'}`]);
              }
            }
          }
          if (r && BigInt(record.offset) + 1n > r.position) r.position = BigInt(record.offset) + 1n;
        }
      },
    });
    await waitFor(() => [...ranges.values()].every((r) => r.position > r.to), {
      timeoutMs,
      intervalMs: 100,
      what: `reading back ${wanted.length} ledger entries from ${brokers.join(',')}`,
    });
  } finally {
    await Promise.allSettled([consumer.disconnect(), admin.disconnect()]);
  }
  for (const e of [...pending.values()].flat()) wrong.push([e, `offset ${e.offset} not returned by the broker (compacted or transaction marker?)`]);
  return wrong;
}

/** Offsets to read from one partition: the wanted range, the log's end when planned, and how far it was read. */
interface ReadRange {
  topic: string;
  partition: number;
  from: bigint;
  to: bigint;
  end: bigint;
  position: bigint;
}

/**
 * The range to read per partition and the end of each partition's log right now; `unreadable`: the
 * entries that cannot be there (topic not readable, partition missing, offset outside the log), with why.
 */
async function planRanges(
  admin: Admin,
  brokers: string[],
  wanted: LedgerEntry[],
  timeoutMs: number,
): Promise<{ ranges: Map<string, ReadRange>; unreadable: [LedgerEntry, string][] }> {
  const unreadable: [LedgerEntry, string][] = [];
  const topics = [...new Set(wanted.map((e) => e.topic))];
  const ranges = new Map<string, ReadRange>();
  for (const topic of topics) {
    let offsets: { partition: number; high: string; low: string }[];
    try {
      // A cluster just restarted may still be electing leaders: retry until the deadline.
      offsets = await waitFor(() => admin.fetchTopicOffsets(topic), {
        timeoutMs: Math.min(timeoutMs, 30_000),
        intervalMs: 500,
        what: `offsets of ${topic} on ${brokers.join(',')}`,
      });
    } catch (err) {
      for (const e of wanted.filter((w) => w.topic === topic)) {
        const cause = (err as { lastError?: unknown }).lastError ?? err;
        unreadable.push([e, `topic ${topic} not readable: ${describeError(cause)}`]);
      }
      continue;
    }
    for (const e of wanted.filter((w) => w.topic === topic)) {
      const o = offsets.find((x) => x.partition === e.partition);
      const offset = BigInt(e.offset);
      if (!o || offset >= BigInt(o.high) || offset < BigInt(o.low)) {
        unreadable.push([e, o ? `offset ${e.offset} outside the log [${o.low}, ${o.high})` : `partition ${e.partition} does not exist`]);
        continue;
      }
      const k = `${topic}\u0000${e.partition}`;
      const r = ranges.get(k);
      if (!r) ranges.set(k, { topic, partition: e.partition, from: offset, to: offset, end: BigInt(o.high), position: offset });
      else {
        if (offset < r.from) r.from = r.position = offset;
        if (offset > r.to) r.to = offset;
      }
    }
  }
  return { ranges, unreadable };
}
