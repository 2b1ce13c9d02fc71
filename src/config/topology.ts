/**
 * The one typed model of the demo: two Redpanda clusters behind one Envoy.
 *
 * Everything else (renderers, runtimes, monitor, clients, drill) derives from a `Topology`, whose keys
 * and their meaning are defined once, in the schema (./schema.ts). Durations are milliseconds here; the
 * YAML config file spells them as "3s" / "500ms" (see ./load.ts). Defaults equal the PoC's settings.
 */
import type { z } from 'zod';
import type { topologyObject } from './schema.js';

/** The topology as the schema (./schema.ts) defines it: every key checked on its own there. */
export type Topology = z.infer<typeof topologyObject>;

/** How host and in-network clients get broker addresses that point back at Envoy. */
export type RewriteStrategy = Topology['rewrite'];
/** How the Schema Registry stand-in (local runtime) fails while its broker is in recovery mode. */
export type RecoveryBehaviour = Topology['local']['recoveryBehaviour'];
/** How Envoy's listeners follow broker failures: see failoverPolicySchema in ./schema.ts. */
export type FailoverPolicy = Topology['failover']['policy'];
export type FailbackMode = Topology['failover']['failback'];

export type FailoverSettings = Topology['failover'];
export type HealthCheckSettings = Topology['healthCheck'];
export type OutlierDetectionSettings = Topology['outlierDetection'];
export type EnvoySettings = Topology['envoy'];
export type RedpandaSettings = Topology['redpanda'];
export type TopicSpec = Topology['topics'][number];
export type LocalRuntimeSettings = Topology['local'];

export type ClusterName = 'primary' | 'secondary';
export const CLUSTER_NAMES: readonly ClusterName[] = ['primary', 'secondary'];

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
      concurrency: 2,
      exactBalance: true,
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
    replication: {
      mode: 'none',
      syncIntervalMs: 1_000,
      replicatorPort: 9903,
      heapMb: 256,
      failbackTimeoutMs: 30_000,
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

/** Host port of a broker's "direct" listener (Docker runtime), see redpanda.directPortBase in ./schema.ts. */
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
