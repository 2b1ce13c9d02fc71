/**
 * The one schema of the demo's topology (zod 3). From it come the `Topology` type (./topology.ts),
 * the config file's form and its checks (./file-form.ts, ./validate.ts), the check of state.json
 * (../runtime/state.ts), `failover-demo config --reference` and the README's table (./reference.ts).
 *
 * Keys are the topology's: a duration is whole milliseconds under a key ending in `Ms`, written in the
 * config file without the suffix as "3s" / "500ms". Each key's first argument is its line in the
 * configuration reference; comments add what only the code needs to know. Checks across keys (ports used
 * twice, replication factors above the broker count) are in ./checks.ts. Defaults: ./topology.ts.
 */
import { isIP } from 'node:net';
import { decimal, duration, flag, int, list, oneOf, port, section, text, type TextRule } from './schema-kit.js';

export const MAX_BROKERS = 9;

const IMAGE: TextRule = { test: (v) => /^[^\s]+$/.test(v), expected: 'expected a container image reference such as "repo/name:tag"' };
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** How host and in-network clients get broker addresses that point back at Envoy. */
export const rewriteSchema = oneOf(
  ['kafka-filter', 'advertised'],
  'How clients get broker addresses that point at Envoy: kafka-filter (contrib Envoy rewrites metadata) or advertised (brokers advertise Envoy; works with the standard Envoy).',
);

const healthCheck = section("Envoy's active HTTP health check of each broker's Schema Registry.", {
  /** HTTP path probed on each broker's Schema Registry. */
  path: text('HTTP path probed on each broker.', { test: (v) => v.startsWith('/'), expected: 'expected a path starting with "/"' }),
  /** Schema Registry port on each broker. */
  port: port('Schema Registry port on each broker (Docker runtime).'),
  timeoutMs: duration('Time to wait for an answer; a timeout counts as a failure.'),
  intervalMs: duration('Time between checks of a host.'),
  intervalJitterMs: duration('Up to this much is added at random to each wait.', 0),
  unhealthyThreshold: int('Consecutive failures (refused / timed out) before a host is marked unhealthy. An error status marks it at once.', 1),
  healthyThreshold: int('Consecutive successes before an unhealthy host is marked healthy again.', 1),
  noTrafficIntervalMs: duration('Interval while the cluster has had no traffic.'),
  unhealthyIntervalMs: duration('Interval for hosts marked unhealthy.'),
  unhealthyEdgeIntervalMs: duration('Wait before the first check after a host was marked unhealthy.'),
  healthyEdgeIntervalMs: duration('Wait before the first check after a host was marked healthy.'),
});

const outlierDetection = section("Envoy's passive outlier detection on each per-position cluster.", {
  consecutive5xx: int('Consecutive connection failures before a host is ejected.', 1),
  intervalMs: duration('Time between ejection sweeps.'),
  baseEjectionTimeMs: duration('How long an ejected host stays out (times the number of ejections).'),
  maxEjectionPercent: int('At most this share of a cluster is ejected at once.', 0, 100),
});

const envoy = section('The Envoy proxy.', {
  /** Image for the Docker runtime (needs the contrib build for the kafka-filter strategy). */
  image: text('Envoy image for the Docker runtime (the kafka-filter strategy needs a contrib build). ENVOY_VERSION picks the tag.', IMAGE),
  adminPort: port('Admin API port (published on bindAddress).'),
  /**
   * First Kafka listener port; listener i (broker position i) is listenerPort + i.
   * In Docker this is the in-network port (envoy:9092) and also the host port published on bindAddress.
   */
  listenerPort: port('First Kafka listener port; broker position i listens on listenerPort + i (also the published host ports).'),
  /**
   * First container port of the host-facing listeners (Docker runtime only): published as
   * bindAddress:(listenerPort + i) -> envoy:(hostListenerPort + i), handing out advertisedHost:(listenerPort + i).
   */
  hostListenerPort: port('First container port of the host-facing listeners (Docker runtime), published as bindAddress:(listenerPort + i).'),
  /** Address host-side clients use to reach Envoy's published ports. */
  advertisedHost: text(
    'Address host-side clients use to reach the published ports.',
    { test: (v) => isIP(v) !== 0 || HOST_NAME.test(v), expected: 'expected a host name or IP address, e.g. "127.0.0.1" or "demo.example.com"' },
    'host name or IP',
  ),
  /**
   * Envoy closes open connections to a host as soon as health checking (or outlier detection) marks it
   * unhealthy (cluster close_connections_on_host_health_failure), so clients reconnect to the other cluster.
   */
  closeConnectionsOnHealthFailure: flag(
    'Close open client connections to a broker as soon as Envoy marks it unhealthy, so clients reconnect to the other cluster at once instead of waiting for the broker to finish shutting down.',
  ),
  /**
   * Envoy --concurrency, local runtime. bench:clients (README "Benchmarks"): with 1 worker Envoy added
   * 2-4 ms to the p50 at 200 msg/s on the loaded 2-core machine; with 2 (and exactBalance) none.
   */
  concurrency: int("Worker threads of the local runtime's Envoy (--concurrency); 2 spreads a client's connections so one busy worker does not hold them all up.", 1, 64),
  /** Listener connection_balance_config: exact_balance (only acts with concurrency > 1). */
  exactBalance: flag(
    "Spread connections over Envoy's workers exactly (listener exact_balance): a Kafka client opens only one connection per broker, too few for the kernel's spread to be even. Acts with concurrency > 1.",
  ),
});

