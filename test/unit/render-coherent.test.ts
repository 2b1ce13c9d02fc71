/**
 * The `coherent` failover policy's rendered files: Envoy's bootstrap (one single-host cluster per
 * broker, listeners from a watched LDS file), the two listener files the controller swaps, the
 * controller's config, and the compose service that runs it. The per-broker layout is covered by
 * render-envoy.test.ts and render-compose.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { brokersOf, CLUSTER_NAMES, defaultTopology, localPorts, type ClusterName, type Topology } from '../../src/config/topology.js';
import { parseConfig } from '../../src/controller/config.js';
import { CONTROLLER_APP_DIR, renderCompose } from '../../src/render/compose.js';
import { buildControllerConfig, renderControllerConfig } from '../../src/render/controller.js';
import { brokerEnvoyClusterName, DOCKER_LDS_DIR, renderEnvoyConfig, renderListenerFile, type RenderTarget } from '../../src/render/envoy.js';
import { renderFiles } from '../../src/render/files.js';
import { RENDERED_MARKER, writeRenderedFiles } from '../../src/render/write.js';
import { endpointsOf, filtersOf, kafkaFilterOf, tcpProxyOf } from '../support/envoy-config.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

function topology(patch: Partial<Topology> = {}): Topology {
  const d = defaultTopology({});
  return { ...d, failover: { ...d.failover, policy: 'coherent' }, ...patch };
}
const envoy = (t: Topology, target: RenderTarget, ldsDir?: string): Any => parse(renderEnvoyConfig(t, target, ldsDir ? { ldsDir } : {}));
const listenerFile = (t: Topology, target: RenderTarget, c: ClusterName): Any => parse(renderListenerFile(t, target, c));
const listenersOf = (t: Topology, target: RenderTarget, c: ClusterName): Any[] => listenerFile(t, target, c).resources;
const TARGETS = [
  ['local', 'kafka-filter'],
  ['docker', 'kafka-filter'],
  ['docker', 'advertised'],
] as const;

describe('coherent envoy.yaml', () => {
  it('is the default policy', () => {
    expect(defaultTopology({}).failover.policy).toBe('coherent');
  });

  for (const [target, rewrite] of TARGETS) {
    it(`${target}, ${rewrite}: no static listeners; listeners from the watched LDS file`, () => {
      const t = topology({ rewrite });
      const cfg = envoy(t, target, '/tmp/some-lds');
      expect(cfg.static_resources).not.toHaveProperty('listeners');
      expect(cfg.dynamic_resources).toEqual({
        lds_config: {
          resource_api_version: 'V3',
          path_config_source: { path: '/tmp/some-lds/listeners.yaml', watched_directory: { path: '/tmp/some-lds' } },
        },
      });
      // without a folder: where the compose file mounts ./envoy-proxy in the Envoy container
      expect(envoy(t, target).dynamic_resources.lds_config.path_config_source).toEqual({
        path: `${DOCKER_LDS_DIR}/listeners.yaml`,
        watched_directory: { path: DOCKER_LDS_DIR },
      });
      expect(cfg.admin.address.socket_address).toEqual({ address: target === 'local' ? '127.0.0.1' : '0.0.0.0', port_value: t.envoy.adminPort });
    });

    it(`${target}, ${rewrite}: every cluster is health-checked and closes connections on health failure`, () => {
      const t = topology({ rewrite });
      const clusters = envoy(t, target).static_resources.clusters;
      expect(clusters.length).toBeGreaterThan(0);
      for (const c of clusters) {
        expect(c.health_checks).toHaveLength(1);
        expect(c.health_checks[0]).toMatchObject({ timeout: '2s', interval: '3s', unhealthy_threshold: 3, healthy_threshold: 2 });
        expect(c.common_lb_config).toEqual({ healthy_panic_threshold: { value: 0 } });
        expect(c.close_connections_on_host_health_failure).toBe(true);
        expect(c.load_assignment.cluster_name).toBe(c.name);
      }
    });
  }

  it('the header names the policy', () => {
    const text = renderEnvoyConfig(topology(), 'docker');
    expect(text.split('\n')[0]!.toLowerCase()).toContain(RENDERED_MARKER.toLowerCase());
    expect(text).toContain('failover policy: coherent');
  });

  for (const brokers of [1, 3, 5]) {
    it(`local, ${brokers} broker(s): one STATIC single-host cluster per broker, each at priority 0`, () => {
      const t = topology({ brokers });
      const clusters = envoy(t, 'local').static_resources.clusters;
      expect(clusters.map((c: Any) => c.name)).toEqual(brokersOf(t).map((b) => `${b.cluster}_broker_${b.index}`));
      for (const b of brokersOf(t)) {
        const c = clusters.find((x: Any) => x.name === brokerEnvoyClusterName(b));
        expect(c.type).toBe('STATIC');
        const p = localPorts(t, b);
        expect(endpointsOf(c)).toEqual([{ priority: 0, hostname: b.name, address: '127.0.0.1', port: p.client, hcPort: p.schemaRegistry }]);
      }
    });

    it(`docker, kafka-filter, ${brokers} broker(s): one STRICT_DNS cluster per broker on kafkaPort, no host-facing set`, () => {
      const t = topology({ brokers, rewrite: 'kafka-filter' });
      const clusters = envoy(t, 'docker').static_resources.clusters;
      expect(clusters.map((c: Any) => c.name)).toEqual(brokersOf(t).map((b) => `${b.cluster}_broker_${b.index}`));
      for (const c of clusters) expect(c.type).toBe('STRICT_DNS');
      for (const b of brokersOf(t)) {
        expect(endpointsOf(clusters.find((x: Any) => x.name === brokerEnvoyClusterName(b)))).toEqual([
          { priority: 0, hostname: b.name, address: b.name, port: 9092, hcPort: 8081 },
        ]);
      }
    });

    it(`docker, advertised, ${brokers} broker(s): per broker an in-network (proxiedKafkaPort) and a host-facing (hostKafkaPort) cluster`, () => {
      const t = topology({ brokers, rewrite: 'advertised' });
      const clusters = envoy(t, 'docker').static_resources.clusters;
      expect(clusters.map((c: Any) => c.name)).toEqual(brokersOf(t).flatMap((b) => [`${b.cluster}_broker_${b.index}`, `${b.cluster}_broker_${b.index}_host`]));
      for (const b of brokersOf(t)) {
        expect(endpointsOf(clusters.find((x: Any) => x.name === brokerEnvoyClusterName(b)))).toEqual([
          { priority: 0, hostname: b.name, address: b.name, port: 9093, hcPort: 8081 },
        ]);
        expect(endpointsOf(clusters.find((x: Any) => x.name === brokerEnvoyClusterName(b, 'host')))).toEqual([
          { priority: 0, hostname: b.name, address: b.name, port: 19092, hcPort: 8081 },
        ]);
      }
    });
  }

  it('per-broker still renders static listeners and no dynamic_resources', () => {
    const t = topology();
    t.failover = { ...t.failover, policy: 'per-broker' };
    for (const target of ['local', 'docker'] as const) {
      const cfg = envoy(t, target, '/tmp/ignored');
      expect(cfg).not.toHaveProperty('dynamic_resources');
      expect(cfg.static_resources.listeners.length).toBeGreaterThan(0);
      expect(cfg.static_resources.clusters.map((c: Any) => c.name)).toContain('broker_0_cluster');
    }
  });
});

describe('coherent listener files', () => {
  for (const [target, rewrite] of TARGETS) {
    for (const brokers of [1, 3]) {
      it(`${target}, ${rewrite}, ${brokers} broker(s): every listener of a file routes to that cluster's broker at its position`, () => {
        const t = topology({ brokers, rewrite });
        const clusterNames = new Set(envoy(t, target).static_resources.clusters.map((c: Any) => c.name));
        for (const c of CLUSTER_NAMES) {
          const doc = listenerFile(t, target, c);
          expect(Object.keys(doc)).toEqual(['resources']);
          const listeners: Any[] = doc.resources;
          const sets = target === 'local' ? (['network'] as const) : (['network', 'host'] as const);
          expect(listeners.map((l) => l.name)).toEqual(sets.flatMap((set) => Array.from({ length: brokers }, (_, i) => (set === 'host' ? `broker_${i}_host_listener` : `broker_${i}_listener`))));
          for (const l of listeners) expect(l['@type']).toBe('type.googleapis.com/envoy.config.listener.v3.Listener');
          listeners.forEach((l, k) => {
            const set = k < brokers ? 'network' : 'host';
            const i = k % brokers;
            const port = set === 'host' ? t.envoy.hostListenerPort + i : t.envoy.listenerPort + i;
            expect(l.address.socket_address).toEqual({ address: target === 'local' ? '127.0.0.1' : '0.0.0.0', port_value: port });
            // the host-facing listener has its own cluster only where the brokers advertise a host-facing port
            const expectedCluster = `${c}_broker_${i}${set === 'host' && rewrite === 'advertised' ? '_host' : ''}`;
            expect(tcpProxyOf(l).cluster).toBe(expectedCluster);
            expect(clusterNames.has(tcpProxyOf(l).cluster)).toBe(true);
            const kafka = target === 'docker' && rewrite === 'kafka-filter';
            expect(filtersOf(l).map((f: Any) => f.name)).toEqual([...(kafka ? ['envoy.filters.network.kafka_broker'] : []), 'envoy.filters.network.tcp_proxy']);
          });
          const prefixes = listeners.map((l) => tcpProxyOf(l).stat_prefix);
          expect(new Set(prefixes).size).toBe(prefixes.length);
          // every Envoy cluster of this Redpanda cluster is used, none of the other one
          const used = new Set(listeners.map((l) => tcpProxyOf(l).cluster));
          expect([...used].sort()).toEqual([...clusterNames].filter((n) => (n as string).startsWith(`${c}_`)).sort());
        }
      });
    }

    it(`${target}, ${rewrite}: the two files differ only in the filter chains (the names and addresses stay)`, () => {
      const t = topology({ rewrite });
      const primary = listenersOf(t, target, 'primary');
      const secondary = listenersOf(t, target, 'secondary');
      expect(secondary).toHaveLength(primary.length);
      primary.forEach((p, k) => {
        const s = secondary[k];
        expect(s.name).toBe(p.name);
        expect(s.address).toEqual(p.address);
        expect(s.filter_chains).not.toEqual(p.filter_chains);
        expect(tcpProxyOf(s).stat_prefix).toBe(tcpProxyOf(p).stat_prefix);
        expect(tcpProxyOf(s).cluster).toBe(tcpProxyOf(p).cluster.replace(/^primary_/, 'secondary_'));
      });
    });
  }

  it('docker, kafka-filter: in-network listeners rewrite to envoy, host listeners to envoy.advertisedHost', () => {
    const t = topology({ brokers: 3, rewrite: 'kafka-filter' });
    t.envoy = { ...t.envoy, advertisedHost: 'demo.example.com' };
    const ls = listenersOf(t, 'docker', 'secondary');
    const ids = [0, 1, 2];
    for (const i of ids) {
      expect(kafkaFilterOf(ls[i]).id_based_broker_address_rewrite_spec.rules).toEqual(ids.map((id) => ({ id, host: 'envoy', port: 9092 + id })));
      expect(kafkaFilterOf(ls[3 + i]).id_based_broker_address_rewrite_spec.rules).toEqual(ids.map((id) => ({ id, host: 'demo.example.com', port: 9092 + id })));
    }
  });

  it('the first line carries the render marker and names the cluster', () => {
    for (const c of CLUSTER_NAMES) {
      const first = renderListenerFile(topology(), 'docker', c).split('\n')[0]!;
      expect(first.toLowerCase()).toContain(RENDERED_MARKER.toLowerCase());
      expect(first).toContain(`routed to the ${c} cluster`);
    }
  });
});

describe('coherent controller config', () => {
  for (const [target, rewrite] of TARGETS) {
    it(`${target}, ${rewrite}: names every broker with its Envoy clusters, which the bootstrap defines`, () => {
      const t = topology({ rewrite });
      const cfg = buildControllerConfig(t, target);
      const defined = new Set(envoy(t, target).static_resources.clusters.map((c: Any) => c.name));
      const hostSet = target === 'docker' && rewrite === 'advertised';
      for (const c of CLUSTER_NAMES) {
        expect(cfg.clusters[c]).toEqual(
          brokersOf(t, c).map((b) => ({ broker: b.name, envoyClusters: [`${c}_broker_${b.index}`, ...(hostSet ? [`${c}_broker_${b.index}_host`] : [])] })),
        );
      }
      // every Envoy cluster is some broker's, exactly once
      const named = CLUSTER_NAMES.flatMap((c) => cfg.clusters[c].flatMap((b) => b.envoyClusters));
      expect(named.sort()).toEqual([...defined].sort());
      expect(cfg.lds).toEqual({ file: 'lds/listeners.yaml', choices: { primary: 'lds-choices/primary.yaml', secondary: 'lds-choices/secondary.yaml' } });
      expect(cfg.eventsFile).toBe('controller-events.jsonl');
      expect(cfg.failback).toBe('auto');
      expect(cfg.failbackHoldMs).toBe(10_000);
      expect(cfg.pollMs).toBeGreaterThan(0);
    });
  }

  it('local: talks to Envoy and listens on loopback; docker: Envoy by its service name, listening on every interface', () => {
    const t = topology();
    expect(buildControllerConfig(t, 'local')).toMatchObject({ adminUrl: 'http://127.0.0.1:9901', listen: { address: '127.0.0.1', port: 9902 } });
    expect(buildControllerConfig(t, 'docker')).toMatchObject({ adminUrl: 'http://envoy:9901', listen: { address: '0.0.0.0', port: 9902 } });
    const moved = topology();
    moved.envoy = { ...moved.envoy, adminPort: 19901 };
    moved.failover = { ...moved.failover, controllerPort: 19902 };
    expect(buildControllerConfig(moved, 'docker')).toMatchObject({ adminUrl: 'http://envoy:19901', listen: { port: 19902 } });
  });

  it('quorum is a majority of the brokers unless set', () => {
    for (const [brokers, majority] of [[1, 1], [2, 2], [3, 2], [4, 3], [5, 3], [9, 5]] as const) {
      expect(buildControllerConfig(topology({ brokers }), 'docker').quorum, `${brokers} brokers`).toBe(majority);
    }
    const t = topology({ brokers: 5 });
    t.failover = { ...t.failover, quorum: 4, failback: 'manual', failbackHoldMs: 2500 };
    expect(buildControllerConfig(t, 'docker')).toMatchObject({ quorum: 4, failback: 'manual', failbackHoldMs: 2500 });
  });

  it("is valid input for the controller's own config parser", () => {
    for (const [target, rewrite] of TARGETS) {
      const t = topology({ rewrite, brokers: 3 });
      const parsed = parseConfig(JSON.parse(renderControllerConfig(t, target)), '/etc/envoy');
      expect(parsed.quorum).toBe(2);
      expect(parsed.lds.file).toBe('/etc/envoy/lds/listeners.yaml');
      expect(parsed.lds.choices.secondary).toBe('/etc/envoy/lds-choices/secondary.yaml');
    }
  });
});

describe('coherent docker-compose.yml', () => {
  const compose = (t: Topology): Any => parse(renderCompose(t));
  const allPorts = (c: Any): Any[] => Object.values(c.services).flatMap((s: Any) => s.ports ?? []);

  it('adds the failover controller: restart policy, its port published on 127.0.0.1, the Envoy folder mounted', () => {
    const t = topology();
    const c = compose(t);
    expect(Object.keys(c.services)).toEqual([...brokersOf(t).map((b) => b.name), 'envoy', 'failover-controller']);
    const s = c.services['failover-controller'];
    expect(s).toMatchObject({
      image: 'node:20-alpine',
      container_name: 'failover-controller',
      hostname: 'failover-controller',
      // Compose fills these in from the environment the runtime sets (src/runtime/docker/compose.ts)
      user: '${FAILOVER_DEMO_UID:-0}:${FAILOVER_DEMO_GID:-0}',
      entrypoint: ['node'],
      command: ['/app/dist/controller/main.js', '--config', '/etc/envoy/controller.json'],
      networks: ['demo'],
      restart: 'unless-stopped',
      depends_on: { envoy: { condition: 'service_started' } },
    });
    expect(s.ports).toEqual([{ host_ip: '127.0.0.1', published: '9902', target: 9902, protocol: 'tcp' }]);
    // read-write: the controller replaces envoy-proxy/lds/listeners.yaml
    expect(s.volumes).toEqual(['./envoy-proxy:/etc/envoy', `./${CONTROLLER_APP_DIR}:/app:ro`]);
    expect(s.healthcheck.test.slice(0, 3)).toEqual(['CMD', 'node', '-e']);
    expect(s.healthcheck.test[3]).toContain('http://127.0.0.1:9902/healthz');
    expect(s.healthcheck.test[3]).not.toMatch(/\$(?!\$)/);
    expect(s.healthcheck.retries).toBeGreaterThan(0);
  });

  it('Envoy mounts the whole envoy-proxy folder read-only and drains listeners at once', () => {
    const e = compose(topology()).services.envoy;
    expect(e.volumes).toEqual(['./envoy-proxy:/etc/envoy:ro']);
    expect(e.command).toEqual(['envoy', '-c', '/etc/envoy/envoy.yaml', '--drain-time-s', '0', '--drain-strategy', 'immediate']);
  });

  it('binds every published port to bindAddress, the controller included', () => {
    for (const rewrite of ['kafka-filter', 'advertised'] as const) {
      const ports = allPorts(compose(topology({ rewrite })));
      expect(ports).toHaveLength(3 + 1 + 1 + 6);
      for (const p of ports) expect(p.host_ip).toBe('127.0.0.1');
      expect(ports.map((p: Any) => Number(p.published))).toEqual(expect.arrayContaining([9901, 9902]));
    }
    for (const p of allPorts(compose(topology({ bindAddress: '0.0.0.0' })))) expect(p.host_ip).toBe('0.0.0.0');
  });

  it('follows failover.controllerPort and failover.controllerImage', () => {
    const t = topology();
    t.failover = { ...t.failover, controllerPort: 19902, controllerImage: 'node:22-slim' };
    const s = compose(t).services['failover-controller'];
    expect(s.image).toBe('node:22-slim');
    expect(s.ports).toEqual([{ host_ip: '127.0.0.1', published: '19902', target: 19902, protocol: 'tcp' }]);
    expect(s.healthcheck.test[3]).toContain('http://127.0.0.1:19902/healthz');
  });

  it('per-broker has no controller service', () => {
    const t = topology();
    t.failover = { ...t.failover, policy: 'per-broker' };
    expect(compose(t).services).not.toHaveProperty('failover-controller');
  });
});

describe('coherent renderFiles', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'fd-coherent-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  for (const brokers of [1, 3]) {
    it(`${brokers} broker(s): the controller's config, the listener file (on the primary) and both choices`, () => {
      const t = topology({ brokers });
      const files = renderFiles(t);
      expect(files.map((f) => f.path)).toEqual([
        'docker-compose.yml',
        'envoy-proxy/envoy.yaml',
        'envoy-proxy/controller.json',
        'envoy-proxy/lds/listeners.yaml',
        'envoy-proxy/lds-choices/primary.yaml',
        'envoy-proxy/lds-choices/secondary.yaml',
        ...brokersOf(t).flatMap((b) => [`redpanda-config/${b.name}/redpanda.yaml`, `redpanda-config/${b.name}/.bootstrap.yaml`]),
      ]);
      const content = (p: string) => files.find((f) => f.path === p)!.content;
      expect(content('envoy-proxy/lds/listeners.yaml')).toBe(content('envoy-proxy/lds-choices/primary.yaml'));
      expect(content('envoy-proxy/lds-choices/secondary.yaml')).toBe(renderListenerFile(t, 'docker', 'secondary'));
      expect(content('envoy-proxy/controller.json')).toBe(renderControllerConfig(t, 'docker'));
      expect(JSON.parse(content('envoy-proxy/controller.json')).clusters.primary).toHaveLength(brokers);
    });
  }

  it('the paths inside the containers point at rendered files (./envoy-proxy is mounted at /etc/envoy)', () => {
    const t = topology();
    const files = renderFiles(t);
    const rendered = new Set(files.map((f) => f.path));
    const onHost = (p: string) => p.replace(/^\/etc\/envoy\//, 'envoy-proxy/');
    const cfg = parse(files.find((f) => f.path === 'envoy-proxy/envoy.yaml')!.content);
    expect(rendered.has(onHost(cfg.dynamic_resources.lds_config.path_config_source.path))).toBe(true);
    const c = parse(files.find((f) => f.path === 'docker-compose.yml')!.content);
    const controller = c.services['failover-controller'];
    expect(rendered.has(onHost(controller.command[2]))).toBe(true);
    const controllerJson = JSON.parse(files.find((f) => f.path === 'envoy-proxy/controller.json')!.content);
    for (const rel of [controllerJson.lds.file, ...Object.values(controllerJson.lds.choices)]) expect(rendered.has(`envoy-proxy/${rel}`)).toBe(true);
    // every bind mount is rendered, except the controller's code, which the Docker runtime installs
    const mounts = Object.values(c.services).flatMap((s: Any) => s.volumes.filter((v: string) => v.startsWith('./')).map((v: string) => v.split(':')[0]!.slice(2)));
    expect(mounts).toContain(CONTROLLER_APP_DIR);
    for (const m of mounts.filter((x) => x !== CONTROLLER_APP_DIR)) expect([...rendered].some((p) => p === m || p.startsWith(`${m}/`)), m).toBe(true);
  });

  it('writeRenderedFiles puts them on disk', () => {
    const t = topology();
    const result = writeRenderedFiles(dir, renderFiles(t));
    expect(result.written).toHaveLength(6 + 12);
    expect(readFileSync(join(dir, 'envoy-proxy', 'lds', 'listeners.yaml'), 'utf8')).toBe(renderListenerFile(t, 'docker', 'primary'));
    expect(JSON.parse(readFileSync(join(dir, 'envoy-proxy', 'controller.json'), 'utf8')).quorum).toBe(2);
  });
});
