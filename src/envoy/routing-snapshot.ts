/**
 * What Envoy actually routes where, from its `/clusters?format=json` document (pure).
 *
 * Each Envoy cluster is one listener (broker position): its hosts, their decoded health flags, the
 * priority load Envoy computes (./priority-load.ts) and from that the Redpanda cluster that gets new
 * connections. Overall: `primary` / `secondary` when every listener routes to that cluster only, `split`
 * when listeners (or one listener's load) span clusters, `none` when some listener has no healthy upstream.
 * Hosts map to brokers by the `hostname` each lb_endpoint carries (the renderer sets it); any Envoy works:
 * unknown clusters and hosts are still shown (cluster 'unknown' unless the name says primary/secondary).
 */
import { brokersOf, localPorts, type ClusterName, type Topology } from '../config/topology.js';
import { priorityLoad, type PriorityLevel, type PriorityLoad } from './priority-load.js';
import {
  ENVOY_DEFAULT_LB,
  isObj,
  MalformedClustersError,
  type ActiveCluster,
  type HostHealth,
  type HostRouting,
  type LbSettings,
  type ListenerRouting,
  type Obj,
  type RoutingOptions,
  type RoutingSnapshot,
} from './routing-types.js';

/** health_status field → our flag name (booleans). Unknown true booleans are kept under their own name. */
const BOOLEAN_FLAGS: Record<string, string> = {
  failed_active_health_check: 'failed_active_hc',
  failed_outlier_check: 'failed_outlier_check',
  failed_active_degraded_check: 'degraded_active_hc',
  pending_dynamic_removal: 'pending_dynamic_removal',
  pending_active_hc: 'pending_active_hc',
  excluded_via_immediate_hc_fail: 'excluded_via_immediate_hc_fail',
  active_hc_timeout: 'active_hc_timeout',
};

/** Envoy HostHealthStatus → decoded flags, coarse health and exclusion (as Envoy's HostImpl decides). */
export function decodeHealthStatus(status: unknown): { flags: string[]; health: HostHealth; excluded: boolean } {
  const flags: string[] = [];
  const s = isObj(status) ? status : {};
  for (const [key, value] of Object.entries(s)) {
    if (key === 'eds_health_status') continue;
    if (value === true) flags.push(BOOLEAN_FLAGS[key] ?? key);
  }
  const eds = typeof s.eds_health_status === 'string' ? s.eds_health_status.toUpperCase() : 'HEALTHY';
  if (eds !== 'HEALTHY' && eds !== 'UNKNOWN') flags.push(`eds_${eds.toLowerCase()}`);
  const has = (f: string) => flags.includes(f);
  const unhealthy =
    has('failed_active_hc') || has('failed_outlier_check') || has('eds_unhealthy') || has('eds_draining') || has('eds_timeout');
  const degraded = has('degraded_active_hc') || has('eds_degraded');
  const excluded = has('pending_active_hc') || has('excluded_via_immediate_hc_fail') || has('eds_draining');
  return { flags, health: unhealthy ? 'unhealthy' : degraded ? 'degraded' : 'healthy', excluded };
}

function socketAddress(address: unknown): { ip: string; port?: number; text: string } {
  const sa = isObj(address) && isObj(address.socket_address) ? address.socket_address : undefined;
  if (sa && typeof sa.address === 'string') {
    const port = typeof sa.port_value === 'number' ? sa.port_value : undefined;
    return { ip: sa.address, port, text: port === undefined ? sa.address : `${sa.address}:${port}` };
  }
  const pipe = isObj(address) && isObj(address.pipe) && typeof address.pipe.path === 'string' ? address.pipe.path : undefined;
  return { ip: pipe ?? '?', text: pipe ?? '?' };
}

function gauge(stats: unknown, name: string): number | undefined {
  if (!Array.isArray(stats)) return undefined;
  const s = stats.find((x) => isObj(x) && x.name === name);
  if (!isObj(s)) return undefined;
  // proto3 JSON leaves out zero values (and writes uint64 as a string)
  return s.value === undefined ? 0 : Number(s.value);
}

interface BrokerIdentity {
  name: string;
  cluster: ClusterName;
}

function brokerLookup(topology?: Topology) {
  const byName = new Map<string, BrokerIdentity>();
  const byLocalPort = new Map<number, BrokerIdentity>();
  if (topology) {
    for (const b of brokersOf(topology)) {
      byName.set(b.name, b);
      byLocalPort.set(localPorts(topology, b).client, b);
    }
  }
  return { byName, byLocalPort };
}

/** 'primary' | 'secondary' when the host name says so (primary-broker-0, redpanda-secondary-1 ...). */
export function clusterFromHostName(host: string): string {
  const m = /(?:^|[^a-z])(primary|secondary)(?:[^a-z]|$)/i.exec(host);
  return m ? m[1]!.toLowerCase() : 'unknown';
}