const redpanda = section('The Redpanda brokers (Docker runtime).', {
  image: text('Redpanda image. REDPANDA_VERSION picks the tag.', IMAGE),
  /**
   * First Kafka API listener of each broker (`internal`): it advertises the broker itself. Redpanda's own
   * Kafka clients (Schema Registry, HTTP Proxy) bootstrap from the first listener and then connect to its
   * advertised addresses, so it must never point at Envoy. The kafka-filter strategy's Envoy connects here.
   */
  kafkaPort: port(
    "First Kafka API listener of each broker; it advertises the broker itself, for Redpanda's own clients (Schema Registry, HTTP Proxy) and the kafka-filter strategy's Envoy.",
  ),
  /** `advertised` strategy: listener for in-network clients via Envoy; advertises envoy:(listenerPort + i). */
  proxiedKafkaPort: port('`advertised` strategy: Kafka API port for in-network clients via Envoy (advertises envoy:listenerPort + i).'),
  /** `advertised` strategy: listener for host clients via Envoy; advertises advertisedHost:(listenerPort + i). */
  hostKafkaPort: port('`advertised` strategy: Kafka API port for host clients via Envoy (advertises advertisedHost:listenerPort + i).'),
  rpcPort: port('Internal RPC port.'),
  adminPort: port('Redpanda admin API port (inside the Docker network only).'),
  pandaproxyPort: port('HTTP Proxy port (inside the Docker network only).'),
  /**
   * "direct" Kafka listener of each broker, for tooling that must bypass Envoy (topic setup, ledger checks).
   * Container port for every broker, and the base of the host ports it is published on:
   * bindAddress:(directPortBase + (secondary ? 100 : 0) + index), advertised as advertisedHost:that port.
   */
  directPortBase: port('"direct" Kafka listener that bypasses Envoy; published on bindAddress:(directPortBase + index), +100 for the secondary cluster.'),
  /** Redpanda node memory (--memory) for the Docker runtime. */
  memory: text('Memory per broker (redpanda --memory), e.g. "1G".', { test: (v) => /^\d+[KMGT]?$/i.test(v), expected: 'expected an amount such as "512M" or "1G"' }),
  /** Redpanda cores (--smp) for the Docker runtime. */
  smp: int('Cores per broker (redpanda --smp).', 1),
});

export const topicSchema = section('a topic', {
  name: text('Topic name.', {
    test: (v) => /^[A-Za-z0-9._-]{1,249}$/.test(v) && v !== '.' && v !== '..',
    expected: 'expected a Kafka topic name (letters, digits, ".", "_", "-")',
  }),
  partitions: int('Partition count.', 1),
  replicationFactor: int('Replicas per partition (at most brokers).', 1),
});

/** How the Schema Registry stand-in (local runtime) fails while its broker is in recovery mode. */
export const recoveryBehaviourSchema = oneOf(
  ['refuse', 'http-503'],
  "How a broker's Schema Registry stand-in fails in recovery mode: refuse (connection refused: counts toward unhealthyThreshold) or http-503 (marks the host unhealthy at once).",
);

const local = section('The local runtime (Envoy and Kafka brokers as processes on 127.0.0.1).', {
  /** Broker ports of the local runtime start here (see localPorts()). */
  basePort: port("Start of the local brokers' port block: primary broker i uses basePort + 10*i .. +4, the secondary +100."),
  /** Apache Kafka version that stands in for Redpanda. */
  kafkaVersion: text('Apache Kafka version that stands in for Redpanda.', { test: (v) => /^\d+\.\d+\.\d+$/.test(v), expected: 'expected a version such as "3.9.1"' }),
  /** JVM heap per broker, in MiB. */
  heapMb: int('JVM heap per broker, MiB.', 64),
  recoveryBehaviour: recoveryBehaviourSchema,
});

