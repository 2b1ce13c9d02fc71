/**
 * What Envoy actually routes where, from its `/clusters?format=json` document (pure), plus the
 * transitions between two snapshots (the monitor's event log) and a one-shot reader (effects).
 *
 * Each Envoy cluster is one listener (broker position): its hosts, their decoded health flags, the
 * priority load Envoy computes (./priority-load.ts) and from that the Redpanda cluster that gets new
 * connections. Overall: `primary` / `secondary` when every listener routes to that cluster only, `split`
 * when listeners (or one listener's load) span clusters, `none` when some listener has no healthy upstream.
 * Hosts map to brokers by the `hostname` each lb_endpoint carries (the renderer sets it); any Envoy works:
 * unknown clusters and hosts are still shown (cluster 'unknown' unless the name says primary/secondary).
 */
import { brokersOf, effectiveQuorum, localPorts, type ClusterName, type Topology } from '../config/topology.js';
import { EnvoyAdmin } from './admin.js';
import { priorityLoad, type PriorityLevel } from './priority-load.js';
import { envoyRestarted, envoyRestartEvents, readEnvoyStartedAt, type AdminOutage } from './restart.js';

export type ActiveCluster = 'primary' | 'secondary' | 'split' | 'none';
export type HostHealth = 'healthy' | 'degraded' | 'unhealthy';

export interface HostRouting {
  /** Broker name from the endpoint hostname, else address. */
  host: string;
  /** "ip:port" of the upstream. */
  address: string;
  /** 'primary' | 'secondary' from the topology, else derived from the host name, else 'unknown'. */
  cluster: string;
  priority: number;
  /** Envoy considers the host healthy (no failure or degraded flag). */
  healthy: boolean;
  health: HostHealth;
  /** Left out of Envoy's load calculations (pending first check, immediate-HC-fail, EDS draining). */
  excluded: boolean;
  /** Decoded flags: failed_active_hc, failed_outlier_check, active_hc_timeout, pending_active_hc, ... */
  flags: string[];
  /** Share of the listener's new connections Envoy sends to this host, percent. */
  loadPercent: number;
  /** `cx_active` gauge of the host, when Envoy reports host stats. */
  activeConnections?: number;
  /**
   * `cx_total` counter: connections Envoy has opened to this host so far. The difference between two
   * snapshots is where new connections really went (the model above is what Envoy should do).
   */
  totalConnections?: number;
}

export interface ListenerRouting {
  /** Envoy cluster name, e.g. broker_0_cluster (per-broker); Envoy listener name under coherent, e.g. broker_0_listener. */
  name: string;
  /**
   * coherent: the listener routes to a broker Envoy does not consider healthy (it is down, its cluster
   * still active): connections to this position fail until it returns; they never go to the other cluster.
   */
  degraded?: boolean;
  /** Broker position when the name follows the renderer's convention (broker_<i>_cluster). */
  index?: number;
  /** The Redpanda cluster getting (most of) new connections, or 'none'. */
  routesTo: string;
  /** The host getting most new connections, when there is one. */
  routesToHost?: string;
  /** Percent of new connections per priority (healthy + degraded), as Envoy computes it. */
  loadByPriority: number[];
  /** Percent of new connections per Redpanda cluster. */
  loadByCluster: Record<string, number>;
  /** Some priority is in panic mode: Envoy picks among all its hosts, healthy or not. */
  panic: boolean;
  /** panic threshold and overprovisioning factor the load was computed with. */
  lb: LbSettings;
  hosts: HostRouting[];
}

export interface ClusterHealth {
  name: string;
  healthy: number;
  total: number;
}

