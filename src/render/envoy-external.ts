/**
 * The Envoy config for users' own clusters (`render --clusters`, the `external` target of ./envoy.ts):
 * the demo's layout, with upstreams at the brokers' own addresses (STATIC for IP addresses, STRICT_DNS
 * for names) and each cluster's brokers checked as its clusters file says. Pure: no I/O.
 *
 * - coherent: one Envoy cluster per broker (`primary_broker_<i>`), the listeners in a file per cluster
 *   that the failover controller swaps, as in the demo.
 * - per-broker: one Envoy cluster per position (`broker_<i>_cluster`), the primary's broker at priority 0
 *   and the secondary's at 1: both share that cluster's one health check (the clusters file's checks
 *   make sure they may).
 * - kafka-filter: the filter rewrites each broker's node id to advertisedHost:(listenerPort + its position).
 */
import { isIP } from 'node:net';
import type { ClusterCheck, ExternalSetup } from '../config/clusters.js';
import { brokersOf, envoyClusterName, type BrokerRef, type ClusterName, type Topology } from '../config/topology.js';
import { brokerEnvoyClusterName, cluster, envoyListenerName, kafkaBrokerFilter, listener, socketAddress, tcpProxy } from './envoy-parts.js';
import type { HealthCheckSpec, Json, UpstreamEndpoint } from './envoy-parts.js';

/** Where Envoy's sockets bind: it depends on how it is deployed (./external.ts). */
export interface ExternalPlacement {
  listenAddress: string;
  adminAddress: string;
}

export interface ExternalRender {
  setup: ExternalSetup;
  placement: ExternalPlacement;
}

/** Redpanda's /v1/status/ready answers 200 while booting too: only a body saying "ready" is healthy. */
const READY_PATH = '/v1/status/ready';

export function healthCheckSpec(check: ClusterCheck): HealthCheckSpec {
  const http = check.kind === 'tcp' ? undefined : { path: check.path!, ...(check.path === READY_PATH ? { receive: '"ready"' } : {}) };
  return { ...(http ? { http } : {}), ...(check.tls ? { tls: check.tls } : {}) };
}

function endpoint(setup: ExternalSetup, broker: BrokerRef): UpstreamEndpoint {
  const own = setup.clusters[broker.cluster];
  const b = own.brokers[broker.index]!;
  const healthCheckPort = b.healthCheckPort ?? own.check.port;
  return { broker, address: b.host, port: b.port, ...(healthCheckPort === undefined ? {} : { healthCheckPort }) };
}

function upstream(setup: ExternalSetup, name: string, brokers: BrokerRef[], single: boolean): Json {
  const endpoints = brokers.map((b) => endpoint(setup, b));
  const type = endpoints.every((e) => isIP(e.address) !== 0) ? 'STATIC' : 'STRICT_DNS';
  return cluster(setup.topology, name, type, endpoints, { single, check: healthCheckSpec(setup.clusters[brokers[0]!.cluster].check) });
}

/** The Envoy clusters: one per broker (coherent) or one per position (per-broker). */
export function externalClusters(setup: ExternalSetup): Json[] {
  const t = setup.topology;
  if (t.failover.policy === 'coherent') return brokersOf(t).map((b) => upstream(setup, brokerEnvoyClusterName(b), [b], true));
  return positions(t).map((i) => upstream(setup, envoyClusterName(i), brokersOf(t).filter((b) => b.index === i), false));
}

function positions(t: Topology): number[] {
  return Array.from({ length: t.brokers }, (_, i) => i);
}

/** Listener i, routed to `clusterName`; under kafka-filter, rewriting `cluster`'s node ids to Envoy's addresses. */
function externalListener(setup: ExternalSetup, at: ExternalPlacement, i: number, clusterName: string, ids: ClusterName): Json {
  const t = setup.topology;
  const rules = setup.clusters[ids].brokers.map((b, position) => ({ id: b.id, host: t.envoy.advertisedHost, port: t.envoy.listenerPort + position }));
  return listener(t, envoyListenerName(i), at.listenAddress, t.envoy.listenerPort + i, [
    ...(t.rewrite === 'kafka-filter' ? [kafkaBrokerFilter(`broker_${i}_kafka`, rules)] : []),
    tcpProxy(`broker_${i}_tcp`, clusterName),
  ]);
}

/** coherent: every listener routed to `active`'s brokers (the listener file of that cluster). */
export function externalListeners(render: ExternalRender, active: ClusterName): Json[] {
  const { setup, placement } = render;
  return positions(setup.topology).map((i) => externalListener(setup, placement, i, brokerEnvoyClusterName({ cluster: active, index: i }), active));
}

/** per-broker: the whole bootstrap, listeners included. */
export function externalPerBrokerConfig(render: ExternalRender): Json {
  const { setup, placement } = render;
  const t = setup.topology;
  return {
    admin: { address: socketAddress(placement.adminAddress, t.envoy.adminPort) },
    static_resources: {
      listeners: positions(t).map((i) => externalListener(setup, placement, i, envoyClusterName(i), 'primary')),
      clusters: externalClusters(setup),
    },
  };
}
