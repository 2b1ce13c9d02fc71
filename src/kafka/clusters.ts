/**
 * Names for Kafka cluster ids: asks each cluster directly (bypassing Envoy) for its id once, so a client
 * going through Envoy can say "primary" or "secondary" for the cluster id in its metadata.
 */
import type { ClusterName } from '../config/topology.js';
import { askOnce } from './client.js';

export type ClusterLabel = ClusterName | 'unknown';

/** The cluster behind the client changed (seen from what it reports: acks, records). */
export interface ClusterChangeEvent {
  at: number;
  from: ClusterLabel;
  to: ClusterLabel;
}

/** Events per cluster: how many, the first one's time, and every change from one cluster to the next. */
export class ClusterTally {
  readonly counts: Record<ClusterLabel, number> = { primary: 0, secondary: 0, unknown: 0 };
  readonly firstAt: Partial<Record<ClusterLabel, number>> = {};
  readonly changes: ClusterChangeEvent[] = [];
  /** Cluster of the latest event. */
  last?: ClusterLabel;

  /** Counts one event of `cluster` at `at`; returns the change it makes, if the one before was elsewhere. */
  add(cluster: ClusterLabel, at: number): ClusterChangeEvent | undefined {
    this.counts[cluster]++;
    this.firstAt[cluster] ??= at;
    const change = this.last !== undefined && this.last !== cluster ? { at, from: this.last, to: cluster } : undefined;
    if (change) this.changes.push(change);
    this.last = cluster;
    return change;
  }
}

export interface ClusterDirectory {
  /** primary/secondary for a cluster id; asks again (at most every few seconds) for unknown ids. */
  nameOf(clusterId: string | undefined): Promise<ClusterLabel>;
  /** Synchronous lookup of what is known so far. */
  knownNameOf(clusterId: string | undefined): ClusterLabel;
  ids(): Partial<Record<ClusterName, string>>;
  /** Asks every cluster whose id is not known yet. */
  refresh(): Promise<void>;
}

export async function describeClusterId(brokers: string[], timeoutMs = 3_000): Promise<string> {
  const probe = {
    brokers,
    clientId: 'failover-demo-cluster-id',
    connectionTimeoutMs: Math.min(timeoutMs, 1_000),
    requestTimeoutMs: timeoutMs,
    retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 500 },
  };
  return (await askOnce(probe, (admin) => admin.describeCluster())).clusterId;
}

export function createClusterDirectory(direct: Partial<Record<ClusterName, string[]>>, retryEveryMs = 5_000): ClusterDirectory {
  const byId = new Map<string, ClusterName>();
  const idOf: Partial<Record<ClusterName, string>> = {};
  let lastAttempt = 0;
  let pending: Promise<void> | undefined;

  const refresh = async () => {
    lastAttempt = Date.now();
    await Promise.all(
      (Object.entries(direct) as [ClusterName, string[]][]).map(async ([name, brokers]) => {
        if (idOf[name] || brokers.length === 0) return;
        try {
          const id = await describeClusterId(brokers);
          idOf[name] = id;
          byId.set(id, name);
        } catch {
          // that cluster is down right now; asked again later
        }
      }),
    );
  };

  const knownNameOf = (id: string | undefined): ClusterLabel => (id ? (byId.get(id) ?? 'unknown') : 'unknown');
  return {
    knownNameOf,
    async nameOf(id) {
      if (id && !byId.has(id) && Date.now() - lastAttempt >= retryEveryMs) {
        pending ??= refresh().finally(() => (pending = undefined));
        await pending;
      }
      return knownNameOf(id);
    },
    ids: () => ({ ...idOf }),
    refresh: () => (pending ??= refresh().finally(() => (pending = undefined))),
  };
}

/** Starts the lookup and resolves once every reachable cluster answered. */
export async function identifyClusters(direct: Partial<Record<ClusterName, string[]>>): Promise<ClusterDirectory> {
  const directory = createClusterDirectory(direct);
  await directory.refresh();
  return directory;
}