/** broker_<i>_cluster → i (also broker_<i>_host_cluster, and the listeners broker_<i>_listener / broker_<i>_host_listener). */
export function listenerIndex(envoyCluster: string): number | undefined {
  const m = /^broker_(\d+)_(?:host_)?(?:cluster|listener)$/.exec(envoyCluster);
  return m ? Number(m[1]) : undefined;
}

/** coherent: <cluster>_broker_<i> (also <cluster>_broker_<i>_host) → its Redpanda cluster and position. */
export function brokerClusterOf(envoyCluster: string): { cluster: ClusterName; index: number; host: boolean } | undefined {
  const m = /^(primary|secondary)_broker_(\d+)(_host)?$/.exec(envoyCluster);
  return m ? { cluster: m[1] as ClusterName, index: Number(m[2]), host: m[3] !== undefined } : undefined;
}

/** "listener 0", "listener 0 (host)" or the Envoy cluster's own name. */
export function listenerLabel(envoyCluster: string): string {
  const i = listenerIndex(envoyCluster);
  if (i === undefined) return `cluster ${envoyCluster}`;
  return envoyCluster.includes('_host_') ? `listener ${i} (host)` : `listener ${i}`;
}

function lbFor(name: string, topology: Topology | undefined, opts: RoutingOptions): LbSettings {
  const fromEnvoy = opts.lb?.[name] ?? {};
  return {
    panicThresholdPercent:
      fromEnvoy.panicThresholdPercent ?? topology?.panicThresholdPercent ?? ENVOY_DEFAULT_LB.panicThresholdPercent,
    overprovisioningFactor: fromEnvoy.overprovisioningFactor ?? ENVOY_DEFAULT_LB.overprovisioningFactor,
  };
}

type WeightedHost = HostRouting & { weight: number };

/** One host_statuses entry → the host, named after its broker when the topology knows it. */
function hostFrom(h: unknown, envoyCluster: string, lookup: ReturnType<typeof brokerLookup>): WeightedHost {
  if (!isObj(h)) throw new MalformedClustersError(`a host of ${envoyCluster} is not an object`);
  const addr = socketAddress(h.address);
  const known =
    (typeof h.hostname === 'string' && h.hostname ? lookup.byName.get(h.hostname) : undefined) ??
    (addr.port !== undefined && (addr.ip === '127.0.0.1' || addr.ip === 'localhost') ? lookup.byLocalPort.get(addr.port) : undefined);
  const host = typeof h.hostname === 'string' && h.hostname ? h.hostname : (known?.name ?? addr.text);
  const decoded = decodeHealthStatus(h.health_status);
  const cx = gauge(h.stats, 'cx_active');
  const cxTotal = gauge(h.stats, 'cx_total');
  return {
    host,
    address: addr.text,
    cluster: known?.cluster ?? clusterFromHostName(host),
    priority: typeof h.priority === 'number' ? h.priority : 0,
    healthy: decoded.health === 'healthy',
    health: decoded.health,
    excluded: decoded.excluded,
    flags: decoded.flags,
    loadPercent: 0,
    ...(cx === undefined ? {} : { activeConnections: cx }),
    ...(cxTotal === undefined ? {} : { totalConnections: cxTotal }),
    weight: typeof h.weight === 'number' && h.weight > 0 ? h.weight : 1,
  };
}

function priorityLevels(hosts: readonly WeightedHost[]): PriorityLevel[] {
  const levelsCount = hosts.reduce((m, h) => Math.max(m, h.priority + 1), 1);
  return Array.from({ length: levelsCount }, (_, p) => {
    const at = hosts.filter((h) => h.priority === p);
    return {
      hosts: at.length,
      healthy: at.filter((h) => h.health === 'healthy' && !h.excluded).length,
      degraded: at.filter((h) => h.health === 'degraded' && !h.excluded).length,
      excluded: at.filter((h) => h.excluded).length,
    };
  });
}

/** Spreads each priority's load over the hosts Envoy picks from (all of them in panic), by weight. */
function spreadLoad(hosts: WeightedHost[], levelsCount: number, load: PriorityLoad): void {
  const spread = (p: number, percent: number, eligible: (h: HostRouting) => boolean) => {
    if (percent <= 0) return;
    const pool = hosts.filter((h) => h.priority === p && (load.panic[p] || (eligible(h) && !h.excluded)));
    const total = pool.reduce((a, h) => a + h.weight, 0);
    for (const h of pool) h.loadPercent += (percent * h.weight) / total;
  };
  if (load.noUpstream) return;
  for (let p = 0; p < levelsCount; p++) {
    spread(p, load.healthy[p]!, (h) => h.health === 'healthy');
    spread(p, load.degraded[p]!, (h) => h.health === 'degraded');
  }
}

