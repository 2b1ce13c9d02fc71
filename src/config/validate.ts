/**
 * The config file's schema and every check on a topology. Pure: no I/O.
 *
 * The schema lists each key as it is written in the YAML file (a topology key ending in `Ms` is written
 * without the suffix, as a duration string). `readConfigFile()` turns a parsed YAML document into a
 * partial topology plus one message per problem; `checkTopology()` checks the merged result across keys
 * (ports used twice, ranges running past 65535, replication factors above the broker count).
 */
import { isIP } from 'node:net';
import {
  brokersOf,
  directHostPort,
  localPorts,
  type FailbackMode,
  type FailoverPolicy,
  type RecoveryBehaviour,
  type RewriteStrategy,
  type Topology,
} from './topology.js';
import { DURATION_EXAMPLES, formatDuration, parseDuration } from './duration.js';

export const REWRITE_STRATEGIES: readonly RewriteStrategy[] = ['kafka-filter', 'advertised'];
export const FAILOVER_POLICIES: readonly FailoverPolicy[] = ['coherent', 'per-broker'];
export const FAILBACK_MODES: readonly FailbackMode[] = ['auto', 'manual'];
export const RECOVERY_BEHAVIOURS: readonly RecoveryBehaviour[] = ['refuse', 'http-503'];
export const MAX_BROKERS = 9;

// ---------------------------------------------------------------------------------------------------
// Schema

interface BaseSpec {
  /** One line for the configuration reference. */
  doc: string;
}
interface IntSpec extends BaseSpec {
  kind: 'int';
  min: number;
  max?: number;
}
interface NumberSpec extends BaseSpec {
  kind: 'number';
  min: number;
  max: number;
}
interface PortSpec extends BaseSpec {
  kind: 'port';
}
interface DurationSpec extends BaseSpec {
  kind: 'duration';
  /** Smallest allowed value, ms. */
  min: number;
}
interface StringSpec extends BaseSpec {
  kind: 'string';
  /** What the reference calls the value ("IP address"); "text" when absent. */
  label?: string;
  check?: (value: string) => string | undefined;
}
interface BooleanSpec extends BaseSpec {
  kind: 'boolean';
}
interface EnumSpec extends BaseSpec {
  kind: 'enum';
  values: readonly string[];
}
interface ObjectSpec extends BaseSpec {
  kind: 'object';
  fields: Record<string, FieldSpec>;
}
interface ListSpec extends BaseSpec {
  kind: 'list';
  item: ObjectSpec;
}
export type FieldSpec =
  | IntSpec
  | NumberSpec
  | PortSpec
  | DurationSpec
  | StringSpec
  | BooleanSpec
  | EnumSpec
  | ObjectSpec
  | ListSpec;

const port = (doc: string): PortSpec => ({ kind: 'port', doc });
const duration = (doc: string, min = 1): DurationSpec => ({ kind: 'duration', doc, min });
const int = (doc: string, min: number, max?: number): IntSpec => ({ kind: 'int', doc, min, max });
const flag = (doc: string): BooleanSpec => ({ kind: 'boolean', doc });
const text = (doc: string, check?: StringSpec['check'], label?: string): StringSpec => ({ kind: 'string', doc, check, label });

function checkImage(v: string): string | undefined {
  return /^[^\s]+$/.test(v) ? undefined : 'expected a container image reference such as "repo/name:tag"';
}
function checkHostName(v: string): string | undefined {
  if (isIP(v)) return undefined;
  return /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(v)
    ? undefined
    : 'expected a host name or IP address, e.g. "127.0.0.1" or "demo.example.com"';
}

