/**
 * Checks across keys of a complete topology: ports used twice or running past 65535, a quorum or a
 * replication factor the broker count cannot meet, a topic listed twice. Each key on its own was checked
 * by the schema (./schema.ts); `topologySchema` is that schema with these checks after it.
 */
import { z } from 'zod';
import { topologyObject } from './schema.js';
import { brokersOf, directHostPort, localPorts, type Topology } from './topology.js';

/** A problem found in the configuration: where, and what is wrong (with the fix when there is one). */
export interface ConfigProblem {
  path: string;
  message: string;
}

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
  const controller: PortUse[] = [
    ...(t.failover.policy === 'coherent' ? [{ port: t.failover.controllerPort, key: 'failover.controllerPort', what: 'failover controller' }] : []),
    ...(t.replication.mode === 'shadow' ? [{ port: t.replication.replicatorPort, key: 'replication.replicatorPort', what: 'replicator' }] : []),
  ];
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
  if (t.replication.mode === 'shadow' && t.failover.policy !== 'coherent') {
    problems.push({
      path: 'replication.mode',
      message: 'replication: shadow needs failover.policy: coherent (one decision for the whole cluster: a per-broker split would write to both copies at once); set failover.policy to coherent or replication.mode to none',
    });
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

/**
 * The whole topology: every key on its own, then (only when each is valid, so a corrupt broker count
 * cannot make the checks build a huge port list) the checks across keys. A problem's path, e.g.
 * "envoy.adminPort / redpanda.directPortBase", is kept whole as the issue's one path element.
 */
export const topologySchema: z.ZodType<Topology, z.ZodTypeDef, unknown> = topologyObject.pipe(
  z.custom<Topology>().superRefine((t, ctx) => {
    for (const p of checkTopology(t)) ctx.addIssue({ code: z.ZodIssueCode.custom, path: [p.path], message: p.message });
  }),
);
