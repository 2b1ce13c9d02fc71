/**
 * The Kafka stand-in for Redpanda is "an Apache Kafka broker configured from a redpanda.yaml".
 * This module translates a broker's redpanda.yaml (node config) into the server.properties of a Kafka
 * KRaft broker in combined mode (broker + controller). Pure: no I/O, so the local runtime and the
 * Docker stand-in image use the very same translation.
 *
 * Mapping:
 *  - redpanda.node_id                         → node.id
 *  - redpanda.rpc_server                      → CONTROLLER listener (KRaft quorum traffic)
 *  - rpc_server port + 1                      → REPLICATION listener (inter-broker), advertised at
 *                                               advertised_rpc_api's address
 *  - redpanda.seed_servers (in order)         → controller.quorum.voters, ids 0..n-1
 *  - redpanda.kafka_api / advertised_kafka_api → one Kafka listener per name, as-is
 *  - redpanda.data_directory                  → log.dirs
 *  - the cluster id is derived from the seed list, so every broker of a cluster agrees on it.
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { SocketAddress } from '../util/net.js';

export type { SocketAddress };

export interface NamedListener extends SocketAddress {
  name: string;
}

/** The parts of a redpanda.yaml the stand-in uses. */
export interface RedpandaNodeConfig {
  nodeId: number;
  dataDirectory: string;
  rpcServer: SocketAddress;
  advertisedRpc: SocketAddress;
  seedServers: SocketAddress[];
  kafkaApi: NamedListener[];
  advertisedKafkaApi: NamedListener[];
  /** Redpanda's Admin API listeners (the stand-in serves /v1/status/ready there). */
  admin: SocketAddress[];
  schemaRegistry: SocketAddress[];
  /**
   * Where the Schema Registry's internal Kafka client bootstraps: `schema_registry_client.brokers` when
   * set, else (as in Redpanda) the first Kafka API listener. Empty list = not set.
   */
  schemaRegistryClientBrokers: SocketAddress[];
  recoveryModeEnabled: boolean;
}

/** A redpanda.yaml the stand-in cannot use; the message names the key. */
export class RedpandaYamlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RedpandaYamlError';
  }
}

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function socketAddress(v: unknown, where: string): SocketAddress {
  if (!isObj(v)) throw new RedpandaYamlError(`${where} must be a mapping with address and port`);
  const address = v.address;
  const port = Number(v.port);
  if (typeof address !== 'string' || address === '') throw new RedpandaYamlError(`${where}.address is missing`);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new RedpandaYamlError(`${where}.port must be a port number, got ${String(v.port)}`);
  return { address, port };
}

function listeners(v: unknown, where: string): NamedListener[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((item, i) => {
    const addr = socketAddress(item, `${where}[${i}]`);
    const name = isObj(item) && typeof item.name === 'string' && item.name !== '' ? item.name : 'kafka';
    return { ...addr, name };
  });
}

function addresses(v: unknown, where: string): SocketAddress[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((item, i) => socketAddress(item, `${where}[${i}]`));
}