export const CONFIG_SCHEMA: ObjectSpec = {
  kind: 'object',
  doc: 'the demo topology',
  fields: {
    project: text('Docker Compose project name (prefix of the network and volume names).', (v) =>
      /^[a-z0-9][a-z0-9_-]*$/.test(v) ? undefined : 'expected lowercase letters, digits, "-" and "_", starting with a letter or digit',
    ),
    brokers: int(`Brokers per cluster (1..${MAX_BROKERS}); Envoy gets one listener per broker position.`, 1, MAX_BROKERS),
    rewrite: {
      kind: 'enum',
      values: REWRITE_STRATEGIES,
      doc: 'How clients get broker addresses that point at Envoy: kafka-filter (contrib Envoy rewrites metadata) or advertised (brokers advertise Envoy; works with the standard Envoy).',
    },
    bindAddress: text('Host address every published port binds to. Use 0.0.0.0 only if other machines must reach the demo.', (v) =>
      isIP(v) ? undefined : 'expected an IP address such as "127.0.0.1" (default) or "0.0.0.0"',
    'IP address'),
    healthCheck: {
      kind: 'object',
      doc: "Envoy's active HTTP health check of each broker's Schema Registry.",
      fields: {
        path: text('HTTP path probed on each broker.', (v) => (v.startsWith('/') ? undefined : 'expected a path starting with "/"')),
        port: port('Schema Registry port on each broker (Docker runtime).'),
        timeout: duration('Time to wait for an answer; a timeout counts as a failure.'),
        interval: duration('Time between checks of a host.'),
        intervalJitter: duration('Up to this much is added at random to each wait.', 0),
        unhealthyThreshold: int('Consecutive failures (refused / timed out) before a host is marked unhealthy. An error status marks it at once.', 1),
        healthyThreshold: int('Consecutive successes before an unhealthy host is marked healthy again.', 1),
        noTrafficInterval: duration('Interval while the cluster has had no traffic.'),
        unhealthyInterval: duration('Interval for hosts marked unhealthy.'),
        unhealthyEdgeInterval: duration('Wait before the first check after a host was marked unhealthy.'),
        healthyEdgeInterval: duration('Wait before the first check after a host was marked healthy.'),
      },
    },
    panicThresholdPercent: {
      kind: 'number',
      min: 0,
      max: 100,
      doc: "Envoy's healthy_panic_threshold in percent; 0 disables panic routing (never send traffic to unhealthy hosts).",
    },
    outlierDetection: {
      kind: 'object',
      doc: "Envoy's passive outlier detection on each per-position cluster.",
      fields: {
        consecutive5xx: int('Consecutive connection failures before a host is ejected.', 1),
        interval: duration('Time between ejection sweeps.'),
        baseEjectionTime: duration('How long an ejected host stays out (times the number of ejections).'),
        maxEjectionPercent: int('At most this share of a cluster is ejected at once.', 0, 100),
      },
    },
    envoy: {
      kind: 'object',
      doc: 'The Envoy proxy.',
      fields: {
        image: text('Envoy image for the Docker runtime (the kafka-filter strategy needs a contrib build). ENVOY_VERSION picks the tag.', checkImage),
        adminPort: port('Admin API port (published on bindAddress).'),
        listenerPort: port('First Kafka listener port; broker position i listens on listenerPort + i (also the published host ports).'),
        hostListenerPort: port('First container port of the host-facing listeners (Docker runtime), published as bindAddress:(listenerPort + i).'),
        advertisedHost: text('Address host-side clients use to reach the published ports.', checkHostName, 'host name or IP'),
        closeConnectionsOnHealthFailure: flag(
          'Close open client connections to a broker as soon as Envoy marks it unhealthy, so clients reconnect to the other cluster at once instead of waiting for the broker to finish shutting down.',
        ),
      },
    },
    redpanda: {
      kind: 'object',
      doc: 'The Redpanda brokers (Docker runtime).',
      fields: {
        image: text('Redpanda image. REDPANDA_VERSION picks the tag.', checkImage),
        kafkaPort: port("First Kafka API listener of each broker; it advertises the broker itself, for Redpanda's own clients (Schema Registry, HTTP Proxy) and the kafka-filter strategy's Envoy."),
        proxiedKafkaPort: port('`advertised` strategy: Kafka API port for in-network clients via Envoy (advertises envoy:listenerPort + i).'),
        hostKafkaPort: port('`advertised` strategy: Kafka API port for host clients via Envoy (advertises advertisedHost:listenerPort + i).'),
        rpcPort: port('Internal RPC port.'),
        adminPort: port('Redpanda admin API port (inside the Docker network only).'),
        pandaproxyPort: port('HTTP Proxy port (inside the Docker network only).'),
        directPortBase: port('"direct" Kafka listener that bypasses Envoy; published on bindAddress:(directPortBase + index), +100 for the secondary cluster.'),
        memory: text('Memory per broker (redpanda --memory), e.g. "1G".', (v) =>
          /^\d+[KMGT]?$/i.test(v) ? undefined : 'expected an amount such as "512M" or "1G"',
        ),
        smp: int('Cores per broker (redpanda --smp).', 1),
      },
    },
    topics: {
      kind: 'list',
      doc: 'Topics created on both clusters at start. Default: test-topic, 3 partitions, replication factor min(3, brokers).',
      item: {
        kind: 'object',
        doc: 'a topic',
        fields: {
          name: text('Topic name.', (v) =>
            /^[A-Za-z0-9._-]{1,249}$/.test(v) && v !== '.' && v !== '..' ? undefined : 'expected a Kafka topic name (letters, digits, ".", "_", "-")',
          ),
          partitions: int('Partition count.', 1),
          replicationFactor: int('Replicas per partition (at most brokers).', 1),
        },
      },
    },
    local: {
      kind: 'object',
      doc: 'The local runtime (Envoy and Kafka brokers as processes on 127.0.0.1).',
      fields: {
        basePort: port('Start of the local brokers\' port block: primary broker i uses basePort + 10*i .. +4, the secondary +100.'),
        kafkaVersion: text('Apache Kafka version that stands in for Redpanda.', (v) =>
          /^\d+\.\d+\.\d+$/.test(v) ? undefined : 'expected a version such as "3.9.1"',
        ),
        heapMb: int('JVM heap per broker, MiB.', 64),
        recoveryBehaviour: {
          kind: 'enum',
          values: RECOVERY_BEHAVIOURS,
          doc: "How a broker's Schema Registry stand-in fails in recovery mode: refuse (connection refused: counts toward unhealthyThreshold) or http-503 (marks the host unhealthy at once).",
        },
      },
    },
    failover: {
      kind: 'object',
      doc: 'How the listeners follow broker failures.',
      fields: {
        policy: {
          kind: 'enum',
          values: FAILOVER_POLICIES,
          doc: 'coherent: one decision for the whole cluster, every listener moves at once and client connections to the old cluster are closed; per-broker: the PoC layout, each listener fails over on its own (splits).',
        },
        quorum: int('coherent: healthy brokers the active cluster needs to stay active, and the other to take over; 0 = a majority of brokers.', 0, 9),
        failback: {
          kind: 'enum',
          values: FAILBACK_MODES,
          doc: 'coherent: auto returns to the primary once every primary broker has been healthy for failbackHold; manual waits for `failover-demo switch primary`.',
        },
        failbackHold: duration('coherent, auto failback: how long every primary broker must be healthy first (a flapping broker does not flap the clients).', 0),
        settleGrace: duration('After a switch, acknowledgements on the old cluster within this time count as in flight; later ones as clients left behind.', 0),
        controllerPort: port("The failover controller's status API (GET /v1/decision, POST /v1/switch) on bindAddress."),
        controllerImage: text('Image that runs the controller in the Docker runtime (any image with Node.js ≥ 20).', checkImage),
      },
    },
  },
};

