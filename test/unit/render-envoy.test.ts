import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultTopology, localPorts, type Topology } from '../../src/config/topology.js';
import { renderEnvoyConfig, type RenderTarget } from '../../src/render/envoy.js';
import { endpointsOf, filtersOf, kafkaFilterOf, tcpProxyOf } from '../support/envoy-config.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** The PoC's per-broker layout (failover.policy: per-broker); test/unit/render-coherent.test.ts covers `coherent`. */
function topology(patch: Partial<Topology> = {}): Topology {
  const d = defaultTopology({});
  return { ...d, failover: { ...d.failover, policy: 'per-broker' }, ...patch };
}
function envoy(t: Topology, target: RenderTarget): Any {
  return parse(renderEnvoyConfig(t, target));
}

function expectConsistent(cfg: Any): void {
  const clusterNames = cfg.static_resources.clusters.map((c: Any) => c.name);
  const referenced = cfg.static_resources.listeners.map((l: Any) => tcpProxyOf(l).cluster);
  expect(new Set(clusterNames).size).toBe(clusterNames.length);
  for (const name of referenced) expect(clusterNames).toContain(name);
  for (const name of clusterNames) expect(referenced).toContain(name);
  const prefixes = cfg.static_resources.listeners.map((l: Any) => tcpProxyOf(l).stat_prefix);
  expect(new Set(prefixes).size).toBe(prefixes.length);
  for (const c of cfg.static_resources.clusters) expect(c.load_assignment.cluster_name).toBe(c.name);
}

describe('renderEnvoyConfig: health checks and load balancing from the topology', () => {
  const t = topology({
    healthCheck: {
      path: '/ready',
      port: 8081,
      timeoutMs: 700,
      intervalMs: 1500,
      intervalJitterMs: 100,
      unhealthyThreshold: 4,
      healthyThreshold: 5,
      noTrafficIntervalMs: 2000,
      unhealthyIntervalMs: 2500,
      unhealthyEdgeIntervalMs: 600,
      healthyEdgeIntervalMs: 800,
    },
    panicThresholdPercent: 25,
    outlierDetection: { consecutive5xx: 7, intervalMs: 4000, baseEjectionTimeMs: 9000, maxEjectionPercent: 30 },
  });
  for (const target of ['local', 'docker'] as const) {
    it(`${target}: every cluster carries them`, () => {
      for (const c of envoy(t, target).static_resources.clusters) {
        expect(c.health_checks).toEqual([
          {
            timeout: '0.7s',
            interval: '1.5s',
            interval_jitter: '0.1s',
            unhealthy_threshold: 4,
            healthy_threshold: 5,
            no_traffic_interval: '2s',
            unhealthy_interval: '2.5s',
            unhealthy_edge_interval: '0.6s',
            healthy_edge_interval: '0.8s',
            http_health_check: { path: '/ready' },
          },
        ]);
        expect(c.common_lb_config).toEqual({ healthy_panic_threshold: { value: 25 } });
        expect(c.outlier_detection).toEqual({ consecutive_5xx: 7, interval: '4s', base_ejection_time: '9s', max_ejection_percent: 30 });
      }
    });
  }
  it('defaults equal the PoC settings', () => {
    const [c] = envoy(topology(), 'docker').static_resources.clusters;
    expect(c.health_checks[0]).toMatchObject({ timeout: '2s', interval: '3s', interval_jitter: '0.5s', unhealthy_threshold: 3, healthy_threshold: 2 });
    expect(c.common_lb_config.healthy_panic_threshold.value).toBe(0);
    expect(c.outlier_detection).toEqual({ consecutive_5xx: 3, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 50 });
  });

  // Without it, tcp_proxy connections already open to a host marked unhealthy stay up until the broker exits.
  for (const target of ['local', 'docker'] as const) {
    for (const rewrite of ['kafka-filter', 'advertised'] as const) {
      it(`${target}, ${rewrite}: every cluster closes connections on health failure unless turned off`, () => {
        const on = envoy(topology({ rewrite }), target).static_resources.clusters;
        expect(on.length).toBeGreaterThan(0);
        for (const c of on) expect(c.close_connections_on_host_health_failure).toBe(true);
        const t = topology({ rewrite });
        t.envoy = { ...t.envoy, closeConnectionsOnHealthFailure: false };
        const off = envoy(t, target).static_resources.clusters;
        expect(off).toHaveLength(on.length);
        for (const c of off) expect(c.close_connections_on_host_health_failure).toBe(false);
      });
    }
  }
});

