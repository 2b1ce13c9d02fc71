/**
 * Hand-made Envoy documents of the `coherent` layout, in the shapes Envoy's admin API answers with, and
 * the snapshot RoutingReader builds from them: shared by coherent-routing.test.ts (reading Envoy) and
 * coherent-expected.test.ts (what the coherent rule expects).
 */
import { parse } from 'yaml';
import { brokersOf, CLUSTER_NAMES, defaultTopology, type ClusterName, type Topology } from '../../src/config/topology.js';
import { coherentRouting, listenerTargetsFromConfigDump, routingFromClusters, type RoutingSnapshot } from '../../src/envoy/routing.js';
import { renderListenerFile, type RenderTarget } from '../../src/render/envoy.js';

export function topology(patch: Partial<Topology> = {}): Topology {
  const d = defaultTopology({});
  return { ...d, failover: { ...d.failover, policy: 'coherent' }, ...patch };
}

interface HostSpec {
  healthy?: boolean;
  cx?: number;
  port?: number;
}

/** One host_statuses entry of GET /clusters?format=json. */
function host(name: string, { healthy = true, cx = 0, port = 9092 }: HostSpec = {}): unknown {
  return {
    address: { socket_address: { address: name, port_value: port } },
    hostname: name,
    stats: [{ name: 'cx_total', value: String(cx) }, { type: 'GAUGE', name: 'cx_active', ...(cx ? { value: String(cx) } : {}) }],
    health_status: healthy ? { eds_health_status: 'HEALTHY' } : { failed_active_health_check: true, eds_health_status: 'HEALTHY' },
    weight: 1,
  };
}

/**
 * GET /clusters?format=json of the coherent bootstrap: `<cluster>_broker_<i>` per broker (and the
 * `_host` set when `hostSet`), one host each. `down` fails a broker's checks in every set;
 * `downHost` only in the host-facing one.
 */
export function clustersDoc(t: Topology, o: { down?: string[]; downHost?: string[]; cx?: Record<string, number>; hostSet?: boolean } = {}): unknown {
  const statuses = brokersOf(t).flatMap((b) => [
    { name: `${b.cluster}_broker_${b.index}`, host_statuses: [host(b.name, { healthy: !o.down?.includes(b.name), cx: o.cx?.[b.name] })] },
    ...(o.hostSet
      ? [{ name: `${b.cluster}_broker_${b.index}_host`, host_statuses: [host(b.name, { port: 19092, healthy: !o.down?.includes(b.name) && !o.downHost?.includes(b.name), cx: o.cx?.[`${b.name}_host`] })] }]
      : []),
  ]);
  return { cluster_statuses: statuses };
}

/** GET /config_dump?resource=dynamic_listeners with the listeners of a rendered listener file active. */
export function dynamicListenersDump(t: Topology, target: RenderTarget, active: ClusterName | ((name: string) => ClusterName)): unknown {
  const pick = typeof active === 'function' ? active : () => active;
  const byCluster = Object.fromEntries(CLUSTER_NAMES.map((c) => [c, parse(renderListenerFile(t, target, c)).resources])) as Record<ClusterName, { name: string }[]>;
  return {
    configs: byCluster.primary.map(({ name }) => ({
      '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.DynamicListener',
      name,
      active_state: { version_info: '', listener: byCluster[pick(name)].find((l) => l.name === name), last_updated: '2026-01-01T00:00:00Z' },
    })),
  };
}

/** The snapshot RoutingReader.read builds under coherent, from hand-made documents. */
export function read(t: Topology, target: RenderTarget, o: Parameters<typeof clustersDoc>[1] & { active?: ClusterName | ((name: string) => ClusterName); quorum?: number } = {}): RoutingSnapshot {
  const base = routingFromClusters(clustersDoc(t, { ...o, hostSet: o.hostSet ?? (target === 'docker' && t.rewrite === 'advertised') }), t, 1_000);
  const targets = listenerTargetsFromConfigDump(dynamicListenersDump(t, target, o.active ?? 'primary'));
  return coherentRouting(base, targets, o.quorum ?? 2);
}

export const routes = (s: RoutingSnapshot) => s.listeners.map((l) => [l.name, l.routesTo, l.routesToHost ?? null, l.degraded ?? false]);