/**
 * How Envoy's listeners follow broker failures:
 * - `coherent`: one decision for the whole Redpanda cluster, made by the failover controller and applied
 *   to every listener at once (client connections to the old cluster are closed);
 * - `per-broker`: the PoC's layout, one Envoy cluster per broker position with both clusters' brokers at
 *   two priorities, so one failed broker moves one listener (a split).
 */
export const failoverPolicySchema = oneOf(
  ['coherent', 'per-broker'],
  'coherent: one decision for the whole cluster, every listener moves at once and client connections to the old cluster are closed; per-broker: the PoC layout, each listener fails over on its own (splits).',
);

export const failbackModeSchema = oneOf(
  ['auto', 'manual'],
  'coherent: auto returns to the primary once every primary broker has been healthy for failbackHold; manual waits for `failover-demo switch primary`.',
);

const failover = section('How the listeners follow broker failures.', {
  policy: failoverPolicySchema,
  /** Healthy brokers the active cluster needs to stay active (and the other to take over); 0 = a majority. */
  quorum: int('coherent: healthy brokers the active cluster needs to stay active, and the other to take over; 0 = a majority of brokers.', 0, 9),
  failback: failbackModeSchema,
  /** `auto` failback: every primary broker healthy this long first. */
  failbackHoldMs: duration('coherent, auto failback: how long every primary broker must be healthy first (a flapping broker does not flap the clients).', 0),
  /** After a switch, acks on the old cluster within this time are in flight, not clients left behind. */
  settleGraceMs: duration('After a switch, acknowledgements on the old cluster within this time count as in flight; later ones as clients left behind.', 0),
  /** The controller's status API (GET /v1/decision, POST /v1/switch), on bindAddress. */
  controllerPort: port("The failover controller's status API (GET /v1/decision, POST /v1/switch) on bindAddress."),
  /** Image that runs the controller in the Docker runtime (any image with Node.js ≥ 20). */
  controllerImage: text('Image that runs the controller in the Docker runtime (any image with Node.js ≥ 20).', IMAGE),
});

export const replicationModeSchema = oneOf(
  ['none', 'shadow'],
  'none: the clusters are independent; shadow: the secondary copies the primary (topics and consumer-group offsets) while the primary is active, so a failover keeps the data and the consumers\' place (MirrorMaker 2 on the Kafka stand-ins, Redpanda Shadowing on real Redpanda).',
);

const replication = section('Replication from the primary to the secondary.', {
  mode: replicationModeSchema,
  /** MM2's checkpoint and group-offset sync interval: a resumed consumer re-reads at most about this much. */
  syncIntervalMs: duration('How often consumer-group offsets are copied to the other cluster; after a failover a consumer re-reads at most about this much.', 1000),
  /** The replicator's API (GET /v1/replication), on bindAddress. */
  replicatorPort: port("The replicator's status API (GET /v1/replication) on bindAddress."),
  /** JVM heap of MirrorMaker 2, MiB. */
  heapMb: int('JVM heap of MirrorMaker 2 (local runtime and stand-in images), MiB.', 64),
  /** Longest a failback waits for the primary to catch up, with writers fenced. */
  failbackTimeoutMs: duration('Longest a failback waits, with the listeners closed, for the primary to have every record written to the secondary.', 1000),
});

/** Every key of a topology, each checked on its own (./checks.ts adds the checks across keys). */
export const topologyObject = section('the demo topology', {
  /** Docker Compose project name, also the prefix of container names' network. */
  project: text('Docker Compose project name (prefix of the network and volume names).', {
    test: (v) => /^[a-z0-9][a-z0-9_-]*$/.test(v),
    expected: 'expected lowercase letters, digits, "-" and "_", starting with a letter or digit',
  }),
  /** Brokers per cluster (1..9). */
  brokers: int(`Brokers per cluster (1..${MAX_BROKERS}); Envoy gets one listener per broker position.`, 1, MAX_BROKERS),
  rewrite: rewriteSchema,
  /** Host address every published port binds to. 127.0.0.1 unless opted in wider. */
  bindAddress: text(
    'Host address every published port binds to. Use 0.0.0.0 only if other machines must reach the demo.',
    { test: (v) => isIP(v) !== 0, expected: 'expected an IP address such as "127.0.0.1" (default) or "0.0.0.0"' },
    'IP address',
  ),
  healthCheck,
  /** Envoy healthy_panic_threshold, percent. 0 disables panic routing. */
  panicThresholdPercent: decimal(
    "Envoy's healthy_panic_threshold in percent; 0 disables panic routing (never send traffic to unhealthy hosts).",
    0,
    100,
  ),
  outlierDetection,
  envoy,
  redpanda,
  topics: list('Topics created on both clusters at start. Default: test-topic, 3 partitions, replication factor min(3, brokers).', topicSchema),
  local,
  failover,
  replication,
});
