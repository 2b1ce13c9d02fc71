import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { brokersOf, defaultTopology, directHostPort, type Topology } from '../../src/config/topology.js';
import { brokerHealthcheck, envoyHealthcheck, renderCompose } from '../../src/render/compose.js';
import { renderFiles } from '../../src/render/files.js';
import { writeRenderedFiles } from '../../src/render/write.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Any = any;

/** The PoC's per-broker layout (failover.policy: per-broker); test/unit/render-coherent.test.ts covers `coherent`. */
function topology(patch: Partial<Topology> = {}): Topology {
  const d = defaultTopology({});
  return { ...d, failover: { ...d.failover, policy: 'per-broker' }, ...patch };
}
const compose = (t: Topology): Any => parse(renderCompose(t));
const allPorts = (c: Any): Any[] => Object.values(c.services).flatMap((s: Any) => s.ports ?? []);

describe('renderCompose', () => {
  it('binds every published port to 127.0.0.1 by default, Envoy admin included', () => {
    for (const rewrite of ['kafka-filter', 'advertised'] as const) {
      const ports = allPorts(compose(topology({ rewrite })));
      expect(ports.length).toBe(3 + 1 + 6);
      for (const p of ports) {
        expect(typeof p).toBe('object'); // long syntax only: a short "9092:9092" would bind 0.0.0.0
        expect(p.host_ip).toBe('127.0.0.1');
      }
      expect(ports.map((p: Any) => Number(p.published))).toContain(9901);
    }
  });

  it('binds wider only when bindAddress says so', () => {
    for (const p of allPorts(compose(topology({ bindAddress: '0.0.0.0' })))) expect(p.host_ip).toBe('0.0.0.0');
  });

  for (const brokers of [1, 3, 5]) {
    it(`${brokers} broker(s): one service per broker plus Envoy on one user-defined network`, () => {
      const t = topology({ brokers });
      const c = compose(t);
      expect(c.name).toBe('failover-demo');
      expect(Object.keys(c.services)).toEqual([...brokersOf(t).map((b) => b.name), 'envoy']);
      expect(Object.keys(c.networks)).toEqual(['demo']);
      expect(c.networks.demo.driver).toBe('bridge');
      expect(Object.keys(c.volumes)).toEqual(brokersOf(t).map((b) => `${b.name}-data`));
      for (const b of brokersOf(t)) {
        const s = c.services[b.name];
        expect(s.container_name).toBe(b.name);
        expect(s.hostname).toBe(b.name);
        expect(s.image).toBe('docker.redpanda.com/redpandadata/redpanda:v26.2.1');
        expect(s.networks).toEqual(['demo']);
        expect(s.volumes).toEqual([`${b.name}-data:/var/lib/redpanda/data`, `./redpanda-config/${b.name}:/config:ro`]);
        expect(s.command.slice(0, 2)).toEqual(['redpanda', 'start']);
        expect(s.command).toEqual(expect.arrayContaining(['--smp', '1', '--memory', '1G']));
        expect(s.healthcheck).toEqual(brokerHealthcheck(t));
        expect(s.ports).toEqual([{ host_ip: '127.0.0.1', published: String(directHostPort(t, b)), target: 29092, protocol: 'tcp' }]);
      }
      const envoy = c.services.envoy;
      expect(envoy.image).toBe('envoyproxy/envoy:contrib-v1.40-latest');
      expect(envoy.healthcheck).toEqual(envoyHealthcheck(t));
      expect(envoy.volumes).toEqual(['./envoy-proxy/envoy.yaml:/etc/envoy/envoy.yaml:ro']);
      expect(envoy.ports).toEqual([
        ...Array.from({ length: brokers }, (_, i) => ({ host_ip: '127.0.0.1', published: String(9092 + i), target: 19092 + i, protocol: 'tcp' })),
        { host_ip: '127.0.0.1', published: '9901', target: 9901, protocol: 'tcp' },
      ]);
      expect(envoy.depends_on).toEqual(Object.fromEntries(brokersOf(t).map((b) => [b.name, { condition: 'service_healthy' }])));
    });
  }

  it('needs no sudo chown: config is mounted read-only and copied into /etc/redpanda before the image entrypoint', () => {
    const s = compose(topology()).services['primary-broker-0'];
    expect(s.entrypoint.slice(0, 2)).toEqual(['/bin/sh', '-c']);
    const script: string = s.entrypoint[2];
    expect(script).toBe('cp /config/redpanda.yaml /config/.bootstrap.yaml /etc/redpanda/ && exec /entrypoint.sh "$$@"');
    expect(s).not.toHaveProperty('user');
  });

  for (const policy of ['per-broker', 'coherent'] as const) {
    it(`${policy}: Docker restarts every service after a crash, with its init at PID 1 (so a crash can be emulated from inside)`, () => {
      const t = topology({ brokers: 2 });
      t.failover = { ...t.failover, policy };
      const services = compose(t).services;
      const names = Object.keys(services);
      expect(names).toEqual([...brokersOf(t).map((b) => b.name), 'envoy', ...(policy === 'coherent' ? ['failover-controller'] : [])]);
      for (const name of names) {
        // `unless-stopped`, not `always`: a `docker stop` (broker stop) stays stopped.
        expect(services[name].restart, name).toBe('unless-stopped');
        expect(services[name].init, name).toBe(true);
        // The healthcheck still decides readiness (a restarted container starts over as "starting").
        expect(services[name].healthcheck, name).toBeDefined();
      }
    });
  }

  it('mounts exactly the files renderFiles writes', () => {
    const t = topology({ brokers: 2 });
    const paths = renderFiles(t).map((f) => f.path);
    const c = compose(t);
    const mounts = Object.values(c.services).flatMap((s: Any) => s.volumes.filter((v: string) => v.startsWith('./')).map((v: string) => v.split(':')[0]!.slice(2)));
    for (const m of mounts) expect(paths.some((p) => p === m || p.startsWith(`${m}/`))).toBe(true);
  });
});