export interface RoutingSnapshot {
  /** Epoch ms. */
  at: number;
  activeCluster: ActiveCluster;
  listeners: ListenerRouting[];
  clusters: ClusterHealth[];
  /** How the Envoy is laid out: per-broker (one Envoy cluster per position) or coherent (per broker, listeners swapped). */
  policy: 'per-broker' | 'coherent';
  /** Open client connections through Envoy per Redpanda cluster (Envoy's cx_active per host): where clients really are. */
  connectionsByCluster: Record<string, number>;
  /** coherent: the failover controller's decision (GET /v1/decision), or why it could not be read. */
  decision?: ControllerDecision | { reachable: false; error: string };
  /**
   * When the Envoy process that answered started, epoch ms (read time − `/server_info` uptime, whole
   * seconds): a different value means Envoy restarted (./restart.ts). Absent when it could not be read.
   */
  envoyStartedAt?: number;
}

/** What the failover controller says (src/controller/, GET /v1/decision); only the fields the views use. */
export interface ControllerDecision {
  reachable: true;
  policy: 'coherent';
  active: ClusterName;
  activeCluster: ClusterName | 'none';
  since: string;
  reason: string;
  quorum: number;
  failback: 'auto' | 'manual';
  pendingFailbackSince: string | null;
  healthy: Record<ClusterName, number>;
  total: Record<ClusterName, number>;
  envoyReachable: boolean;
  events?: { at: number; kind: string; from?: string; to?: string; reason: string }[];
}