/** Reads the node config out of a parsed redpanda.yaml document. */
export function readRedpandaNodeConfig(doc: unknown): RedpandaNodeConfig {
  if (!isObj(doc) || !isObj(doc.redpanda)) throw new RedpandaYamlError('no `redpanda:` section');
  const rp = doc.redpanda;
  const nodeId = Number(rp.node_id);
  if (!Number.isInteger(nodeId) || nodeId < 0) throw new RedpandaYamlError(`redpanda.node_id must be a non-negative integer, got ${String(rp.node_id)}`);
  if (typeof rp.data_directory !== 'string' || rp.data_directory === '') throw new RedpandaYamlError('redpanda.data_directory is missing');
  const rpcServer = socketAddress(rp.rpc_server, 'redpanda.rpc_server');
  const advertisedRpc = rp.advertised_rpc_api === undefined ? rpcServer : socketAddress(rp.advertised_rpc_api, 'redpanda.advertised_rpc_api');
  const seeds = Array.isArray(rp.seed_servers) ? rp.seed_servers : [];
  const seedServers = seeds.map((s, i) => socketAddress(isObj(s) ? s.host : undefined, `redpanda.seed_servers[${i}].host`));
  if (seedServers.length === 0) seedServers.push(advertisedRpc);
  const kafkaApi = listeners(rp.kafka_api, 'redpanda.kafka_api');
  if (kafkaApi.length === 0) throw new RedpandaYamlError('redpanda.kafka_api has no listener');
  const advertisedKafkaApi = listeners(rp.advertised_kafka_api, 'redpanda.advertised_kafka_api');
  const sr = isObj(doc.schema_registry) ? doc.schema_registry.schema_registry_api : undefined;
  const srClient = isObj(doc.schema_registry_client) ? doc.schema_registry_client.brokers : undefined;
  return {
    nodeId,
    dataDirectory: rp.data_directory,
    rpcServer,
    advertisedRpc,
    seedServers,
    kafkaApi,
    advertisedKafkaApi,
    admin: addresses(rp.admin, 'redpanda.admin'),
    schemaRegistry: addresses(sr, 'schema_registry.schema_registry_api'),
    schemaRegistryClientBrokers: addresses(srClient, 'schema_registry_client.brokers'),
    recoveryModeEnabled: rp.recovery_mode_enabled === true,
  };
}

/** Parses redpanda.yaml text; throws RedpandaYamlError for bad YAML or missing keys. */
export function parseRedpandaYaml(text: string): RedpandaNodeConfig {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new RedpandaYamlError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  return readRedpandaNodeConfig(doc);
}

/**
 * KRaft cluster id shared by every broker of one cluster: derived from its seed list (the same list
 * in every broker's redpanda.yaml), as 16 bytes in URL-safe base64 (what `kafka-storage format -t` takes).
 */
export function kraftClusterId(seedServers: readonly SocketAddress[]): string {
  const key = seedServers.map((s) => `${s.address}:${s.port}`).join(',');
  const bytes = createHash('sha256').update(key).digest().subarray(0, 16);
  // An id starting with '-' reads as an option to kafka-storage (Kafka's own Uuid.randomUuid() avoids
  // them too): with the top bit clear, the first character is one of A–Z, a–f.
  bytes[0]! &= 0x7f;
  return bytes.toString('base64url');
}

/** Kafka listener names are case-insensitive upper-case identifiers. */
export function kafkaListenerName(name: string): string {
  const n = name.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
  return n === 'CONTROLLER' || n === 'REPLICATION' ? `${n}_KAFKA` : n;
}

function hostPort(a: SocketAddress): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export interface KafkaServerOptions {
  /** Overrides redpanda.data_directory (e.g. a per-broker folder of the local runtime). */
  dataDir?: string;
}