// ---------------------------------------------------------------------------------------------------
// Reading the file form

/** A problem found in the configuration: where, and what is wrong (with the fix when there is one). */
export interface ConfigProblem {
  path: string;
  message: string;
}

export function formatProblem(p: ConfigProblem): string {
  return p.path ? `${p.path}: ${p.message}` : p.message;
}

/** The topology key a file key stands for (`interval` → `intervalMs`). */
function topologyKey(fileKey: string, spec: FieldSpec): string {
  return spec.kind === 'duration' ? `${fileKey}Ms` : fileKey;
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `"${value}"`;
  return String(value);
}

function join(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

function normalizeKey(key: string): string {
  return key.replace(/[-_\s]/g, '').toLowerCase().replace(/ms$/, '');
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return row[b.length]!;
}

/** Every key path of the schema (`healthCheck.interval`, `topics[].name`, …). */
export function schemaPaths(spec: ObjectSpec = CONFIG_SCHEMA, prefix = ''): { path: string; key: string; spec: FieldSpec }[] {
  return Object.entries(spec.fields).flatMap(([key, field]) => {
    const path = join(prefix, key);
    const self = { path, key, spec: field };
    if (field.kind === 'object') return [self, ...schemaPaths(field, path)];
    if (field.kind === 'list') return [self, ...schemaPaths(field.item, `${path}[]`)];
    return [self];
  });
}

function unknownKeyMessage(key: string, siblings: string[], spec: ObjectSpec): string {
  const norm = normalizeKey(key);
  const same = siblings.find((s) => normalizeKey(s) === norm);
  if (same) {
    const field = spec.fields[same]!;
    const why = field.kind === 'duration' && /ms$/i.test(key) ? ' (durations are written without the Ms suffix, e.g. "3s")' : '';
    return `unknown key; did you mean "${same}"?${why}`;
  }
  const elsewhere = schemaPaths().find((p) => normalizeKey(p.key) === norm);
  if (elsewhere) return `unknown key here; did you mean "${elsewhere.path}"?`;
  const ranked = siblings
    .map((s) => ({ s, d: editDistance(key.toLowerCase(), s.toLowerCase()) }))
    .sort((a, b) => a.d - b.d);
  const best = ranked[0];
  if (best && best.d <= Math.max(2, Math.floor(key.length / 3))) return `unknown key; did you mean "${best.s}"?`;
  return `unknown key; known keys here: ${siblings.join(', ')}`;
}

function readScalar(spec: Exclude<FieldSpec, ObjectSpec | ListSpec>, value: unknown, path: string, problems: ConfigProblem[]): unknown {
  const fail = (message: string): undefined => {
    problems.push({ path, message });
    return undefined;
  };
  if (value === null || value === undefined) return fail('has no value; give one or remove the key to use the default');
  switch (spec.kind) {
    case 'int':
    case 'port': {
      const min = spec.kind === 'port' ? 1 : spec.min;
      const max = spec.kind === 'port' ? 65535 : spec.max;
      const range = max === undefined ? `${min} or more` : `from ${min} to ${max}`;
      const what = spec.kind === 'port' ? `a port number ${range}` : `a whole number ${range}`;
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`expected ${what}, got ${describe(value)}`);
      if (value < min || (max !== undefined && value > max)) return fail(`expected ${what}, got ${value}`);
      return value;
    }
    case 'number': {
      const what = `a number from ${spec.min} to ${spec.max}`;
      if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`expected ${what}, got ${describe(value)}`);
      if (value < spec.min || value > spec.max) return fail(`expected ${what}, got ${value}`);
      return value;
    }
    case 'duration': {
      const key = path.split('.').pop();
      if (typeof value === 'number') {
        const fix =
          Number.isInteger(value) && value >= 100
            ? `${key}: ${formatDuration(value)} if you mean ${value} milliseconds`
            : `${key}: ${value}s if you mean seconds`;
        return fail(`durations need a unit: write ${fix}, not a bare number (forms: ${DURATION_EXAMPLES})`);
      }
      const ms = typeof value === 'string' ? parseDuration(value) : undefined;
      if (ms === undefined) return fail(`expected a duration such as ${DURATION_EXAMPLES}, got ${describe(value)}`);
      if (ms < spec.min) return fail(`must be at least ${formatDuration(spec.min)}, got ${describe(value)}`);
      return ms;
    }
    case 'string': {
      if (typeof value !== 'string') return fail(`expected text, got ${describe(value)}`);
      const problem = spec.check?.(value);
      return problem ? fail(`${problem}, got ${describe(value)}`) : value;
    }
    case 'boolean': {
      if (typeof value !== 'boolean') return fail(`expected true or false, got ${describe(value)}`);
      return value;
    }
    case 'enum': {
      if (typeof value !== 'string' || !spec.values.includes(value)) {
        return fail(`expected one of ${spec.values.join(', ')}, got ${describe(value)}`);
      }
      return value;
    }
  }
}