/** The part of the broker health check after the pipe: what decides on the Admin API's answer. */
function brokerReadyFilter(test: string): string {
  const parts = test.split(' | ');
  expect(parts).toHaveLength(2);
  return parts[1]!;
}

/** Runs `echo <body> | <filter>` with sh, the body passed as an argument (no quoting); returns the exit code. */
function runFilter(filter: string, body: string): number {
  try {
    execFileSync('sh', ['-c', `echo "$1" | ${filter}`, 'sh', body], { stdio: ['ignore', 'pipe', 'pipe'] });
    return 0;
  } catch (err) {
    const status = (err as { status?: number | null }).status;
    if (typeof status !== 'number') throw err;
    return status;
  }
}

describe('renderCompose: health checks', () => {
  // Compose interpolates `$` in these strings; a literal one must be written `$$`.
  const noInterpolation = /\$(?!\$)/;

  it('a broker is healthy only when /v1/status/ready says "ready" (it answers 200 while booting too)', () => {
    const t = topology();
    const hc = compose(t).services['primary-broker-0'].healthcheck;
    expect(hc.test[0]).toBe('CMD-SHELL');
    expect(hc.test).toHaveLength(2);
    const cmd: string = hc.test[1];
    expect(cmd).toContain(`http://localhost:${t.redpanda.adminPort}/v1/status/ready`);
    expect(cmd).toContain('"ready"');
    expect(cmd).not.toMatch(noInterpolation);
    expect(hc).toMatchObject({ interval: '2s', timeout: '2s', retries: 60 });
  });

  it('the admin port follows redpanda.adminPort', () => {
    const t = topology();
    t.redpanda = { ...t.redpanda, adminPort: 19644 };
    expect(brokerHealthcheck(t).test).toEqual(['CMD-SHELL', expect.stringContaining('http://localhost:19644/v1/status/ready')]);
  });

  it("the broker check's filter passes Redpanda's ready body and fails its booting body", () => {
    const filter = brokerReadyFilter(compose(topology()).services['primary-broker-0'].healthcheck.test[1]);
    expect(filter).toMatch(/^grep /);
    expect(runFilter(filter, '{"status":"ready"}')).toBe(0);
    expect(runFilter(filter, '{"status":"booting"}')).toBe(1);
    expect(runFilter(filter, '{"status": "ready"}')).toBe(0);
    expect(runFilter(filter, '')).toBe(1);
  });

  it("Envoy is healthy once its admin /ready answers LIVE, asked with bash's /dev/tcp (the image has no curl)", () => {
    const t = topology();
    const hc = compose(t).services.envoy.healthcheck;
    expect(hc.test.slice(0, 3)).toEqual(['CMD', 'bash', '-c']);
    expect(hc.test).toHaveLength(4);
    const script: string = hc.test[3];
    expect(script).toContain(`/dev/tcp/127.0.0.1/${t.envoy.adminPort}`);
    expect(script).toContain('GET /ready ');
    expect(script).toContain("grep -q '^LIVE'");
    expect(script).not.toContain('curl');
    expect(script).not.toMatch(noInterpolation);
    expect(hc.interval).toBeDefined();
    expect(hc.retries).toBeGreaterThan(0);
  });

  it("Envoy's check follows envoy.adminPort", () => {
    const t = topology();
    t.envoy = { ...t.envoy, adminPort: 19901 };
    expect(envoyHealthcheck(t).test).toEqual(['CMD', 'bash', '-c', expect.stringContaining('/dev/tcp/127.0.0.1/19901')]);
  });
});