describe('renderEnvoyConfig: connection balancing (envoy.exactBalance)', () => {
  // A Kafka client opens one connection per broker: too few for the kernel to spread them evenly over workers.
  for (const target of ['local', 'docker'] as const) {
    it(`${target}: every listener balances connections exactly unless turned off`, () => {
      const on = envoy(topology({ failover: { ...topology().failover, policy: 'per-broker' } }), target).static_resources.listeners;
      expect(on.length).toBeGreaterThan(0);
      for (const l of on) expect(l.connection_balance_config).toEqual({ exact_balance: {} });
      const t = topology({ failover: { ...topology().failover, policy: 'per-broker' } });
      t.envoy = { ...t.envoy, exactBalance: false };
      for (const l of envoy(t, target).static_resources.listeners) expect(l.connection_balance_config).toBeUndefined();
    });
  }
});

describe('renderEnvoyConfig: local target', () => {
  for (const brokers of [1, 3, 5]) {
    it(`${brokers} broker(s): one loopback listener and one STATIC cluster per position`, () => {
      for (const rewrite of ['kafka-filter', 'advertised'] as const) {
        const t = topology({ brokers, rewrite });
        const cfg = envoy(t, 'local');
        expect(cfg.admin.address.socket_address).toEqual({ address: '127.0.0.1', port_value: t.envoy.adminPort });
        const listeners = cfg.static_resources.listeners;
        expect(listeners).toHaveLength(brokers);
        listeners.forEach((l: Any, i: number) => {
          expect(l.address.socket_address).toEqual({ address: '127.0.0.1', port_value: t.envoy.listenerPort + i });
          // the PyPI Envoy has no contrib filters: always plain tcp_proxy locally
          expect(filtersOf(l).map((f: Any) => f.name)).toEqual(['envoy.filters.network.tcp_proxy']);
          expect(tcpProxyOf(l).cluster).toBe(`broker_${i}_cluster`);
        });
        const clusters = cfg.static_resources.clusters;
        expect(clusters.map((c: Any) => c.name)).toEqual(Array.from({ length: brokers }, (_, i) => `broker_${i}_cluster`));
        clusters.forEach((c: Any, i: number) => {
          expect(c.type).toBe('STATIC');
          const p = localPorts(t, { cluster: 'primary', index: i });
          const s = localPorts(t, { cluster: 'secondary', index: i });
          expect(endpointsOf(c)).toEqual([
            { priority: 0, hostname: `primary-broker-${i}`, address: '127.0.0.1', port: p.client, hcPort: p.schemaRegistry },
            { priority: 1, hostname: `secondary-broker-${i}`, address: '127.0.0.1', port: s.client, hcPort: s.schemaRegistry },
          ]);
        });
        expectConsistent(cfg);
      }
    });
  }
});

describe('renderEnvoyConfig: docker target, kafka-filter strategy', () => {
  for (const brokers of [1, 3, 5]) {
    it(`${brokers} broker(s): both listener sets rewrite broker ids, then proxy to the shared clusters`, () => {
      const t = topology({ brokers, rewrite: 'kafka-filter' });
      const cfg = envoy(t, 'docker');
      expect(cfg.admin.address.socket_address).toEqual({ address: '0.0.0.0', port_value: 9901 });
      const listeners = cfg.static_resources.listeners;
      expect(listeners).toHaveLength(2 * brokers);
      const ids = Array.from({ length: brokers }, (_, i) => i);
      for (const i of ids) {
        const network = listeners[i];
        const host = listeners[brokers + i];
        expect(network.address.socket_address).toEqual({ address: '0.0.0.0', port_value: 9092 + i });
        expect(host.address.socket_address).toEqual({ address: '0.0.0.0', port_value: 19092 + i });
        for (const l of [network, host]) {
          expect(filtersOf(l).map((f: Any) => f.name)).toEqual(['envoy.filters.network.kafka_broker', 'envoy.filters.network.tcp_proxy']);
          expect(kafkaFilterOf(l)['@type']).toBe('type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker');
          expect(tcpProxyOf(l).cluster).toBe(`broker_${i}_cluster`);
        }
        // in-network clients get envoy:909x, host clients the published 127.0.0.1:909x
        expect(kafkaFilterOf(network).id_based_broker_address_rewrite_spec.rules).toEqual(ids.map((id) => ({ id, host: 'envoy', port: 9092 + id })));
        expect(kafkaFilterOf(host).id_based_broker_address_rewrite_spec.rules).toEqual(ids.map((id) => ({ id, host: '127.0.0.1', port: 9092 + id })));
      }
      const clusters = cfg.static_resources.clusters;
      expect(clusters).toHaveLength(brokers);
      clusters.forEach((c: Any, i: number) => {
        expect(c.type).toBe('STRICT_DNS');
        expect(endpointsOf(c)).toEqual([
          { priority: 0, hostname: `primary-broker-${i}`, address: `primary-broker-${i}`, port: 9092, hcPort: 8081 },
          { priority: 1, hostname: `secondary-broker-${i}`, address: `secondary-broker-${i}`, port: 9092, hcPort: 8081 },
        ]);
      });
      expectConsistent(cfg);
    });
  }

  it('uses envoy.advertisedHost for the host-facing rewrite', () => {
    const t = topology();
    t.envoy = { ...t.envoy, advertisedHost: 'demo.example.com' };
    const host = envoy(t, 'docker').static_resources.listeners[3];
    expect(kafkaFilterOf(host).id_based_broker_address_rewrite_spec.rules[0].host).toBe('demo.example.com');
  });
});

