import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { brokersOf, defaultTopology, directHostPort, localPorts, type Topology } from '../../src/config/topology.js';
import { renderBootstrapYaml, renderRedpandaYaml } from '../../src/render/redpanda.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

function topology(patch: Partial<Topology> = {}): Topology {
  return { ...defaultTopology({}), ...patch };
}
const listeners = (cfg: Any, key: 'kafka_api' | 'advertised_kafka_api'): Record<string, string> =>
  Object.fromEntries(cfg.redpanda[key].map((l: Any) => [l.name, `${l.address}:${l.port}`]));

describe('renderRedpandaYaml: node properties', () => {
  it('holds node properties only, with recovery mode rendered explicitly off', () => {
    const t = topology();
    for (const target of ['docker', 'local'] as const) {
      const cfg = parse(renderRedpandaYaml(t, brokersOf(t)[0]!, target));
      expect(cfg.redpanda.recovery_mode_enabled).toBe(false);
      for (const clusterProperty of ['auto_create_topics_enabled', 'default_topic_replications', 'default_topic_partitions']) {
        expect(cfg.redpanda).not.toHaveProperty(clusterProperty);
        expect(cfg).not.toHaveProperty(clusterProperty);
      }
    }
  });

  it('says in a header comment that it is rendered and what `recovery enable` toggles', () => {
    const t = topology();
    const doc = parseDocument(renderRedpandaYaml(t, brokersOf(t)[0]!, 'docker'));
    expect(doc.commentBefore).toContain('rendered by `failover-demo render`');
    expect(doc.commentBefore).toContain('`failover-demo recovery enable|disable` toggles redpanda.recovery_mode_enabled');
  });

  for (const brokers of [1, 3, 5]) {
    it(`${brokers} broker(s): node ids are positions and seed servers are the broker's own cluster`, () => {
      const t = topology({ brokers });
      for (const b of brokersOf(t)) {
        const docker = parse(renderRedpandaYaml(t, b, 'docker'));
        expect(docker.redpanda.node_id).toBe(b.index);
        expect(docker.redpanda.data_directory).toBe('/var/lib/redpanda/data');
        expect(docker.redpanda.seed_servers).toEqual(brokersOf(t, b.cluster).map((p) => ({ host: { address: p.name, port: 33145 } })));
        expect(docker.redpanda.advertised_rpc_api).toEqual({ address: b.name, port: 33145 });
        const local = parse(renderRedpandaYaml(t, b, 'local'));
        expect(local.redpanda.node_id).toBe(b.index);
        expect(local.redpanda.seed_servers).toEqual(
          brokersOf(t, b.cluster).map((p) => ({ host: { address: '127.0.0.1', port: localPorts(t, p).rpc } })),
        );
      }
    });
  }
});

describe('renderRedpandaYaml: Kafka listeners', () => {
  it('docker, kafka-filter: brokers advertise themselves (Envoy rewrites), direct advertises the published port', () => {
    const t = topology({ rewrite: 'kafka-filter' });
    for (const b of brokersOf(t)) {
      const cfg = parse(renderRedpandaYaml(t, b, 'docker'));
      expect(listeners(cfg, 'kafka_api')).toEqual({ internal: '0.0.0.0:9092', external: '0.0.0.0:19092', direct: '0.0.0.0:29092' });
      expect(listeners(cfg, 'advertised_kafka_api')).toEqual({
        internal: `${b.name}:9092`,
        external: `${b.name}:19092`,
        direct: `127.0.0.1:${directHostPort(t, b)}`,
      });
      expect(cfg.schema_registry.schema_registry_api).toEqual([{ address: '0.0.0.0', port: 8081 }]);
      expect(cfg.redpanda.admin).toEqual([{ address: '0.0.0.0', port: 9644 }]);
    }
  });

  it('docker, advertised: brokers advertise Envoy (in-network name and host address) for their position', () => {
    for (const brokers of [1, 5]) {
      const t = topology({ brokers, rewrite: 'advertised' });
      for (const b of brokersOf(t)) {
        const cfg = parse(renderRedpandaYaml(t, b, 'docker'));
        expect(listeners(cfg, 'advertised_kafka_api')).toEqual({
          internal: `envoy:${9092 + b.index}`,
          external: `127.0.0.1:${9092 + b.index}`,
          direct: `127.0.0.1:${directHostPort(t, b)}`,
        });
      }
    }
  });

  it('local: loopback listeners, Envoy advertised on `external`, no admin API', () => {
    for (const rewrite of ['kafka-filter', 'advertised'] as const) {
      const t = topology({ brokers: 5, rewrite });
      for (const b of brokersOf(t)) {
        const p = localPorts(t, b);
        const cfg = parse(renderRedpandaYaml(t, b, 'local'));
        expect(listeners(cfg, 'kafka_api')).toEqual({ external: `127.0.0.1:${p.client}`, direct: `127.0.0.1:${p.direct}` });
        expect(listeners(cfg, 'advertised_kafka_api')).toEqual({ external: `127.0.0.1:${9092 + b.index}`, direct: `127.0.0.1:${p.direct}` });
        expect(cfg.redpanda.rpc_server).toEqual({ address: '127.0.0.1', port: p.rpc });
        expect(cfg.redpanda.advertised_rpc_api).toEqual({ address: '127.0.0.1', port: p.rpc });
        expect(cfg.schema_registry.schema_registry_api).toEqual([{ address: '127.0.0.1', port: p.schemaRegistry }]);
        expect(cfg.redpanda).not.toHaveProperty('admin');
      }
    }
  });
});

describe('renderBootstrapYaml: cluster properties', () => {
  it.each([
    [1, 1],
    [2, 1],
    [3, 3],
    [5, 3],
    [9, 3],
  ])('%i broker(s): auto-created topics get %i replica(s) (odd, at most 3)', (brokers, replicas) => {
    const cfg = parse(renderBootstrapYaml(topology({ brokers })));
    expect(cfg).toEqual({ auto_create_topics_enabled: true, default_topic_replications: replicas, default_topic_partitions: 3 });
  });
});
