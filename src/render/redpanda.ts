/**
 * Topology → Redpanda configuration. Pure: no I/O.
 *
 * - redpanda.yaml (one per broker) holds node properties only.
 * - .bootstrap.yaml (one per cluster, copied next to each broker's redpanda.yaml) holds cluster
 *   properties; Redpanda reads it when the cluster first forms. The PoC put these under `redpanda:` in
 *   redpanda.yaml, where node config does not belong.
 *
 * Kafka API listeners (the Kafka stand-in of the local runtime translates them by these names):
 * - `internal`  (docker) in-network clients, via Envoy's in-network listener set
 * - `external`  host clients, via Envoy's host-facing listeners (docker) / Envoy's listeners (local)
 * - `direct`    tooling that bypasses Envoy (topic setup, ledger checks)
 */
import { stringify } from 'yaml';
import {
  brokersOf,
  directHostPort,
  localPorts,
  type BrokerRef,
  type Topology,
} from '../config/topology.js';
import { ENVOY_DOCKER_HOST, type RenderTarget } from './envoy.js';

/** Node data folder inside the Redpanda container (the local runtime sets its own). */
export const REDPANDA_DATA_DIRECTORY = '/var/lib/redpanda/data';

/** The node property `failover-demo recovery enable|disable` toggles. */
export const RECOVERY_MODE_KEY = ['redpanda', 'recovery_mode_enabled'] as const;

export type KafkaListenerName = 'internal' | 'external' | 'direct';

interface KafkaListener {
  name: KafkaListenerName;
  address: string;
  port: number;
  advertisedAddress: string;
  advertisedPort: number;
}

/** The Kafka API listeners of one broker, bound and advertised, for the given target. */
export function kafkaListeners(t: Topology, b: BrokerRef, target: RenderTarget): KafkaListener[] {
  const envoyPort = t.envoy.listenerPort + b.index;
  if (target === 'local') {
    const ports = localPorts(t, b);
    const loopback = '127.0.0.1';
    return [
      { name: 'external', address: loopback, port: ports.client, advertisedAddress: loopback, advertisedPort: envoyPort },
      { name: 'direct', address: loopback, port: ports.direct, advertisedAddress: loopback, advertisedPort: ports.direct },
    ];
  }
  const any = '0.0.0.0';
  const rp = t.redpanda;
  // kafka-filter: the broker advertises itself and Envoy's filter rewrites; advertised: the broker
  // advertises Envoy's listener for its position, on the address each kind of client can reach.
  const viaFilter = t.rewrite === 'kafka-filter';
  return [
    {
      name: 'internal',
      address: any,
      port: rp.kafkaPort,
      advertisedAddress: viaFilter ? b.name : ENVOY_DOCKER_HOST,
      advertisedPort: viaFilter ? rp.kafkaPort : envoyPort,
    },
    {
      name: 'external',
      address: any,
      port: rp.hostKafkaPort,
      advertisedAddress: viaFilter ? b.name : t.envoy.advertisedHost,
      advertisedPort: viaFilter ? rp.hostKafkaPort : envoyPort,
    },
    {
      name: 'direct',
      address: any,
      port: rp.directPortBase,
      advertisedAddress: t.envoy.advertisedHost,
      advertisedPort: directHostPort(t, b),
    },
  ];
}

/** rpc_server address of a broker (what its cluster's seed_servers list). */
function rpcAddress(t: Topology, b: BrokerRef, target: RenderTarget): { address: string; port: number } {
  return target === 'local'
    ? { address: '127.0.0.1', port: localPorts(t, b).rpc }
    : { address: b.name, port: t.redpanda.rpcPort };
}

/** The node properties of one broker as a plain object (what redpanda.yaml holds). */
export function buildRedpandaConfig(t: Topology, b: BrokerRef, target: RenderTarget): Record<string, unknown> {
  const listeners = kafkaListeners(t, b, target);
  const rpc = rpcAddress(t, b, target);
  const bind = target === 'local' ? '127.0.0.1' : '0.0.0.0';
  const schemaRegistryPort = target === 'local' ? localPorts(t, b).schemaRegistry : t.healthCheck.port;
  return {
    redpanda: {
      data_directory: REDPANDA_DATA_DIRECTORY,
      node_id: b.index,
      empty_seed_starts_cluster: false,
      seed_servers: brokersOf(t, b.cluster).map((peer) => ({ host: rpcAddress(t, peer, target) })),
      rpc_server: { address: bind, port: rpc.port },
      advertised_rpc_api: rpc,
      kafka_api: listeners.map((l) => ({ name: l.name, address: l.address, port: l.port })),
      advertised_kafka_api: listeners.map((l) => ({ name: l.name, address: l.advertisedAddress, port: l.advertisedPort })),
      // Local runtime: no Redpanda admin API (the Kafka stand-in has none); docker: inside the network only.
      ...(target === 'docker' ? { admin: [{ address: bind, port: t.redpanda.adminPort }] } : {}),
      recovery_mode_enabled: false,
    },
    ...(target === 'docker'
      ? { pandaproxy: { pandaproxy_api: [{ address: bind, port: t.redpanda.pandaproxyPort }] } }
      : {}),
    schema_registry: { schema_registry_api: [{ address: bind, port: schemaRegistryPort }] },
  };
}

/** redpanda.yaml text of one broker. */
export function renderRedpandaYaml(t: Topology, broker: BrokerRef, target: RenderTarget): string {
  const head = [
    `# ${broker.name}: Redpanda node properties, rendered by \`failover-demo render\` (cluster properties`,
    '# are in .bootstrap.yaml next to this file).',
    '# `failover-demo recovery enable|disable` toggles redpanda.recovery_mode_enabled below and restarts',
    '# the broker; the Docker entrypoint copies this file into the container on every start.',
    '',
    '',
  ].join('\n');
  return head + stringify(buildRedpandaConfig(t, broker, target), { lineWidth: 0, aliasDuplicateObjects: false });
}

/** Replication factor for auto-created topics: Raft wants an odd count, at most 3 and at most the brokers. */
export function defaultTopicReplications(t: Topology): number {
  const n = Math.min(3, t.brokers);
  return n % 2 === 1 ? n : n - 1;
}

/** Cluster properties, applied by Redpanda when the cluster first forms. */
export function buildBootstrapConfig(t: Topology): Record<string, unknown> {
  return {
    auto_create_topics_enabled: true,
    default_topic_replications: defaultTopicReplications(t),
    default_topic_partitions: t.topics[0]?.partitions ?? 1,
  };
}

/** .bootstrap.yaml text (the same for every broker of either cluster). */
export function renderBootstrapYaml(t: Topology): string {
  const head = [
    '# Redpanda cluster properties, rendered by `failover-demo render`. Read when the cluster first',
    '# forms; later changes need `rpk cluster config set` (or `failover-demo stop --volumes` and a fresh start).',
    '',
    '',
  ].join('\n');
  return head + stringify(buildBootstrapConfig(t), { lineWidth: 0, aliasDuplicateObjects: false });
}
