/**
 * Reads Envoy's `GET /clusters?format=json` document into per-broker health and per-cluster connection
 * counts for the failover controller. Pure: no I/O.
 *
 * A broker is healthy iff it is a host of every one of its `envoyClusters`, and in each of them its
 * `health_status` has none of failed_active_health_check, failed_outlier_check, pending_active_hc,
 * excluded_via_immediate_hc_fail, and its eds_health_status is HEALTHY or absent. A broker's host is
 * found by its `hostname` (the renderer sets it to the broker name; STRICT_DNS clusters set it to the
 * DNS name), or else by a socket address equal to the broker name.
 *
 * Proto3 JSON leaves out zero values and false booleans, and writes uint64 as strings: a missing
 * `cx_active` value is 0, a missing flag is false.
 *
 * A document that is not shaped like /clusters (no `cluster_statuses` array, entries that are not
 * objects) throws MalformedClustersError: the caller then keeps its decision instead of reading
 * "every broker missing" into it.
 */
import { CLUSTER_NAMES, type BrokerSpec, type ClusterName } from './config.js';

export class MalformedClustersError extends Error {
  constructor(message: string) {
    super(`malformed /clusters document: ${message}`);
    this.name = 'MalformedClustersError';
  }
}

export interface BrokerHealth {
  broker: string;
  cluster: ClusterName;
  healthy: boolean;
  /** Why not healthy, one entry per Envoy cluster and problem ("broker_0_cluster: failed_active_health_check"). */
  problems: string[];
  /** cx_active summed over the broker's hosts in its Envoy clusters. */
  connections: number;
}

export interface ClustersHealth {
  brokers: BrokerHealth[];
  healthy: Record<ClusterName, number>;
  total: Record<ClusterName, number>;
  connections: Record<ClusterName, number>;
}

/** health_status flags that make a host unusable for the controller. */
export const UNHEALTHY_FLAGS = [
  'failed_active_health_check',
  'failed_outlier_check',
  'pending_active_hc',
  'excluded_via_immediate_hc_fail',
] as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The problems in one host's `health_status` (empty: healthy). */
export function hostProblems(healthStatus: unknown): string[] {
  const s = isObj(healthStatus) ? healthStatus : {};
  const problems: string[] = UNHEALTHY_FLAGS.filter((f) => s[f] === true);
  const eds = s.eds_health_status;
  if (eds !== undefined && eds !== 'HEALTHY') problems.push(`eds_health_status ${typeof eds === 'string' ? eds : JSON.stringify(eds)}`);
  return problems;
}

/** A gauge from a host's `stats` (absent value: 0, uint64 strings parsed). */
function gauge(stats: unknown, name: string): number {
  if (!Array.isArray(stats)) return 0;
  const s = stats.find((x) => isObj(x) && x.name === name);
  if (!isObj(s) || s.value === undefined) return 0;
  const n = Number(s.value);
  return Number.isFinite(n) && n >= 0 ? n : 0;
}

function hostMatches(host: Obj, broker: string): boolean {
  if (host.hostname === broker) return true;
  const sa = isObj(host.address) && isObj(host.address.socket_address) ? host.address.socket_address : undefined;
  return sa?.address === broker;
}

/** Envoy cluster name → its host statuses. @throws MalformedClustersError */
export function hostsByCluster(doc: unknown): Map<string, Obj[]> {
  if (!isObj(doc)) throw new MalformedClustersError('not a JSON object');
  const list = doc.cluster_statuses;
  if (!Array.isArray(list)) throw new MalformedClustersError('no cluster_statuses array');
  const out = new Map<string, Obj[]>();
  list.forEach((c, i) => {
    if (!isObj(c) || typeof c.name !== 'string') throw new MalformedClustersError(`cluster_statuses[${i}] has no name`);
    const hosts = c.host_statuses ?? [];
    if (!Array.isArray(hosts) || !hosts.every(isObj)) throw new MalformedClustersError(`cluster ${c.name}: host_statuses is not an array of objects`);
    out.set(c.name, [...(out.get(c.name) ?? []), ...hosts]);
  });
  return out;
}

/**
 * Health and connections of every configured broker, from one /clusters document.
 * @throws MalformedClustersError
 */
export function assessClusters(doc: unknown, clusters: Record<ClusterName, BrokerSpec[]>): ClustersHealth {
  const byCluster = hostsByCluster(doc);
  const result: ClustersHealth = {
    brokers: [],
    healthy: { primary: 0, secondary: 0 },
    total: { primary: 0, secondary: 0 },
    connections: { primary: 0, secondary: 0 },
  };
  for (const cluster of CLUSTER_NAMES) {
    for (const spec of clusters[cluster]) {
      const problems: string[] = [];
      let connections = 0;
      for (const ec of spec.envoyClusters) {
        const hosts = byCluster.get(ec);
        if (!hosts) {
          problems.push(`${ec}: no such Envoy cluster`);
          continue;
        }
        const mine = hosts.filter((h) => hostMatches(h, spec.broker));
        if (mine.length === 0) problems.push(`${ec}: not a host of it`);
        for (const h of mine) {
          connections += gauge(h.stats, 'cx_active');
          for (const p of hostProblems(h.health_status)) problems.push(`${ec}: ${p}`);
        }
      }
      const healthy = problems.length === 0;
      result.brokers.push({ broker: spec.broker, cluster, healthy, problems, connections });
      result.total[cluster] += 1;
      if (healthy) result.healthy[cluster] += 1;
      result.connections[cluster] += connections;
    }
  }
  return result;
}