function readObject(spec: ObjectSpec, value: unknown, path: string, problems: ConfigProblem[]): Record<string, unknown> | undefined {
  // A section whose keys are all commented out reads as null: same as leaving it out.
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    problems.push({ path, message: `expected a mapping of keys (${Object.keys(spec.fields).join(', ')}), got ${describe(value)}` });
    return undefined;
  }
  const out: Record<string, unknown> = {};
  const siblings = Object.keys(spec.fields);
  for (const [key, raw] of Object.entries(value as Record<string, unknown>)) {
    const field = spec.fields[key];
    const keyPath = join(path, key);
    if (!field) {
      problems.push({ path: keyPath, message: unknownKeyMessage(key, siblings, spec) });
      continue;
    }
    const read = readField(field, raw, keyPath, problems);
    if (read !== undefined) out[topologyKey(key, field)] = read;
  }
  return out;
}

function readField(spec: FieldSpec, value: unknown, path: string, problems: ConfigProblem[]): unknown {
  if (spec.kind === 'object') return readObject(spec, value, path, problems);
  if (spec.kind === 'list') {
    if (!Array.isArray(value)) {
      problems.push({ path, message: `expected a list, got ${describe(value)}` });
      return undefined;
    }
    const items = value.map((item, i) => {
      const before = problems.length;
      const itemPath = join(path, i);
      const read = item === null ? undefined : readObject(spec.item, item, itemPath, problems);
      if (item === null) problems.push({ path: itemPath, message: `expected a mapping of keys (${Object.keys(spec.item.fields).join(', ')}), got nothing` });
      if (read) {
        const given = item as Record<string, unknown>;
        for (const k of Object.keys(spec.item.fields)) {
          if (!(k in given)) problems.push({ path: join(itemPath, k), message: 'is required' });
        }
      }
      return problems.length === before ? read : undefined;
    });
    // Keep the valid items so checks across keys (replication factor vs brokers) still see them.
    return items.filter((i) => i !== undefined);
  }
  return readScalar(spec, value, path, problems);
}

