/**
 * The one typed model of the demo: two Redpanda clusters behind one Envoy.
 *
 * Everything else (renderers, runtimes, monitor, clients, drill) derives from a `Topology`.
 * Durations are milliseconds here; the YAML config file spells them as "3s" / "500ms"
 * (see ./load.ts). Defaults equal the PoC's settings.
 */

/** How host and in-network clients get broker addresses that point back at Envoy. */
export type RewriteStrategy = 'kafka-filter' | 'advertised';

/** How the Schema Registry stand-in (local runtime) fails while its broker is in recovery mode. */
export type RecoveryBehaviour = 'refuse' | 'http-503';

export type ClusterName = 'primary' | 'secondary';

/**
 * How Envoy's listeners follow broker failures:
 * - `coherent`: one decision for the whole Redpanda cluster, made by the failover controller and applied
 *   to every listener at once (client connections to the old cluster are closed);
 * - `per-broker`: the PoC's layout, one Envoy cluster per broker position with both clusters' brokers at
 *   two priorities, so one failed broker moves one listener (a split).
 */
export type FailoverPolicy = 'coherent' | 'per-broker';
export type FailbackMode = 'auto' | 'manual';

export interface FailoverSettings {
  policy: FailoverPolicy;
  /** Healthy brokers the active cluster needs to stay active (and the other to take over); 0 = a majority. */
  quorum: number;
  failback: FailbackMode;
  /** `auto` failback: every primary broker healthy this long first. */
  failbackHoldMs: number;
  /** After a switch, acks on the old cluster within this time are in flight, not clients left behind. */
  settleGraceMs: number;
  /** The controller's status API (GET /v1/decision, POST /v1/switch), on bindAddress. */
  controllerPort: number;
  /** Image that runs the controller in the Docker runtime (any image with Node.js ≥ 20). */
  controllerImage: string;
}
export const CLUSTER_NAMES: readonly ClusterName[] = ['primary', 'secondary'];

export interface HealthCheckSettings {
  /** HTTP path probed on each broker's Schema Registry. */
  path: string;
  /** Schema Registry port on each broker. */
  port: number;
  timeoutMs: number;
  intervalMs: number;
  intervalJitterMs: number;
  unhealthyThreshold: number;
  healthyThreshold: number;
  noTrafficIntervalMs: number;
  unhealthyIntervalMs: number;
  unhealthyEdgeIntervalMs: number;
  healthyEdgeIntervalMs: number;
}

export interface OutlierDetectionSettings {
  consecutive5xx: number;
  intervalMs: number;
  baseEjectionTimeMs: number;
  maxEjectionPercent: number;
}

export interface EnvoySettings {
  /** Image for the Docker runtime (needs the contrib build for the kafka-filter strategy). */
  image: string;
  adminPort: number;
  /**
   * First Kafka listener port; listener i (broker position i) is listenerPort + i.
   * In Docker this is the in-network port (envoy:9092) and also the host port published on bindAddress.
   */
  listenerPort: number;
  /**
   * First container port of the host-facing listeners (Docker runtime only): published as
   * bindAddress:(listenerPort + i) -> envoy:(hostListenerPort + i), handing out advertisedHost:(listenerPort + i).
   */
  hostListenerPort: number;
  /** Address host-side clients use to reach Envoy's published ports. */
  advertisedHost: string;
  /**
   * Envoy closes open connections to a host as soon as health checking (or outlier detection) marks it
   * unhealthy (cluster close_connections_on_host_health_failure), so clients reconnect to the other cluster.
   */
  closeConnectionsOnHealthFailure: boolean;
}