/** The cluster and the host getting most new connections (no host on a tie). */
function routeOf(hosts: readonly HostRouting[], loadByCluster: Record<string, number>, healthyUpstream: boolean): { routesTo: string; routesToHost?: string } {
  let routesTo = 'none';
  let routesToHost: string | undefined;
  if (healthyUpstream) {
    let best = 0;
    for (const [cluster, pct] of Object.entries(loadByCluster)) if (pct > best) [best, routesTo] = [pct, cluster];
    let bestHost = 0;
    for (const h of hosts) {
      if (h.loadPercent > bestHost) [bestHost, routesToHost] = [h.loadPercent, h.host];
      else if (h.loadPercent === bestHost && bestHost > 0) routesToHost = undefined;
    }
  }
  return { routesTo, ...(routesToHost === undefined ? {} : { routesToHost }) };
}

function listenerFrom(c: Obj, topology: Topology | undefined, opts: RoutingOptions, lookup: ReturnType<typeof brokerLookup>): ListenerRouting {
  if (typeof c.name !== 'string') throw new MalformedClustersError('a cluster status has no name');
  if (c.host_statuses !== undefined && !Array.isArray(c.host_statuses)) {
    throw new MalformedClustersError(`host_statuses of ${c.name} is not an array`);
  }
  const name = c.name;
  const hosts = ((c.host_statuses ?? []) as unknown[]).map((h) => hostFrom(h, name, lookup));
  const levels = priorityLevels(hosts);
  const lb = lbFor(name, topology, opts);
  const load = priorityLoad(levels, lb);
  spreadLoad(hosts, levels.length, load);

  const loadByCluster: Record<string, number> = {};
  for (const h of hosts) {
    h.loadPercent = Math.round(h.loadPercent * 100) / 100;
    if (h.loadPercent > 0) loadByCluster[h.cluster] = (loadByCluster[h.cluster] ?? 0) + h.loadPercent;
  }
  const index = listenerIndex(name);
  return {
    name,
    ...(index === undefined ? {} : { index }),
    ...routeOf(hosts, loadByCluster, load.normalizedTotalAvailability > 0),
    loadByPriority: load.healthy.map((h, p) => h + load.degraded[p]!),
    loadByCluster,
    panic: load.panic.some((x) => x),
    lb,
    hosts: hosts.map(({ weight: _weight, ...h }) => h),
  };
}

function overall(listeners: ListenerRouting[]): ActiveCluster {
  if (listeners.length === 0 || listeners.some((l) => l.routesTo === 'none')) return 'none';
  const clusters = new Set(listeners.flatMap((l) => Object.keys(l.loadByCluster)));
  if (clusters.size !== 1) return 'split';
  const only = [...clusters][0]!;
  if (only === 'primary' || only === 'secondary') return only;
  // An Envoy we did not render: priority 0 stands for the preferred ("primary") cluster.
  const routed = listeners.flatMap((l) => l.hosts.filter((h) => h.loadPercent > 0));
  return routed.every((h) => h.priority === 0) ? 'primary' : 'secondary';
}

function listenerOrder(a: ListenerRouting, b: ListenerRouting): number {
  const ai = a.index ?? Number.MAX_SAFE_INTEGER;
  const bi = b.index ?? Number.MAX_SAFE_INTEGER;
  if (ai !== bi) return ai - bi;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** The routing snapshot of one `/clusters?format=json` document. Pure; throws MalformedClustersError. */
export function routingFromClusters(doc: unknown, topology?: Topology, at: number = Date.now(), opts: RoutingOptions = {}): RoutingSnapshot {
  if (!isObj(doc)) throw new MalformedClustersError('not a JSON object');
  if (doc.cluster_statuses !== undefined && !Array.isArray(doc.cluster_statuses)) {
    throw new MalformedClustersError('cluster_statuses is not an array');
  }
  const lookup = brokerLookup(topology);
  const listeners = ((doc.cluster_statuses ?? []) as unknown[])
    .map((c) => {
      if (!isObj(c)) throw new MalformedClustersError('a cluster status is not an object');
      return listenerFrom(c, topology, opts, lookup);
    })
    .sort(listenerOrder);

  // Healthy n/N per Redpanda cluster, each broker counted once (it may sit behind several Envoy clusters).
  const perHost = new Map<string, { cluster: string; healthy: boolean }>();
  for (const h of listeners.flatMap((l) => l.hosts)) {
    const prev = perHost.get(h.host);
    perHost.set(h.host, { cluster: h.cluster, healthy: (prev?.healthy ?? true) && h.healthy });
  }
  const clusterNames = [...(topology ? ['primary', 'secondary'] : []), ...[...perHost.values()].map((h) => h.cluster)];
  const clusters = [...new Set(clusterNames)].map((name) => {
    const members = [...perHost.values()].filter((h) => h.cluster === name);
    return { name, healthy: members.filter((h) => h.healthy).length, total: members.length };
  });
  const connectionsByCluster: Record<string, number> = {};
  for (const h of listeners.flatMap((l) => l.hosts)) connectionsByCluster[h.cluster] = (connectionsByCluster[h.cluster] ?? 0) + (h.activeConnections ?? 0);
  const coherent = listeners.length > 0 && listeners.every((l) => brokerClusterOf(l.name) !== undefined);
  return { at, activeCluster: overall(listeners), listeners, clusters, policy: coherent ? 'coherent' : 'per-broker', connectionsByCluster };
}
