import { describe, expect, it } from 'vitest';
import { parse, parseDocument } from 'yaml';
import { brokersOf, defaultTopology, directHostPort, localPorts, type Topology } from '../../src/config/topology.js';
import { renderBootstrapYaml, renderRedpandaYaml } from '../../src/render/redpanda.js';
import { ENVOY_DOCKER_HOST, type RenderTarget } from '../../src/render/envoy.js';

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
  it('docker, kafka-filter: `internal` advertises the broker itself (Envoy rewrites), direct advertises the published port', () => {
    const t = topology({ rewrite: 'kafka-filter' });
    for (const b of brokersOf(t)) {
      const cfg = parse(renderRedpandaYaml(t, b, 'docker'));
      expect(cfg.redpanda.kafka_api.map((l: Any) => l.name)).toEqual(['internal', 'direct']);
      expect(listeners(cfg, 'kafka_api')).toEqual({ internal: '0.0.0.0:9092', direct: '0.0.0.0:29092' });
      expect(listeners(cfg, 'advertised_kafka_api')).toEqual({
        internal: `${b.name}:9092`,
        direct: `127.0.0.1:${directHostPort(t, b)}`,
      });
      expect(cfg.schema_registry.schema_registry_api).toEqual([{ address: '0.0.0.0', port: 8081 }]);
      expect(cfg.redpanda.admin).toEqual([{ address: '0.0.0.0', port: 9644 }]);
    }
  });

  it('docker, advertised: `internal` advertises the broker itself; `proxied` and `external` advertise Envoy for their position', () => {
    for (const brokers of [1, 5]) {
      const t = topology({ brokers, rewrite: 'advertised' });
      for (const b of brokersOf(t)) {
        const cfg = parse(renderRedpandaYaml(t, b, 'docker'));
        expect(cfg.redpanda.kafka_api.map((l: Any) => l.name)).toEqual(['internal', 'proxied', 'external', 'direct']);
        expect(cfg.redpanda.advertised_kafka_api.map((l: Any) => l.name)).toEqual(['internal', 'proxied', 'external', 'direct']);
        expect(listeners(cfg, 'kafka_api')).toEqual({
          internal: '0.0.0.0:9092',
          proxied: '0.0.0.0:9093',
          external: '0.0.0.0:19092',
          direct: '0.0.0.0:29092',
        });
        expect(listeners(cfg, 'advertised_kafka_api')).toEqual({
          internal: `${b.name}:9092`,
          proxied: `envoy:${9092 + b.index}`,
          external: `127.0.0.1:${9092 + b.index}`,
          direct: `127.0.0.1:${directHostPort(t, b)}`,
        });
      }
    }
  });

  it('local: loopback listeners, `direct` first, Envoy advertised on `external`, no admin API', () => {
    for (const rewrite of ['kafka-filter', 'advertised'] as const) {
      const t = topology({ brokers: 5, rewrite });
      for (const b of brokersOf(t)) {
        const p = localPorts(t, b);
        const cfg = parse(renderRedpandaYaml(t, b, 'local'));
        expect(cfg.redpanda.kafka_api.map((l: Any) => l.name)).toEqual(['direct', 'external']);
        expect(cfg.redpanda.advertised_kafka_api.map((l: Any) => l.name)).toEqual(['direct', 'external']);
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

describe("renderRedpandaYaml: Redpanda's own Kafka clients never go through Envoy", () => {
  // Redpanda's Schema Registry / HTTP Proxy internal client bootstraps from the first kafka_api listener
  // and then connects to the addresses it advertises. Envoy routes nothing before a health check (on the
  // Schema Registry) passes, so a first listener that advertises Envoy would deadlock the whole demo.
  const isEnvoy = (t: Topology, target: RenderTarget, a: { address: string; port: number }): boolean => {
    if (a.address === ENVOY_DOCKER_HOST) return true;
    const envoyHost = target === 'local' ? '127.0.0.1' : t.envoy.advertisedHost;
    return a.address === envoyHost && a.port >= t.envoy.listenerPort && a.port < t.envoy.listenerPort + t.brokers;
  };

  for (const rewrite of ['kafka-filter', 'advertised'] as const) {
    for (const target of ['docker', 'local'] as const) {
      for (const brokers of [1, 3, 5]) {
        it(`${target}, ${rewrite}, ${brokers} broker(s): the first Kafka listener advertises the broker itself`, () => {
          const t = topology({ brokers, rewrite });
          for (const b of brokersOf(t)) {
            const cfg = parse(renderRedpandaYaml(t, b, target));
            const first = cfg.redpanda.kafka_api[0];
            expect(first).toBeDefined();
            const advertised = cfg.redpanda.advertised_kafka_api.find((l: Any) => l.name === first.name);
            expect(advertised, `advertised_kafka_api entry for ${first.name}`).toBeDefined();
            expect(isEnvoy(t, target, advertised), `${b.name} first listener ${first.name} advertises ${advertised.address}:${advertised.port}`).toBe(false);
            // The Envoy-facing listeners are still there, just not first.
            if (rewrite === 'advertised' || target === 'local') {
              expect(cfg.redpanda.advertised_kafka_api.some((l: Any) => isEnvoy(t, target, l))).toBe(true);
            }
            for (const [key, section] of Object.entries(cfg as Record<string, Any>)) {
              if (!key.endsWith('_client') || !Array.isArray(section?.brokers)) continue;
              for (const broker of section.brokers) expect(isEnvoy(t, target, broker), `${key}.brokers ${broker.address}:${broker.port}`).toBe(false);
            }
          }
        });
      }
    }
  }

  it('renders no schema_registry_client / pandaproxy_client sections (they default to the first listener)', () => {
    for (const rewrite of ['kafka-filter', 'advertised'] as const) {
      const t = topology({ rewrite });
      for (const target of ['docker', 'local'] as const) {
        for (const b of brokersOf(t)) {
          const cfg = parse(renderRedpandaYaml(t, b, target));
          expect(cfg).not.toHaveProperty('schema_registry_client');
          expect(cfg).not.toHaveProperty('pandaproxy_client');
        }
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
    expect(cfg).toEqual({
      auto_create_topics_enabled: true,
      default_topic_replications: replicas,
      default_topic_partitions: 3,
      group_initial_rebalance_delay: 0,
      group_topic_partitions: 3,
      storage_min_free_bytes: 10485760,
      topic_partitions_per_shard: 1000,
      fetch_reads_debounce_timeout: 10,
      log_segment_size_min: 1,
    });
    expect(replicas % 2).toBe(1);
    expect(replicas).toBeLessThanOrEqual(Math.min(3, brokers));
  });

  for (const brokers of [1, 3, 5]) {
    it(`${brokers} broker(s): every property is preceded by a comment saying why it is set`, () => {
      const text = renderBootstrapYaml(topology({ brokers }));
      const doc = parseDocument(text);
      expect(doc.errors).toEqual([]);
      expect(text.startsWith('# Redpanda cluster properties, rendered by `failover-demo render`.')).toBe(true);
      const pairs = (doc.contents as Any).items as Any[];
      expect(pairs.map((pair) => pair.key.value)).toEqual(Object.keys(parse(text)));
      expect(pairs).toHaveLength(9);
      for (const pair of pairs) {
        // The file's header comment joins the first key's commentBefore (after a blank line): the reason
        // is the paragraph right above the key.
        const comment: string = pair.key.commentBefore ?? pair.commentBefore ?? '';
        const why = comment.split('\n\n').pop()!.trim();
        expect(why, `comment before ${pair.key.value}`).not.toBe('');
        expect(why).not.toContain('rendered by');
      }
      const lines = text.split('\n');
      for (const pair of pairs) {
        const at = lines.findIndex((l) => l.startsWith(`${pair.key.value}:`));
        expect(at, `line of ${pair.key.value}`).toBeGreaterThan(0);
        expect(lines[at - 1]!.startsWith('# '), `line before ${pair.key.value}`).toBe(true);
        expect(lines[at - 1]!.slice(2).trim().length).toBeGreaterThan(0);
      }
    });
  }
});