export interface RedpandaSettings {
  image: string;
  /**
   * First Kafka API listener of each broker (`internal`): it advertises the broker itself. Redpanda's own
   * Kafka clients (Schema Registry, HTTP Proxy) bootstrap from the first listener and then connect to its
   * advertised addresses, so it must never point at Envoy. The kafka-filter strategy's Envoy connects here.
   */
  kafkaPort: number;
  /** `advertised` strategy: listener for in-network clients via Envoy; advertises envoy:(listenerPort + i). */
  proxiedKafkaPort: number;
  /** `advertised` strategy: listener for host clients via Envoy; advertises advertisedHost:(listenerPort + i). */
  hostKafkaPort: number;
  rpcPort: number;
  adminPort: number;
  pandaproxyPort: number;
  /**
   * "direct" Kafka listener of each broker, for tooling that must bypass Envoy (topic setup, ledger checks).
   * Container port for every broker, and the base of the host ports it is published on:
   * bindAddress:(directPortBase + (secondary ? 100 : 0) + index), advertised as advertisedHost:that port.
   */
  directPortBase: number;
  /** Redpanda node memory (--memory) and cores (--smp) for the Docker runtime. */
  memory: string;
  smp: number;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
}

export interface LocalRuntimeSettings {
  /** Broker ports of the local runtime start here (see localPorts()). */
  basePort: number;
  /** Apache Kafka version that stands in for Redpanda. */
  kafkaVersion: string;
  /** JVM heap per broker, in MiB. */
  heapMb: number;
  recoveryBehaviour: RecoveryBehaviour;
}

export interface Topology {
  /** Docker Compose project name, also the prefix of container names' network. */
  project: string;
  /** Brokers per cluster (1..9). */
  brokers: number;
  rewrite: RewriteStrategy;
  /** Host address every published port binds to. 127.0.0.1 unless opted in wider. */
  bindAddress: string;
  healthCheck: HealthCheckSettings;
  /** Envoy healthy_panic_threshold, percent. 0 disables panic routing. */
  panicThresholdPercent: number;
  outlierDetection: OutlierDetectionSettings;
  envoy: EnvoySettings;
  redpanda: RedpandaSettings;
  topics: TopicSpec[];
  local: LocalRuntimeSettings;
  failover: FailoverSettings;
}

/**
 * Health checks fast enough for tests and benchmarks that are not about the PoC's timings
 * (detection ≈ 1 s instead of ≈ 10 s).
 */
export const FAST_HEALTH_CHECK: Readonly<Partial<HealthCheckSettings>> = {
  timeoutMs: 500,
  intervalMs: 500,
  intervalJitterMs: 0,
  unhealthyThreshold: 2,
  healthyThreshold: 2,
  noTrafficIntervalMs: 500,
  unhealthyIntervalMs: 500,
  unhealthyEdgeIntervalMs: 500,
  healthyEdgeIntervalMs: 500,
};

export const DEFAULT_REDPANDA_VERSION = 'v26.2.1';
export const DEFAULT_ENVOY_VERSION = 'contrib-v1.40-latest';

/** The PoC's settings. `env` lets REDPANDA_VERSION / ENVOY_VERSION pick image tags, as the PoC did. */
export function defaultTopology(env: Record<string, string | undefined> = {}): Topology {
  const redpandaVersion = env.REDPANDA_VERSION || DEFAULT_REDPANDA_VERSION;
  const envoyVersion = env.ENVOY_VERSION || DEFAULT_ENVOY_VERSION;
  return {
    project: 'failover-demo',
    brokers: 3,
    rewrite: 'kafka-filter',
    bindAddress: '127.0.0.1',
    healthCheck: {
      path: '/schemas/types',
      port: 8081,
      timeoutMs: 2000,
      intervalMs: 3000,
      intervalJitterMs: 500,
      unhealthyThreshold: 3,
      healthyThreshold: 2,
      noTrafficIntervalMs: 3000,
      unhealthyIntervalMs: 3000,
      unhealthyEdgeIntervalMs: 3000,
      healthyEdgeIntervalMs: 3000,
    },
    panicThresholdPercent: 0,
    outlierDetection: {
      consecutive5xx: 3,
      intervalMs: 10_000,
      baseEjectionTimeMs: 30_000,
      maxEjectionPercent: 50,
    },
    envoy: {
      image: `envoyproxy/envoy:${envoyVersion}`,
      adminPort: 9901,
      listenerPort: 9092,
      hostListenerPort: 19092,
      advertisedHost: '127.0.0.1',
      closeConnectionsOnHealthFailure: true,
    },
    redpanda: {
      image: `docker.redpanda.com/redpandadata/redpanda:${redpandaVersion}`,
      kafkaPort: 9092,
      proxiedKafkaPort: 9093,
      hostKafkaPort: 19092,
      rpcPort: 33145,
      adminPort: 9644,
      pandaproxyPort: 8082,
      directPortBase: 29092,
      memory: '1G',
      smp: 1,
    },
    topics: [{ name: 'test-topic', partitions: 3, replicationFactor: 3 }],
    local: {
      basePort: 19000,
      kafkaVersion: '3.9.1',
      heapMb: 256,
      recoveryBehaviour: 'refuse',
    },
    failover: {
      policy: 'coherent',
      quorum: 0,
      failback: 'auto',
      failbackHoldMs: 10_000,
      settleGraceMs: 2_000,
      controllerPort: 9902,
      controllerImage: 'node:20-alpine',
    },
  };
}