/** GET {controllerUrl}/v1/decision; never rejects. */
export async function readDecision(controllerUrl: string, timeoutMs = 1_000): Promise<NonNullable<RoutingSnapshot['decision']>> {
  try {
    const res = await fetch(`${controllerUrl}/v1/decision`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { reachable: false, error: `HTTP ${res.status}` };
    return { ...((await res.json()) as Omit<ControllerDecision, 'reachable'>), reachable: true };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return { reachable: false, error: cause ?? (err as Error).message };
  }
}

export interface RoutingEvent {
  /** Epoch ms (the snapshot that showed the change). */
  at: number;
  kind: 'state' | 'routing' | 'host';
  /** Envoy cluster name, for listener and host events. */
  listener?: string;
  message: string;
}

/** Load-balancer settings that decide priority load; per Envoy cluster when read from /config_dump. */
export interface LbSettings {
  panicThresholdPercent: number;
  overprovisioningFactor: number;
}

export interface RoutingOptions {
  /** Per Envoy cluster name (from readLbSettings); wins over the topology and Envoy's defaults. */
  lb?: Record<string, Partial<LbSettings>>;
}

export class MalformedClustersError extends Error {
  constructor(detail: string) {
    super(`malformed /clusters?format=json document: ${detail}`);
    this.name = 'MalformedClustersError';
  }
}

const ENVOY_DEFAULT_LB: LbSettings = { panicThresholdPercent: 50, overprovisioningFactor: 1.4 };

// ---------------------------------------------------------------------------------------------
// Decoding the admin document

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

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

function listenerFrom(c: Obj, topology: Topology | undefined, opts: RoutingOptions, lookup: ReturnType<typeof brokerLookup>): ListenerRouting {
  if (typeof c.name !== 'string') throw new MalformedClustersError('a cluster status has no name');
  if (c.host_statuses !== undefined && !Array.isArray(c.host_statuses)) {
    throw new MalformedClustersError(`host_statuses of ${c.name} is not an array`);
  }
  const rawHosts = (c.host_statuses ?? []) as unknown[];
  const hosts: (HostRouting & { weight: number })[] = rawHosts.map((h) => {
    if (!isObj(h)) throw new MalformedClustersError(`a host of ${c.name} is not an object`);
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
  });

  const levelsCount = hosts.reduce((m, h) => Math.max(m, h.priority + 1), 1);
  const levels: PriorityLevel[] = Array.from({ length: levelsCount }, (_, p) => {
    const at = hosts.filter((h) => h.priority === p);
    return {
      hosts: at.length,
      healthy: at.filter((h) => h.health === 'healthy' && !h.excluded).length,
      degraded: at.filter((h) => h.health === 'degraded' && !h.excluded).length,
      excluded: at.filter((h) => h.excluded).length,
    };
  });
  const lb = lbFor(c.name, topology, opts);
  const load = priorityLoad(levels, lb);

  // Spread each priority's load over the hosts Envoy picks from (all of them in panic), by weight.
  const spread = (p: number, percent: number, eligible: (h: HostRouting) => boolean) => {
    if (percent <= 0) return;
    const pool = hosts.filter((h) => h.priority === p && (load.panic[p] || (eligible(h) && !h.excluded)));
    const total = pool.reduce((a, h) => a + h.weight, 0);
    for (const h of pool) h.loadPercent += (percent * h.weight) / total;
  };
  if (!load.noUpstream) {
    for (let p = 0; p < levelsCount; p++) {
      spread(p, load.healthy[p]!, (h) => h.health === 'healthy');
      spread(p, load.degraded[p]!, (h) => h.health === 'degraded');
    }
  }

  const loadByCluster: Record<string, number> = {};
  for (const h of hosts) {
    h.loadPercent = Math.round(h.loadPercent * 100) / 100;
    if (h.loadPercent > 0) loadByCluster[h.cluster] = (loadByCluster[h.cluster] ?? 0) + h.loadPercent;
  }
  const healthyUpstream = load.normalizedTotalAvailability > 0;
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
  const index = listenerIndex(c.name);
  return {
    name: c.name,
    ...(index === undefined ? {} : { index }),
    routesTo,
    ...(routesToHost === undefined ? {} : { routesToHost }),
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

/** Envoy listener name → the Envoy cluster its tcp_proxy routes to, from a `/config_dump` listeners document. Pure. */
export function listenerTargetsFromConfigDump(doc: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const configs = isObj(doc) && Array.isArray(doc.configs) ? doc.configs : [];
  const visit = (l: unknown) => {
    if (!isObj(l) || typeof l.name !== 'string' || !Array.isArray(l.filter_chains)) return;
    for (const chain of l.filter_chains) {
      const filters = isObj(chain) && Array.isArray(chain.filters) ? chain.filters : [];
      for (const f of filters) {
        const cfg = isObj(f) && isObj(f.typed_config) ? f.typed_config : undefined;
        if (cfg && typeof cfg.cluster === 'string') out[l.name] = cfg.cluster;
      }
    }
  };
  for (const entry of configs) {
    if (!isObj(entry)) continue;
    // dynamic listeners: { name, active_state: { listener } }; static: { listener }
    visit(isObj(entry.active_state) ? entry.active_state.listener : entry.listener);
    if (Array.isArray(entry.dynamic_listeners)) for (const d of entry.dynamic_listeners) if (isObj(d) && isObj(d.active_state)) visit(d.active_state.listener);
    if (Array.isArray(entry.static_listeners)) for (const d of entry.static_listeners) if (isObj(d)) visit(d.listener);
  }
  return out;
}

/**
 * The coherent view of a snapshot: one entry per broker position (its Envoy listener), holding both
 * clusters' brokers at that position, routed where the listener's tcp_proxy points (`targets`, from
 * Envoy's own config). A listener whose broker is unhealthy is `degraded`, still routed to its cluster.
 * Overall: the cluster every listener routes to (`split` if they differ, which the controller never
 * does; `none` when neither cluster has `quorum` healthy brokers).
 */
export function coherentRouting(base: RoutingSnapshot, targets: Record<string, string>, quorum: number): RoutingSnapshot {
  const byPosition = new Map<number, HostRouting[]>();
  for (const l of base.listeners) {
    const owner = brokerClusterOf(l.name);
    if (!owner) continue;
    const hosts = byPosition.get(owner.index) ?? [];
    for (const h of l.hosts) {
      const same = hosts.find((x) => x.host === h.host);
      const host = { ...h, priority: owner.cluster === 'primary' ? 0 : 1, cluster: owner.cluster };
      if (!same) hosts.push(host);
      else {
        // The docker target's host-facing set: the same broker behind a second Envoy cluster.
        same.healthy &&= host.healthy;
        if (host.health === 'unhealthy' || (host.health === 'degraded' && same.health === 'healthy')) same.health = host.health;
        same.excluded ||= host.excluded;
        same.flags = [...new Set([...same.flags, ...host.flags])];
        if (host.activeConnections !== undefined) same.activeConnections = (same.activeConnections ?? 0) + host.activeConnections;
        if (host.totalConnections !== undefined) same.totalConnections = (same.totalConnections ?? 0) + host.totalConnections;
      }
    }
    byPosition.set(owner.index, hosts);
  }
  const listeners: ListenerRouting[] = [...byPosition.entries()]
    .sort(([a], [b]) => a - b)
    .map(([index, hosts]) => {
      hosts.sort((a, b) => a.priority - b.priority);
      const name = `broker_${index}_listener`;
      const target = brokerClusterOf(targets[name] ?? '');
      const routesTo = target?.cluster ?? 'none';
      const to = hosts.find((h) => h.cluster === routesTo);
      for (const h of hosts) h.loadPercent = h === to && h.healthy ? 100 : 0;
      const loadByCluster: Record<string, number> = to?.healthy ? { [routesTo]: 100 } : {};
      return {
        name,
        index,
        routesTo,
        ...(to ? { routesToHost: to.host } : {}),
        ...(to && !to.healthy ? { degraded: true } : {}),
        loadByPriority: [to?.healthy && to.priority === 0 ? 100 : 0, to?.healthy && to.priority === 1 ? 100 : 0],
        loadByCluster,
        panic: false,
        lb: { panicThresholdPercent: 0, overprovisioningFactor: 1.4 },
        hosts,
      };
    });
  const routed = new Set(listeners.map((l) => l.routesTo));
  const withQuorum = base.clusters.filter((c) => c.healthy >= quorum).map((c) => c.name);
  const activeCluster: ActiveCluster =
    listeners.length === 0 || routed.has('none') || withQuorum.length === 0
      ? 'none'
      : routed.size === 1
        ? ([...routed][0] as ClusterName)
        : 'split';
  return { ...base, activeCluster, listeners, policy: 'coherent' };
}

/**
 * New connections Envoy opened to each host between two snapshots (host|address → count), from cx_total.
 * Hosts without stats, or whose counter went backwards, are left out; after an Envoy restart, all of them.
 */
export function newConnections(prev: RoutingSnapshot | undefined, next: RoutingSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  if (!prev || envoyRestarted(prev, next)) return out;
  const before = new Map<string, number>();
  for (const l of prev.listeners) for (const h of l.hosts) if (h.totalConnections !== undefined) before.set(`${l.name}|${h.host}|${h.address}`, h.totalConnections);
  for (const l of next.listeners) {
    for (const h of l.hosts) {
      const key = `${l.name}|${h.host}|${h.address}`;
      const old = before.get(key);
      if (old !== undefined && h.totalConnections !== undefined && h.totalConnections >= old) out.set(key, h.totalConnections - old);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Transitions (the event log)

const FLAG_TEXT: Record<string, string> = {
  failed_active_hc: 'failed active health check',
  active_hc_timeout: 'health check timed out',
  failed_outlier_check: 'ejected by outlier detection',
  degraded_active_hc: 'degraded (active health check)',
  pending_active_hc: 'waiting for its first health check',
  excluded_via_immediate_hc_fail: 'excluded (immediate health check failure)',
  pending_dynamic_removal: 'pending removal',
  eds_unhealthy: 'EDS status UNHEALTHY',
  eds_draining: 'EDS status DRAINING',
  eds_timeout: 'EDS status TIMEOUT',
  eds_degraded: 'EDS status DEGRADED',
};

/** Why a host is in its state, in words ("failed active health check (timeout)"). */
export function describeHostState(h: Pick<HostRouting, 'health' | 'flags' | 'excluded'>): string {
  const reasons = h.flags.filter((f) => f !== 'active_hc_timeout').map((f) => FLAG_TEXT[f] ?? f);
  if (h.flags.includes('active_hc_timeout')) {
    const i = reasons.indexOf(FLAG_TEXT.failed_active_hc!);
    if (i >= 0) reasons[i] = `${reasons[i]} (timeout)`;
    else reasons.push(FLAG_TEXT.active_hc_timeout!);
  }
  if (reasons.length > 0) return reasons.join(', ');
  return h.health === 'healthy' ? 'healthy' : h.health;
}

function hostChange(prev: HostRouting | undefined, next: HostRouting): string | undefined {
  if (!prev) return `${next.host} added (${describeHostState(next)})`;
  if (prev.health === next.health && prev.excluded === next.excluded && prev.flags.join() === next.flags.join()) return undefined;
  if (next.health === 'healthy' && !next.excluded && next.flags.length === 0) return `${next.host} healthy again`;
  return `${next.host} ${describeHostState(next)}`;
}

function routeText(l: ListenerRouting): string {
  if (l.routesTo === 'none') {
    const spread = Object.entries(l.loadByCluster).map(([c, p]) => `${c} ${Math.round(p)}%`);
    return l.panic && spread.length > 0
      ? `no healthy upstream (panic: Envoy spreads connections over unhealthy hosts: ${spread.join(', ')})`
      : 'no healthy upstream';
  }
  const split = Object.keys(l.loadByCluster).length > 1
    ? ` (${Object.entries(l.loadByCluster).map(([c, p]) => `${c} ${Math.round(p)}%`).join(', ')})`
    : '';
  return `routing to ${l.routesToHost ?? l.routesTo}${split}${l.panic ? ' [panic]' : ''}`;
}

function describeState(s: RoutingSnapshot): string {
  if (s.activeCluster !== 'split') return s.activeCluster;
  const groups = new Map<string, string[]>();
  for (const l of s.listeners) {
    const key = Object.keys(l.loadByCluster).length > 1 ? Object.keys(l.loadByCluster).join('+') : l.routesTo;
    groups.set(key, [...(groups.get(key) ?? []), String(l.index ?? l.name)]);
  }
  return `split (${[...groups].map(([c, ls]) => `${ls.length === 1 ? 'listener' : 'listeners'} ${ls.join(', ')} → ${c}`).join('; ')})`;
}

/**
 * Event-log entries between two snapshots: per listener, host health changes and where it now routes
 * ("listener 0: primary-broker-0 failed active health check → routing to secondary-broker-0"), then the
 * overall state when it changed. The first snapshot (prev undefined) yields one "state" entry. An Envoy
 * restart (or the admin API answering again after `outage`, the failed reads in between) comes first.
 */
export function routingTransitions(prev: RoutingSnapshot | undefined, next: RoutingSnapshot, outage?: AdminOutage): RoutingEvent[] {
  const at = next.at;
  if (!prev) {
    return [{ at, kind: 'state', message: `routing: ${describeState(next)} (${next.listeners.length} listener${next.listeners.length === 1 ? '' : 's'})` }];
  }
  const events: RoutingEvent[] = envoyRestartEvents(prev, next, outage);
  const before = new Map(prev.listeners.map((l) => [l.name, l]));
  for (const l of next.listeners) {
    const label = listenerLabel(l.name);
    const old = before.get(l.name);
    before.delete(l.name);
    if (!old) {
      events.push({ at, kind: 'routing', listener: l.name, message: `${label}: appeared, ${routeText(l)}` });
      continue;
    }
    const oldHosts = new Map(old.hosts.map((h) => [`${h.host}|${h.address}`, h]));
    const changes: string[] = [];
    for (const h of l.hosts) {
      const key = `${h.host}|${h.address}`;
      const change = hostChange(oldHosts.get(key), h);
      oldHosts.delete(key);
      if (change) changes.push(change);
    }
    for (const gone of oldHosts.values()) changes.push(`${gone.host} removed`);
    const routeChanged = old.routesTo !== l.routesTo || old.routesToHost !== l.routesToHost || old.panic !== l.panic ||
      Object.keys(old.loadByCluster).join() !== Object.keys(l.loadByCluster).join();
    if (routeChanged) {
      const cause = changes.length > 0 ? `${changes.join('; ')} → ` : '';
      events.push({ at, kind: 'routing', listener: l.name, message: `${label}: ${cause}${routeText(l)}` });
    } else if (changes.length > 0) {
      events.push({ at, kind: 'host', listener: l.name, message: `${label}: ${changes.join('; ')} (still ${routeText(l)})` });
    }
  }
  for (const gone of before.values()) {
    events.push({ at, kind: 'routing', listener: gone.name, message: `${listenerLabel(gone.name)}: disappeared from Envoy` });
  }
  if (prev.activeCluster !== next.activeCluster) {
    events.push({ at, kind: 'state', message: `routing: ${prev.activeCluster} → ${describeState(next)}` });
  }
  events.push(...controllerTransitions(prev, next));
  return events;
}

/** coherent: the controller's decisions, its going down or coming back, and connections closed by a switch. */
function controllerTransitions(prev: RoutingSnapshot, next: RoutingSnapshot): RoutingEvent[] {
  const at = next.at;
  const events: RoutingEvent[] = [];
  const a = prev.decision;
  const b = next.decision;
  if (a && b && a.reachable !== b.reachable) {
    events.push({ at, kind: 'state', message: b.reachable ? 'failover controller: back' : `failover controller: down (${b.error}); Envoy keeps routing as last decided` });
  }
  if (a?.reachable && b?.reachable && (a.activeCluster !== b.activeCluster || a.since !== b.since)) {
    events.push({ at, kind: 'state', message: `decision: ${b.activeCluster} — ${b.reason}` });
  }
  for (const [cluster, n] of Object.entries(prev.connectionsByCluster ?? {})) {
    const now = next.connectionsByCluster?.[cluster] ?? 0;
    if (n > 0 && now === 0 && next.policy === 'coherent') events.push({ at, kind: 'state', message: `connections to ${cluster} closed (${n} → 0)` });
  }
  return events;
}

// ---------------------------------------------------------------------------------------------
// Effects: reading a live Envoy

function lbFromClusterConfig(cluster: Obj): Partial<LbSettings> {
  const out: Partial<LbSettings> = {};
  const common = isObj(cluster.common_lb_config) ? cluster.common_lb_config : undefined;
  // Absent: Envoy's default 50%. Present without value: 0 (proto3 JSON leaves zero out).
  if (common && isObj(common.healthy_panic_threshold)) out.panicThresholdPercent = Number(common.healthy_panic_threshold.value ?? 0);
  else out.panicThresholdPercent = ENVOY_DEFAULT_LB.panicThresholdPercent;
  const policy = isObj(cluster.load_assignment) && isObj(cluster.load_assignment.policy) ? cluster.load_assignment.policy : undefined;
  const factor = policy && isObj(policy.overprovisioning_factor) ? Number(policy.overprovisioning_factor.value ?? 0) : undefined;
  out.overprovisioningFactor = factor === undefined ? ENVOY_DEFAULT_LB.overprovisioningFactor : factor / 100;
  return out;
}

/** Per-cluster panic threshold and overprovisioning factor from a `/config_dump` clusters document. Pure. */
export function lbSettingsFromConfigDump(doc: unknown): Record<string, Partial<LbSettings>> {
  const out: Record<string, Partial<LbSettings>> = {};
  const configs = isObj(doc) && Array.isArray(doc.configs) ? doc.configs : [];
  for (const entry of configs) {
    const cluster = isObj(entry) && isObj(entry.cluster) ? entry.cluster : undefined;
    if (cluster && typeof cluster.name === 'string') out[cluster.name] = lbFromClusterConfig(cluster);
  }
  return out;
}

const LB_MASK = 'cluster.name,cluster.common_lb_config,cluster.load_assignment.policy';

/** Reads panic thresholds / overprovisioning factors of static and dynamic clusters from `/config_dump`. */
export async function readLbSettings(admin: EnvoyAdmin): Promise<Record<string, Partial<LbSettings>>> {
  const [statics, dynamics] = await Promise.all(
    ['static_clusters', 'dynamic_active_clusters'].map((resource) =>
      admin.configDump(resource, LB_MASK).catch(() => ({})),
    ),
  );
  return { ...lbSettingsFromConfigDump(statics), ...lbSettingsFromConfigDump(dynamics) };
}

/**
 * Polls one Envoy: keeps the admin connections and the load-balancer settings (re-read when the set of
 * clusters changes). `read()` throws EnvoyUnreachableError or MalformedClustersError. Envoy's start
 * time is read alongside on a second connection (/server_info, a few ms: on the first read, after a
 * failed one, and every START_TIME_REFRESH_MS), left out if that fails.
 */
/** How long a read Envoy start time is reused: a restart between failed-free polls shows within this. */
export const START_TIME_REFRESH_MS = 2_000;

export class RoutingReader {
  readonly admin: EnvoyAdmin;
  private lb: Record<string, Partial<LbSettings>> | undefined;
  private lbKey = '';

  private readonly controllerUrl?: string;

  constructor(adminUrl: string, private readonly topology?: Topology, opts: { timeoutMs?: number; controllerUrl?: string } = {}) {
    this.admin = new EnvoyAdmin(adminUrl, { ...opts, connections: 2 });
    this.controllerUrl = opts.controllerUrl;
  }

  /** /server_info is ~120 KB: read with the first poll, after a failed one, and then every START_TIME_REFRESH_MS. */
  private startTime?: { value: number; readAt: number };
  private lastReadFailed = true;

  async read(): Promise<RoutingSnapshot> {
    const fresh = !this.lastReadFailed && this.startTime !== undefined && Date.now() - this.startTime.readAt < START_TIME_REFRESH_MS;
    const startedAt = fresh ? Promise.resolve(this.startTime!.value) : readEnvoyStartedAt(this.admin); // never rejects
    let snapshot: RoutingSnapshot;
    try {
      snapshot = await this.readRouting();
      this.lastReadFailed = false;
    } catch (err) {
      this.lastReadFailed = true;
      throw err;
    }
    const envoyStartedAt = await startedAt;
    if (!fresh) this.startTime = envoyStartedAt === undefined ? undefined : { value: envoyStartedAt, readAt: Date.now() };
    return envoyStartedAt === undefined ? snapshot : { ...snapshot, envoyStartedAt };
  }

  private async readRouting(): Promise<RoutingSnapshot> {
    const doc = await this.admin.clusters();
    const names = isObj(doc) && Array.isArray(doc.cluster_statuses)
      ? doc.cluster_statuses.map((c) => (isObj(c) ? String(c.name) : '')).join(',')
      : '';
    if (!this.lb || names !== this.lbKey) {
      this.lb = await readLbSettings(this.admin);
      this.lbKey = names;
    }
    const base = routingFromClusters(doc, this.topology, Date.now(), { lb: this.lb });
    if (base.policy !== 'coherent') return base;
    // coherent: where each listener routes is in Envoy's listener config (the controller swaps it).
    const targets = listenerTargetsFromConfigDump(await this.admin.configDump('dynamic_listeners'));
    const brokers = this.topology?.brokers ?? base.listeners.filter((l) => brokerClusterOf(l.name)?.cluster === 'primary' && !brokerClusterOf(l.name)?.host).length;
    const quorum = this.topology ? effectiveQuorum(this.topology) : Math.floor(brokers / 2) + 1;
    const snapshot = coherentRouting(base, targets, quorum);
    return this.controllerUrl ? { ...snapshot, decision: await readDecision(this.controllerUrl) } : snapshot;
  }

  async close(): Promise<void> {
    await this.admin.close();
  }
}

/** One snapshot of a live Envoy. */
export async function readRouting(adminUrl: string, topology?: Topology): Promise<RoutingSnapshot> {
  const reader = new RoutingReader(adminUrl, topology);
  try {
    return await reader.read();
  } finally {
    await reader.close();
  }
}
