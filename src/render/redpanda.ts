/**
 * Topology → Redpanda configuration. Pure: no I/O.
 *
 * - redpanda.yaml (one per broker) holds node properties only.
 * - .bootstrap.yaml (one per cluster, copied next to each broker's redpanda.yaml) holds cluster
 *   properties; Redpanda reads it when the cluster first forms. The PoC put these under `redpanda:` in
 *   redpanda.yaml, where node config does not belong.
 *
 * Kafka API listeners (the Kafka stand-in translates them by these names), first one first:
 * - `internal`  (docker) the broker itself: Redpanda's own clients, and Envoy with the kafka-filter strategy
 * - `proxied`   (docker, advertised) in-network clients via Envoy's in-network listener set
 * - `external`  (advertised) host clients via Envoy's host-facing listeners (docker) / Envoy's listeners (local)
 * - `direct`    tooling that bypasses Envoy (topic setup, ledger checks); first in the local target
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

export type KafkaListenerName = 'internal' | 'proxied' | 'external' | 'direct';

interface KafkaListener {
  name: KafkaListenerName;
  address: string;
  port: number;
  advertisedAddress: string;
  advertisedPort: number;
}

/**
 * The Kafka API listeners of one broker, bound and advertised, for the given target.
 *
 * The first listener always advertises the broker itself. Redpanda's Schema Registry and HTTP Proxy
 * run an internal Kafka client that bootstraps from the first Kafka listener and then connects to the
 * addresses that listener advertises; every Schema Registry route, the health-checked /schemas/types
 * too, waits for that client to write and read its internal topic. If the first listener advertised
 * Envoy, that client would go through Envoy, which routes nothing until a health check passes: the
 * Schema Registry would never answer and no broker would ever be marked healthy.
 */
export function kafkaListeners(t: Topology, b: BrokerRef, target: RenderTarget): KafkaListener[] {
  const envoyPort = t.envoy.listenerPort + b.index;
  if (target === 'local') {
    const ports = localPorts(t, b);
    const loopback = '127.0.0.1';
    return [
      { name: 'direct', address: loopback, port: ports.direct, advertisedAddress: loopback, advertisedPort: ports.direct },
      { name: 'external', address: loopback, port: ports.client, advertisedAddress: loopback, advertisedPort: envoyPort },
    ];
  }
  const any = '0.0.0.0';
  const rp = t.redpanda;
  const internal: KafkaListener = { name: 'internal', address: any, port: rp.kafkaPort, advertisedAddress: b.name, advertisedPort: rp.kafkaPort };
  const direct: KafkaListener = {
    name: 'direct',
    address: any,
    port: rp.directPortBase,
    advertisedAddress: t.envoy.advertisedHost,
    advertisedPort: directHostPort(t, b),
  };
  // kafka-filter: Envoy connects to `internal` and its filter rewrites the broker addresses it hands out.
  if (t.rewrite === 'kafka-filter') return [internal, direct];
  // advertised: two more listeners that advertise Envoy's listener for this position, each on the
  // address its kind of client can reach (in the Docker network, on the host).
  return [
    internal,
    { name: 'proxied', address: any, port: rp.proxiedKafkaPort, advertisedAddress: ENVOY_DOCKER_HOST, advertisedPort: envoyPort },
    { name: 'external', address: any, port: rp.hostKafkaPort, advertisedAddress: t.envoy.advertisedHost, advertisedPort: envoyPort },
    direct,
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

/** One cluster property with the reason it is set, written as a comment above it. */
export interface ClusterProperty {
  key: string;
  value: string | number | boolean;
  why: string;
}

/**
 * Cluster properties, applied by Redpanda when the cluster first forms. `redpanda start --mode
 * dev-container` (the compose command) also writes cluster properties, but under `redpanda:` in
 * redpanda.yaml, and Redpanda imports those only when there is no .bootstrap.yaml. We always ship one,
 * so the dev-container values we want are here, explicitly (rpk's list: src/go/rpk/pkg/cli/redpanda/start.go).
 * Left out on purpose: `write_caching_default: true` (the drill counts acknowledged messages; with write
 * caching an ack does not wait for the write to reach disk).
 */
export function clusterProperties(t: Topology): ClusterProperty[] {
  return [
    { key: 'auto_create_topics_enabled', value: true, why: 'clients may produce to a topic before `start` creates it (dev-container sets it too)' },
    { key: 'default_topic_replications', value: defaultTopicReplications(t), why: 'Raft wants an odd replica count, at most 3 and at most the brokers per cluster' },
    { key: 'default_topic_partitions', value: t.topics[0]?.partitions ?? 1, why: 'auto-created topics get as many partitions as the demo topic' },
    {
      key: 'group_initial_rebalance_delay',
      value: 0,
      why: 'ms; a consumer that rejoins its group on the other cluster during a failover starts at once instead of after 3 s (dev-container)',
    },
    { key: 'group_topic_partitions', value: 3, why: 'a small __consumer_offsets, quick to create on a demo cluster (dev-container; default 16)' },
    { key: 'storage_min_free_bytes', value: 10485760, why: '10 MiB: a laptop disk with less than the default 5 GiB free still takes writes (dev-container)' },
    { key: 'topic_partitions_per_shard', value: 1000, why: 'the demo runs with --smp 1 (dev-container)' },
    { key: 'fetch_reads_debounce_timeout', value: 10, why: 'ms; dev-container value' },
    { key: 'log_segment_size_min', value: 1, why: 'bytes; dev-container value' },
  ];
}

/** Cluster properties as a plain object (what .bootstrap.yaml holds). */
export function buildBootstrapConfig(t: Topology): Record<string, unknown> {
  return Object.fromEntries(clusterProperties(t).map((p) => [p.key, p.value]));
}

/** .bootstrap.yaml text (the same for every broker of either cluster), each key with its reason. */
export function renderBootstrapYaml(t: Topology): string {
  const head = [
    '# Redpanda cluster properties, rendered by `failover-demo render`. Read when the cluster first',
    '# forms; later changes need `rpk cluster config set` (or `failover-demo stop --volumes` and a fresh start).',
    '',
  ];
  const body = clusterProperties(t).flatMap((p) => ['', `# ${p.why}`, stringify({ [p.key]: p.value }, { lineWidth: 0 }).trimEnd()]);
  return [...head, ...body.slice(1), ''].join('\n');
}
