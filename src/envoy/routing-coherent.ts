/**
 * Envoy's own configuration, from `/config_dump` documents (pure): where each listener's tcp_proxy
 * points, and the load-balancer settings (panic threshold, overprovisioning factor) per cluster. Under
 * the `coherent` policy the listener targets decide the routing: coherentRouting builds that view from
 * a /clusters snapshot (./routing-snapshot.ts).
 */
import type { ClusterName } from '../config/topology.js';
import { brokerClusterOf } from './routing-snapshot.js';
import { ENVOY_DEFAULT_LB, isObj, type ActiveCluster, type HostRouting, type LbSettings, type ListenerRouting, type Obj, type RoutingSnapshot } from './routing-types.js';

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