describe('renderEnvoyConfig: docker target, advertised strategy', () => {
  for (const brokers of [1, 3, 5]) {
    it(`${brokers} broker(s): no Kafka filter; in-network clusters on proxiedKafkaPort, host-facing clusters on hostKafkaPort`, () => {
      const t = topology({ brokers, rewrite: 'advertised' });
      const cfg = envoy(t, 'docker');
      const listeners = cfg.static_resources.listeners;
      expect(listeners).toHaveLength(2 * brokers);
      for (const l of listeners) expect(filtersOf(l).map((f: Any) => f.name)).toEqual(['envoy.filters.network.tcp_proxy']);
      const byName = new Map(cfg.static_resources.clusters.map((c: Any) => [c.name, c]));
      expect(byName.size).toBe(2 * brokers);
      for (let i = 0; i < brokers; i++) {
        expect(tcpProxyOf(listeners[i]).cluster).toBe(`broker_${i}_cluster`);
        expect(tcpProxyOf(listeners[brokers + i]).cluster).toBe(`broker_${i}_host_cluster`);
        // not kafkaPort: the brokers' first listener advertises the broker itself, not Envoy
        expect(endpointsOf(byName.get(`broker_${i}_cluster`)).map((e) => [e.priority, e.address, e.port, e.hcPort])).toEqual([
          [0, `primary-broker-${i}`, 9093, 8081],
          [1, `secondary-broker-${i}`, 9093, 8081],
        ]);
        expect(endpointsOf(byName.get(`broker_${i}_host_cluster`)).map((e) => [e.priority, e.address, e.port, e.hcPort])).toEqual([
          [0, `primary-broker-${i}`, 19092, 8081],
          [1, `secondary-broker-${i}`, 19092, 8081],
        ]);
      }
      expectConsistent(cfg);
    });
  }

  it('follows redpanda.proxiedKafkaPort and redpanda.hostKafkaPort', () => {
    const t = topology({ brokers: 3, rewrite: 'advertised' });
    t.redpanda = { ...t.redpanda, kafkaPort: 9192, proxiedKafkaPort: 9193, hostKafkaPort: 19192 };
    const byName = new Map(envoy(t, 'docker').static_resources.clusters.map((c: Any) => [c.name, c]));
    for (let i = 0; i < 3; i++) {
      expect(endpointsOf(byName.get(`broker_${i}_cluster`)).map((e) => e.port)).toEqual([9193, 9193]);
      expect(endpointsOf(byName.get(`broker_${i}_host_cluster`)).map((e) => e.port)).toEqual([19192, 19192]);
    }
  });
});

describe('renderEnvoyConfig: docker target, kafka-filter strategy ports', () => {
  it('both listener sets use the clusters on redpanda.kafkaPort (the listener advertising the broker itself)', () => {
    const t = topology({ brokers: 3, rewrite: 'kafka-filter' });
    t.redpanda = { ...t.redpanda, kafkaPort: 9192, proxiedKafkaPort: 9193, hostKafkaPort: 19192 };
    const clusters = envoy(t, 'docker').static_resources.clusters;
    expect(clusters.map((c: Any) => c.name)).toEqual(['broker_0_cluster', 'broker_1_cluster', 'broker_2_cluster']);
    for (const c of clusters) expect(endpointsOf(c).map((e) => e.port)).toEqual([9192, 9192]);
  });
});