/** A partial topology read from a config file: only the keys the file sets, converted (durations → ms). */
export type TopologyPatch = Record<string, unknown>;

/** Reads a parsed YAML document against the schema: what it sets, and every problem with it. */
export function readConfigDocument(doc: unknown): { patch: TopologyPatch; problems: ConfigProblem[] } {
  const problems: ConfigProblem[] = [];
  if (doc !== null && doc !== undefined && (typeof doc !== 'object' || Array.isArray(doc))) {
    problems.push({ path: '', message: `the file must be a mapping of keys (${Object.keys(CONFIG_SCHEMA.fields).join(', ')}), got ${describe(doc)}` });
    return { patch: {}, problems };
  }
  return { patch: readObject(CONFIG_SCHEMA, doc, '', problems) ?? {}, problems };
}

/** `base` with `patch` laid over it: sections merge key by key, lists and scalars replace. */
export function applyPatch(base: Topology, patch: TopologyPatch): Topology {
  const out: Record<string, unknown> = structuredClone(base) as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(patch)) {
    const current = out[key];
    out[key] =
      value && typeof value === 'object' && !Array.isArray(value) && current && typeof current === 'object'
        ? { ...(current as object), ...(value as object) }
        : value;
  }
  return out as unknown as Topology;
}

// ---------------------------------------------------------------------------------------------------
// Command-line overrides

export function parseBrokersFlag(value: number | string): { value?: number; problem?: ConfigProblem } {
  const n = typeof value === 'number' ? value : /^\s*\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_BROKERS) {
    return { problem: { path: '--brokers', message: `expected a whole number from 1 to ${MAX_BROKERS}, got ${describe(value)}` } };
  }
  return { value: n };
}

export function parseRewriteFlag(value: string): { value?: RewriteStrategy; problem?: ConfigProblem } {
  if (!(REWRITE_STRATEGIES as readonly string[]).includes(value)) {
    return { problem: { path: '--rewrite', message: `expected one of ${REWRITE_STRATEGIES.join(', ')}, got ${describe(value)}` } };
  }
  return { value: value as RewriteStrategy };
}

// ---------------------------------------------------------------------------------------------------
// Checks across keys

/** One port something listens on or publishes, and the key that sets it. */
export interface PortUse {
  port: number;
  key: string;
  what: string;
}

/**
 * Every port of the rendered setup, grouped by where the ports must be distinct: ports published on
 * the host by the Docker runtime, Envoy's container ports, each broker container's ports, and the
 * local runtime's ports on 127.0.0.1.
 */
export function portGroups(t: Topology): { name: string; uses: PortUse[] }[] {
  const positions = Array.from({ length: t.brokers }, (_, i) => i);
  const e = t.envoy;
  const r = t.redpanda;
  const envoyListeners: PortUse[] = positions.map((i) => ({ port: e.listenerPort + i, key: 'envoy.listenerPort', what: `Envoy listener ${i}` }));
  const admin: PortUse = { port: e.adminPort, key: 'envoy.adminPort', what: 'Envoy admin API' };
  const controller: PortUse[] =
    t.failover.policy === 'coherent' ? [{ port: t.failover.controllerPort, key: 'failover.controllerPort', what: 'failover controller' }] : [];
  return [
    {
      name: 'ports published on the host (Docker runtime)',
      uses: [
        ...envoyListeners,
        admin,
        ...controller,
        ...brokersOf(t).map((b) => ({ port: directHostPort(t, b), key: 'redpanda.directPortBase', what: `${b.name} direct listener` })),
      ],
    },
    {
      name: "the Envoy container's ports",
      uses: [
        ...envoyListeners,
        ...positions.map((i) => ({ port: e.hostListenerPort + i, key: 'envoy.hostListenerPort', what: `Envoy host-facing listener ${i}` })),
        admin,
      ],
    },
    {
      name: "each broker container's ports",
      uses: [
        { port: r.kafkaPort, key: 'redpanda.kafkaPort', what: 'Kafka API (internal)' },
        { port: r.proxiedKafkaPort, key: 'redpanda.proxiedKafkaPort', what: 'Kafka API (in-network, via Envoy)' },
        { port: r.hostKafkaPort, key: 'redpanda.hostKafkaPort', what: 'Kafka API (host-facing, via Envoy)' },
        { port: r.directPortBase, key: 'redpanda.directPortBase', what: 'Kafka API (direct)' },
        { port: r.rpcPort, key: 'redpanda.rpcPort', what: 'RPC' },
        { port: r.adminPort, key: 'redpanda.adminPort', what: 'admin API' },
        { port: r.pandaproxyPort, key: 'redpanda.pandaproxyPort', what: 'HTTP Proxy' },
        { port: t.healthCheck.port, key: 'healthCheck.port', what: 'Schema Registry' },
      ],
    },
    {
      name: 'ports of the local runtime (127.0.0.1)',
      uses: [
        ...envoyListeners,
        admin,
        ...controller,
        ...brokersOf(t).flatMap((b) =>
          Object.entries(localPorts(t, b)).map(([kind, port]) => ({ port, key: 'local.basePort', what: `${b.name} ${kind} port` })),
        ),
      ],
    },
  ];
}

