/**
 * `doctor` and `start` against a real Docker engine: all checks pass here; with the daemon unreachable,
 * Compose v2 missing, or a port taken, both name the problem and its fix (no stack trace), and `start`
 * creates nothing.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { CheckResult } from '../../src/runtime/docker/preflight.js';
import { dockerClient, projectContainers } from '../../src/runtime/docker/engine.js';
import { makeTestProject, runCli, TEST_PORTS, type TestProject } from './rig.js';

const infra = inject('dockerInfra');
let project: TestProject;

interface DoctorJson {
  runtime: string;
  ok: boolean;
  checks: CheckResult[];
}

async function doctor(env: NodeJS.ProcessEnv = {}) {
  const r = await runCli(['doctor', '--runtime', 'docker', '--config', project.configFile, '--json'], { cwd: project.dir, env });
  return { ...r, report: JSON.parse(r.stdout) as DoctorJson };
}

function check(report: DoctorJson, name: string): CheckResult | undefined {
  return report.checks.find((c) => c.name === name);
}

/** `start` must stop at the pre-flight message: exit 1, the message, no stack trace, no state, no containers. */
async function expectStartRefused(env: NodeJS.ProcessEnv, message: string) {
  const r = await runCli(['start', '--runtime', 'docker', '--config', project.configFile], { cwd: project.dir, env });
  const output = `${r.stdout}\n${r.stderr}`;
  expect(r.code, output).toBe(1);
  expect(output).toContain(message);
  expect(output).not.toMatch(/^\s+at .+:\d+:\d+\)?$/m);
  expect(existsSync(join(project.dir, '.failover-demo', 'state.json'))).toBe(false);
  expect(await projectContainers(dockerClient(), project.topology.project)).toEqual([]);
  return output;
}

describe('doctor / start pre-flight (docker runtime)', () => {
  beforeAll(() => {
    project = makeTestProject(infra, 'fddoctor');
  });

  it('passes on this machine: engine, Compose v2, free ports, the stand-in images present, memory', async () => {
    const { code, report } = await doctor();
    expect(report.checks.filter((c) => c.level !== 'ok')).toEqual([]);
    expect(code).toBe(0);
    expect(report.ok).toBe(true);
    expect(check(report, 'Compose v2')?.detail).toContain(infra.composeVersion);
    expect(check(report, 'Redpanda image')?.detail).toContain(infra.images.broker);
    expect(check(report, 'Envoy config')?.detail).toBe(`${infra.images.envoy} accepts the rendered configuration (envoy --mode validate)`);
  });

  it('daemon unreachable: names where it looked and how to start it', async () => {
    const socket = join(mkdtempSync(join(tmpdir(), 'no-docker-')), 'docker.sock');
    const env = { DOCKER_HOST: `unix://${socket}` };
    const { code, report } = await doctor(env);
    expect(code).toBe(1);
    const daemon = check(report, 'Docker daemon');
    expect(daemon?.level).toBe('error');
    expect(daemon?.detail).toContain(`cannot reach the Docker daemon at unix://${socket}`);
    expect(daemon?.fix).toContain('DOCKER_HOST');
    // The human-readable form carries the fix too.
    const text = await runCli(['doctor', '--runtime', 'docker', '--config', project.configFile], { cwd: project.dir, env });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/Docker daemon .*cannot reach the Docker daemon/);
    expect(text.stdout).toMatch(/fix: DOCKER_HOST is set/);
    // Without Docker the main command is not a dead end: both name the local runtime.
    expect(text.stdout).toContain('failover-demo start --runtime local');
    const start = await expectStartRefused(env, 'cannot reach the Docker daemon');
    expect(start).toContain('failover-demo start --runtime local');
  });

  it('Compose v2 missing: says which plugin to install', async () => {
    const env = { DOCKER_CONFIG: mkdtempSync(join(tmpdir(), 'docker-config-without-compose-')) };
    const { code, report } = await doctor(env);
    expect(code).toBe(1);
    const compose = check(report, 'Compose v2');
    expect(compose?.level).toBe('error');
    expect(compose?.detail).toContain('Compose v2 CLI plugin is missing');
    expect(compose?.fix).toContain('docker-compose-plugin');
    // The daemon itself is fine: the message is about Compose.
    expect(check(report, 'Docker daemon')?.level).toBe('ok');
    await expectStartRefused(env, 'Compose v2 CLI plugin is missing');
  });

  describe('a port taken', () => {
    let holder: Server;
    beforeAll(async () => {
      holder = createServer();
      await new Promise<void>((resolve) => holder.listen(TEST_PORTS.envoyAdmin, '127.0.0.1', resolve));
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    });

    it('names the port, what the demo wants it for, and who holds it', async () => {
      const { code, report } = await doctor();
      expect(code).toBe(1);
      const port = check(report, `port ${TEST_PORTS.envoyAdmin}`);
      expect(port?.level).toBe('error');
      expect(port?.detail).toContain('Envoy admin API');
      expect(port?.detail).toContain(`by pid ${process.pid}`);
      expect(port?.fix).toContain('envoy.adminPort');
      await expectStartRefused({}, `127.0.0.1:${TEST_PORTS.envoyAdmin} (Envoy admin API) is already in use`);
    });
  });
});
