/**
 * The pieces every Envoy config of ./envoy.ts is built from: addresses, listeners, tcp_proxy and the
 * contrib Kafka filter, and the health-checked upstream cluster. Pure: no I/O.
 *
 * A cluster's health check is the demo's (HTTP on each broker's Schema Registry, ./envoy.ts) unless a
 * `HealthCheckSpec` says otherwise: users' own clusters (./envoy-external.ts) may be checked over HTTP
 * with a body to match, or by a TCP connect, each optionally over TLS.
 */
import { envoyDuration } from '../config/duration.js';
import type { BrokerRef, Topology } from '../config/topology.js';

export type Json = Record<string, unknown>;

/** Connect timeout of every upstream connection to a broker. */
export const UPSTREAM_CONNECT_TIMEOUT_MS = 1000;

/** Name of the Envoy listener of position i; `host` marks the docker target's host-facing set. */
export function envoyListenerName(index: number, set: 'network' | 'host' = 'network'): string {
  return set === 'host' ? `broker_${index}_host_listener` : `broker_${index}_listener`;
}

/** Envoy cluster of one broker under `coherent` (`host`: the docker target's host-facing set, `advertised`). */
export function brokerEnvoyClusterName(b: Pick<BrokerRef, 'cluster' | 'index'>, set: 'network' | 'host' = 'network'): string {
  return `${b.cluster}_broker_${b.index}${set === 'host' ? '_host' : ''}`;
}

export function socketAddress(address: string, port: number): Json {
  return { socket_address: { address, port_value: port } };
}

/** A health check other than the demo's: HTTP (`http` set) or a TCP connect, perhaps over TLS. */
export interface HealthCheckSpec {
  http?: { path: string; /** Text the answer's body must contain. */ receive?: string };
  tls?: { sni?: string; caFile?: string };
}

/** The key health checks and the TLS transport socket match on (a cluster's own traffic stays plain TCP). */
const TLS_MATCH = { healthCheckTls: true };

function checkKind(t: Topology, spec: HealthCheckSpec | undefined): Json {
  if (!spec) return { http_health_check: { path: t.healthCheck.path } };
  if (!spec.http) return { tcp_health_check: {} };
  const receive = spec.http.receive === undefined ? {} : { receive: [{ text: Buffer.from(spec.http.receive).toString('hex') }] };
  return { http_health_check: { path: spec.http.path, ...receive } };
}

function healthChecks(t: Topology, spec?: HealthCheckSpec): Json[] {
  const hc = t.healthCheck;
  return [
    {
      timeout: envoyDuration(hc.timeoutMs),
      interval: envoyDuration(hc.intervalMs),
      interval_jitter: envoyDuration(hc.intervalJitterMs),
      unhealthy_threshold: hc.unhealthyThreshold,
      healthy_threshold: hc.healthyThreshold,
      no_traffic_interval: envoyDuration(hc.noTrafficIntervalMs),
      unhealthy_interval: envoyDuration(hc.unhealthyIntervalMs),
      unhealthy_edge_interval: envoyDuration(hc.unhealthyEdgeIntervalMs),
      healthy_edge_interval: envoyDuration(hc.healthyEdgeIntervalMs),
      ...checkKind(t, spec),
      ...(spec?.tls ? { transport_socket_match_criteria: TLS_MATCH } : {}),
    },
  ];
}

/** The TLS socket health checks use (matched by TLS_MATCH): SNI and the CA to verify with, when given. */
function tlsSocketMatches(tls: NonNullable<HealthCheckSpec['tls']>): Json[] {
  const validation = tls.caFile ? { common_tls_context: { validation_context: { trusted_ca: { filename: tls.caFile } } } } : {};
  const context = { '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext', ...(tls.sni ? { sni: tls.sni } : {}), ...validation };
  return [{ name: 'health-check-tls', match: TLS_MATCH, transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: context } }];
}

export interface UpstreamEndpoint {
  broker: BrokerRef;
  address: string;
  port: number;
  /** Port the health check probes; absent: the endpoint's own port. */
  healthCheckPort?: number;
}

function lbEndpoint(e: UpstreamEndpoint): Json {
  return {
    endpoint: {
      hostname: e.broker.name,
      address: socketAddress(e.address, e.port),
      ...(e.healthCheckPort === undefined ? {} : { health_check_config: { port_value: e.healthCheckPort } }),
    },
  };
}

export interface ClusterOptions {
  /** One broker per Envoy cluster (coherent policy), at priority 0. */
  single?: boolean;
  check?: HealthCheckSpec;
}

export function cluster(t: Topology, name: string, type: 'STATIC' | 'STRICT_DNS', endpoints: UpstreamEndpoint[], opts: ClusterOptions = {}): Json {
  const priorityOf = (e: UpstreamEndpoint) => (opts.single ? 0 : e.broker.priority);
  const priorities = [...new Set(endpoints.map(priorityOf))].sort((a, b) => a - b);
  return {
    name,
    type,
    ...(type === 'STRICT_DNS' ? { dns_lookup_family: 'V4_ONLY' } : {}),
    connect_timeout: envoyDuration(UPSTREAM_CONNECT_TIMEOUT_MS),
    lb_policy: 'ROUND_ROBIN',
    common_lb_config: { healthy_panic_threshold: { value: t.panicThresholdPercent } },
    health_checks: healthChecks(t, opts.check),
    // tcp_proxy connections already open to a host otherwise stay up after it is marked unhealthy (Envoy
    // only stops sending new ones there), so clients keep talking to a stopping broker until it exits.
    close_connections_on_host_health_failure: t.envoy.closeConnectionsOnHealthFailure,
    outlier_detection: {
      consecutive_5xx: t.outlierDetection.consecutive5xx,
      interval: envoyDuration(t.outlierDetection.intervalMs),
      base_ejection_time: envoyDuration(t.outlierDetection.baseEjectionTimeMs),
      max_ejection_percent: t.outlierDetection.maxEjectionPercent,
    },
    ...(opts.check?.tls ? { transport_socket_matches: tlsSocketMatches(opts.check.tls) } : {}),
    load_assignment: {
      cluster_name: name,
      endpoints: priorities.map((priority) => ({
        priority,
        lb_endpoints: endpoints.filter((e) => priorityOf(e) === priority).map(lbEndpoint),
      })),
    },
  };
}

export function tcpProxy(statPrefix: string, clusterName: string): Json {
  return {
    name: 'envoy.filters.network.tcp_proxy',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
      stat_prefix: statPrefix,
      cluster: clusterName,
    },
  };
}

/** One rule of the Kafka filter: broker node id → the address clients get for it. */
export interface RewriteRule {
  id: number;
  host: string;
  port: number;
}

/** The contrib Kafka filter, rewriting each broker id in metadata responses to its rule's address. */
export function kafkaBrokerFilter(statPrefix: string, rules: RewriteRule[]): Json {
  return {
    name: 'envoy.filters.network.kafka_broker',
    typed_config: {
      '@type': 'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker',
      stat_prefix: statPrefix,
      id_based_broker_address_rewrite_spec: { rules },
    },
  };
}

export function listener(t: Topology, name: string, address: string, port: number, filters: Json[]): Json {
  const balance = t.envoy.exactBalance ? { connection_balance_config: { exact_balance: {} } } : {};
  return { name, address: socketAddress(address, port), ...balance, filter_chains: [{ filters }] };
}
