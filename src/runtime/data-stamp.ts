/**
 * Which topology made the brokers' data. A KRaft (or Redpanda) data directory belongs to one cluster
 * shape: its node ids, its controller quorum (the seed list: addresses and ports), the software that
 * formatted it. A broker started on data from another shape waits forever for a quorum that is not
 * there, so `start` compares the stamp written next to the data with the effective topology first, and
 * refuses at once with what changed (the fix: `stop --volumes`, or `start --fresh`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { brokersOf, localPorts, type Topology } from '../config/topology.js';
import { writeFileAtomic } from '../util/fs.js';
import { UserError } from '../util/errors.js';
import type { RuntimeKind } from './types.js';

export interface DataStamp {
  runtime: RuntimeKind;
  brokersPerCluster: number;
  /** Each cluster's controller quorum (rpc addresses), which fixes its KRaft cluster id. */
  quorum: Record<string, string[]>;
  /** What formatted the data: "Apache Kafka 3.9.0 (stand-in)" or the Redpanda image. */
  software: string;
  /** Docker: the Compose project the volumes belong to. */
  project?: string;
}

export function dataStamp(t: Topology, runtime: RuntimeKind): DataStamp {
  const quorum = Object.fromEntries(
    (['primary', 'secondary'] as const).map((c) => [
      c,
      brokersOf(t, c).map((b) => (runtime === 'local' ? `127.0.0.1:${localPorts(t, b).rpc}` : `${b.name}:${t.redpanda.rpcPort}`)),
    ]),
  );
  return {
    runtime,
    brokersPerCluster: t.brokers,
    quorum,
    software: runtime === 'local' ? `Apache Kafka ${t.local.kafkaVersion} (stand-in)` : t.redpanda.image,
    ...(runtime === 'docker' ? { project: t.project } : {}),
  };
}

/** What differs between the stamp of existing data and the one the topology would make, for people. Pure. */
export function stampDifferences(old: DataStamp, now: DataStamp): string[] {
  const out: string[] = [];
  if (old.brokersPerCluster !== now.brokersPerCluster) out.push(`brokers per cluster ${old.brokersPerCluster} → ${now.brokersPerCluster}`);
  else if (JSON.stringify(old.quorum) !== JSON.stringify(now.quorum)) {
    out.push(`broker addresses (the controller quorum) ${old.quorum.primary?.join(',')} → ${now.quorum.primary?.join(',')}`);
  }
  if (old.software !== now.software) out.push(`${old.software} → ${now.software}`);
  return out;
}

export function readDataStamp(file: string): DataStamp | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as DataStamp;
  } catch {
    return undefined;
  }
}

export function writeDataStamp(file: string, stamp: DataStamp): void {
  writeFileAtomic(file, JSON.stringify(stamp, null, 2) + '\n');
}

/**
 * Throws when data exists (`where` names it) and was made by another topology, or by an unrecorded one.
 * `fix` is how this runtime discards it.
 */
export function assertDataFits(stampFile: string, now: DataStamp, where: string): void {
  const old = readDataStamp(stampFile);
  const fix = 'discard the old data with `failover-demo stop --volumes` (or start with `failover-demo start --fresh`), or go back to the configuration that made it';
  if (!old) throw new UserError(`the brokers' data in ${where} is from an earlier run whose configuration was not recorded`, fix);
  const diff = stampDifferences(old, now);
  if (diff.length > 0) throw new UserError(`the brokers' data in ${where} was made by another configuration (${diff.join('; ')}): brokers started on it would wait forever for their old quorum`, fix);
}