function checkPorts(t: Topology): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const reported = new Set<string>();
  for (const group of portGroups(t)) {
    for (const use of group.uses) {
      if ((use.port < 1 || use.port > 65535) && !reported.has(use.key)) {
        reported.add(use.key);
        problems.push({ path: use.key, message: `${use.what} would be on port ${use.port}, outside 1..65535; lower ${use.key}` });
      }
    }
    const byPort = new Map<number, PortUse[]>();
    for (const use of group.uses) byPort.set(use.port, [...(byPort.get(use.port) ?? []), use]);
    for (const [p, uses] of byPort) {
      if (uses.length < 2 || p < 1 || p > 65535) continue;
      const keys = [...new Set(uses.map((u) => u.key))].sort();
      // One message per clash of keys, even when their port ranges overlap on several ports.
      const id = keys.join('+');
      if (reported.has(id)) continue;
      reported.add(id);
      problems.push({
        path: keys.join(' / '),
        message: `port ${p} is used twice among ${group.name}: ${uses.map((u) => `${u.what} (${u.key})`).join(' and ')}`,
      });
    }
  }
  return problems;
}

/** Checks across keys of a complete topology (single values were checked when the file was read). */
export function checkTopology(t: Topology): ConfigProblem[] {
  const problems = checkPorts(t);
  if (t.failover.quorum > t.brokers) {
    problems.push({ path: 'failover.quorum', message: `a quorum of ${t.failover.quorum} cannot be reached with ${t.brokers} broker(s) per cluster; use at most ${t.brokers}, or 0 for a majority` });
  }
  const names = new Set<string>();
  t.topics.forEach((topic, i) => {
    if (topic.replicationFactor > t.brokers) {
      problems.push({
        path: `topics[${i}].replicationFactor`,
        message: `${topic.name} wants ${topic.replicationFactor} replicas but each cluster has ${t.brokers} broker(s); use at most ${t.brokers} or raise brokers`,
      });
    }
    if (names.has(topic.name)) problems.push({ path: `topics[${i}].name`, message: `topic ${topic.name} is listed twice` });
    names.add(topic.name);
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------------
// Reference

export interface ConfigKeyReference {
  /** As written in the config file, e.g. `healthCheck.interval`, `topics[].name`. */
  path: string;
  /** What kind of value, e.g. "duration", "port", "kafka-filter | advertised". */
  type: string;
  doc: string;
}

function typeName(spec: FieldSpec): string {
  switch (spec.kind) {
    case 'int':
      return spec.max === undefined ? `integer ≥ ${spec.min}` : `integer ${spec.min}..${spec.max}`;
    case 'number':
      return `number ${spec.min}..${spec.max}`;
    case 'port':
      return 'port';
    case 'duration':
      return 'duration';
    case 'string':
      return spec.label ?? 'text';
    case 'boolean':
      return 'true | false';
    case 'enum':
      return spec.values.join(' | ');
    case 'object':
      return 'section';
    case 'list':
      return 'list';
  }
}

/** Every key of the config file with its type and meaning (sections included), in schema order. */
export function configReference(): ConfigKeyReference[] {
  return schemaPaths().map(({ path, spec }) => ({ path, type: typeName(spec), doc: spec.doc }));
}