describe('renderFiles', () => {
  for (const brokers of [1, 5]) {
    it(`${brokers} broker(s): compose file, envoy.yaml, and node + cluster properties per broker`, () => {
      const t = topology({ brokers });
      const files = renderFiles(t);
      expect(files.map((f) => f.path)).toEqual([
        'docker-compose.yml',
        'envoy-proxy/envoy.yaml',
        ...brokersOf(t).flatMap((b) => [`redpanda-config/${b.name}/redpanda.yaml`, `redpanda-config/${b.name}/.bootstrap.yaml`]),
      ]);
      for (const f of files) expect(() => parse(f.content)).not.toThrow();
      // the docker target of envoy.yaml
      expect(parse(files[1]!.content).static_resources.listeners).toHaveLength(2 * brokers);
    });
  }
});

/** Docker Compose v2 when installed (`npm run docker:setup` builds it); parsing needs no Docker engine. */
function composeAvailable(): boolean {
  try {
    return /^v?2\./.test(execFileSync('docker', ['compose', 'version', '--short'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
  } catch {
    return false;
  }
}

describe.skipIf(!composeAvailable())('docker compose accepts the rendered files (needs Docker Compose v2, not the engine)', () => {
  const cases = [
    [1, 'advertised', 'per-broker'],
    [3, 'kafka-filter', 'per-broker'],
    [5, 'advertised', 'per-broker'],
    [1, 'advertised', 'coherent'],
    [3, 'kafka-filter', 'coherent'],
  ] as const;
  for (const [brokers, rewrite, policy] of cases) {
    it(`${brokers} broker(s), ${rewrite}, ${policy}`, () => {
      const dir = mkdtempSync(join(tmpdir(), 'fd-compose-'));
      try {
        const t = topology({ brokers, rewrite });
        t.failover = { ...t.failover, policy };
        writeRenderedFiles(dir, renderFiles(t));
        // The runtime sets FAILOVER_DEMO_UID/GID (src/runtime/docker/compose.ts); without them the controller runs as 0:0.
        const env: NodeJS.ProcessEnv = { ...process.env, COMPOSE_PROJECT_NAME: '' };
        delete env.FAILOVER_DEMO_UID;
        delete env.FAILOVER_DEMO_GID;
        const config = (extra: NodeJS.ProcessEnv = {}): Any =>
          JSON.parse(
            execFileSync('docker', ['compose', '-f', join(dir, 'docker-compose.yml'), 'config', '--format', 'json'], {
              encoding: 'utf8',
              cwd: dir,
              env: { ...env, ...extra },
            }),
          );
        const c = config();
        expect(c.name).toBe('failover-demo');
        expect(Object.keys(c.services)).toHaveLength(2 * brokers + (policy === 'coherent' ? 2 : 1));
        const mounts = c.services['primary-broker-0'].volumes;
        expect(mounts).toContainEqual(expect.objectContaining({ type: 'bind', source: join(dir, 'redpanda-config', 'primary-broker-0'), target: '/config', read_only: true }));
        for (const s of Object.values(c.services) as Any[]) for (const p of s.ports ?? []) expect(p.host_ip).toBe('127.0.0.1');
        // Compose keeps the supervision settings (an unknown or misplaced key would have failed `config`).
        for (const [name, s] of Object.entries(c.services) as [string, Any][]) expect([name, s.restart, s.init]).toEqual([name, 'unless-stopped', true]);
        if (policy === 'coherent') {
          const controller = c.services['failover-controller'];
          expect(controller.user).toBe('0:0');
          expect(controller.restart).toBe('unless-stopped');
          expect(controller.volumes).toContainEqual(expect.objectContaining({ type: 'bind', source: join(dir, 'envoy-proxy'), target: '/etc/envoy' }));
          expect(controller.volumes.find((v: Any) => v.target === '/etc/envoy').read_only).toBeFalsy();
          expect(c.services.envoy.volumes).toEqual([expect.objectContaining({ type: 'bind', source: join(dir, 'envoy-proxy'), target: '/etc/envoy', read_only: true })]);
          expect(config({ FAILOVER_DEMO_UID: '1234', FAILOVER_DEMO_GID: '5678' }).services['failover-controller'].user).toBe('1234:5678');
        } else {
          expect(c.services).not.toHaveProperty('failover-controller');
        }
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