/** Healthy brokers a cluster needs to be (or stay) the active one under `coherent`. */
export function effectiveQuorum(t: Topology): number {
  return t.failover.quorum > 0 ? t.failover.quorum : Math.floor(t.brokers / 2) + 1;
}

/** One broker of one cluster, with the names every layer uses for it. */
export interface BrokerRef {
  /** e.g. "primary-broker-0": container name, config folder, runtime handle. */
  name: string;
  cluster: ClusterName;
  /** Position 0..brokers-1; also the Kafka node id, and the Envoy listener it sits behind. */
  index: number;
  /** Envoy priority of this cluster: primary 0, secondary 1. */
  priority: number;
}

export function clusterPriority(cluster: ClusterName): number {
  return cluster === 'primary' ? 0 : 1;
}

export function brokerName(cluster: ClusterName, index: number): string {
  return `${cluster}-broker-${index}`;
}

export function brokersOf(t: Topology, cluster?: ClusterName): BrokerRef[] {
  const clusters = cluster ? [cluster] : CLUSTER_NAMES;
  return clusters.flatMap((c) =>
    Array.from({ length: t.brokers }, (_, index) => ({
      name: brokerName(c, index),
      cluster: c,
      index,
      priority: clusterPriority(c),
    })),
  );
}

export function findBroker(t: Topology, name: string): BrokerRef | undefined {
  return brokersOf(t).find((b) => b.name === name);
}

/** Envoy cluster that serves broker position `index` (one per listener), named as in the PoC. */
export function envoyClusterName(index: number): string {
  return `broker_${index}_cluster`;
}

/** Host port of a broker's "direct" listener (Docker runtime), see RedpandaSettings.directPortBase. */
export function directHostPort(t: Topology, b: Pick<BrokerRef, 'cluster' | 'index'>): number {
  return t.redpanda.directPortBase + (b.cluster === 'primary' ? 0 : 100) + b.index;
}

/** Ports of one broker in the local runtime (everything on 127.0.0.1). */
export interface LocalBrokerPorts {
  /** Kafka listener behind Envoy: advertises Envoy's listener for this position. */
  client: number;
  /** Kafka listener for direct access that bypasses Envoy (topic setup, ledger checks). */
  direct: number;
  /** Redpanda's rpc_server; the Kafka stand-in's KRaft controller listener. */
  rpc: number;
  /** Kafka stand-in's inter-broker listener (rpc + 1). */
  replication: number;
  /** Schema Registry (stand-in), health-checked by Envoy. */
  schemaRegistry: number;
}

export function localPorts(t: Topology, b: Pick<BrokerRef, 'cluster' | 'index'>): LocalBrokerPorts {
  const base = t.local.basePort + (b.cluster === 'primary' ? 0 : 100) + b.index * 10;
  return { client: base, direct: base + 1, rpc: base + 2, replication: base + 3, schemaRegistry: base + 4 };
}