/** Ordered key/value pairs of the Kafka broker's server.properties. */
export function kafkaServerProperties(c: RedpandaNodeConfig, options: KafkaServerOptions = {}): [string, string][] {
  const voters = c.seedServers.length;
  if (c.nodeId >= voters) {
    throw new RedpandaYamlError(`redpanda.node_id ${c.nodeId} has no seed server: seed_servers lists ${voters} (node ids are positions in that list)`);
  }
  const advertisedByName = new Map(c.advertisedKafkaApi.map((l) => [l.name, l]));
  const kafka = c.kafkaApi.map((l) => ({ name: kafkaListenerName(l.name), bind: l, advertised: advertisedByName.get(l.name) ?? l }));
  const names = new Set(kafka.map((k) => k.name));
  if (names.size !== kafka.length) throw new RedpandaYamlError('redpanda.kafka_api listener names must be unique');
  const replication: SocketAddress = { address: c.rpcServer.address, port: c.rpcServer.port + 1 };
  const replicationAdvertised: SocketAddress = { address: c.advertisedRpc.address, port: c.advertisedRpc.port + 1 };
  const rf = Math.min(3, voters);
  const listeners = [
    `CONTROLLER://${hostPort(c.rpcServer)}`,
    `REPLICATION://${hostPort(replication)}`,
    ...kafka.map((k) => `${k.name}://${hostPort(k.bind)}`),
  ];
  const advertised = [`REPLICATION://${hostPort(replicationAdvertised)}`, ...kafka.map((k) => `${k.name}://${hostPort(k.advertised)}`)];
  const protocols = ['CONTROLLER', 'REPLICATION', ...kafka.map((k) => k.name)].map((n) => `${n}:PLAINTEXT`);
  return [
    ['process.roles', 'broker,controller'],
    ['node.id', String(c.nodeId)],
    ['controller.quorum.voters', c.seedServers.map((s, i) => `${i}@${hostPort(s)}`).join(',')],
    ['controller.listener.names', 'CONTROLLER'],
    ['listeners', listeners.join(',')],
    ['advertised.listeners', advertised.join(',')],
    ['inter.broker.listener.name', 'REPLICATION'],
    ['listener.security.protocol.map', protocols.join(',')],
    ['log.dirs', options.dataDir ?? c.dataDirectory],
    // Small, demo-sized settings: replication never above the cluster size, no start-up delays.
    ['num.partitions', '1'],
    ['default.replication.factor', String(rf)],
    // Redpanda acknowledges acks=all once a Raft majority has the write, and never elects a replica that
    // lacks acknowledged writes. Same here: a majority must be in sync, and no unclean elections. With
    // min.insync=1 and unclean elections, stopping and restarting a cluster lost acknowledged messages.
    ['min.insync.replicas', String(Math.floor(rf / 2) + 1)],
    ['offsets.topic.replication.factor', String(rf)],
    ['offsets.topic.num.partitions', '6'],
    ['transaction.state.log.replication.factor', String(rf)],
    ['transaction.state.log.min.isr', String(Math.min(2, rf))],
    ['transaction.state.log.num.partitions', '6'],
    ['group.initial.rebalance.delay.ms', '0'],
    // Redpanda keeps trying to join its cluster for as long as it runs; Kafka's broker gives up (exit 1)
    // after 60 s without a controller quorum, e.g. when a stopped cluster's brokers come back one by one.
    ['initial.broker.registration.timeout.ms', String(60 * 60 * 1000)],
    ['auto.create.topics.enable', 'true'],
    ['num.network.threads', '2'],
    ['num.io.threads', '2'],
    ['num.recovery.threads.per.data.dir', '1'],
    ['log.retention.hours', '24'],
    ['log.segment.bytes', String(64 * 1024 * 1024)],
    ['unclean.leader.election.enable', 'false'],
  ];
}

/** server.properties text; keys and values contain no characters that need escaping. */
export function formatProperties(pairs: readonly [string, string][], header?: string): string {
  const lines = header ? header.split('\n').map((l) => `# ${l}`) : [];
  for (const [k, v] of pairs) lines.push(`${k}=${v.replace(/\\/g, '\\\\')}`);
  return lines.join('\n') + '\n';
}

/** log4j (reload4j) configuration: everything to stdout, which the stand-in's log file captures. */
export function kafkaLog4jProperties(level: 'INFO' | 'WARN' = 'INFO'): string {
  return formatProperties([
    ['log4j.rootLogger', `${level}, stdout`],
    ['log4j.appender.stdout', 'org.apache.log4j.ConsoleAppender'],
    ['log4j.appender.stdout.layout', 'org.apache.log4j.PatternLayout'],
    ['log4j.appender.stdout.layout.ConversionPattern', '[%d] %p %m (%c)%n'],
    ['log4j.logger.kafka.request.logger', 'WARN'],
    ['log4j.logger.kafka.log.LogCleaner', 'WARN'],
    ['log4j.logger.state.change.logger', 'WARN'],
    ['log4j.logger.org.apache.kafka.controller', 'INFO'],
  ]);
}
