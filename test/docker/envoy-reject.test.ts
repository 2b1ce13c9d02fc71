/**
 * A configuration the Envoy image rejects: the stand-in Envoy image is a standard (non-contrib) build,
 * so with `rewrite: kafka-filter` `start` must stop within seconds, before any container runs, with one
 * short message naming the missing filter and both fixes, and leave nothing behind.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { dockerClient, projectLeftovers } from '../../src/runtime/docker/engine.js';
import { makeTestProject, runCli, testConfigYaml } from './rig.js';

const infra = inject('dockerInfra');
const project = makeTestProject(infra, 'fdreject', 1);

afterAll(() => rmSync(project.dir, { recursive: true, force: true }));

describe('start with an Envoy image that lacks the kafka_broker filter', () => {
  it('fails in under 15 s with one line naming the filter and both fixes, leaving no container, network or volume', async () => {
    writeFileSync(project.configFile, testConfigYaml(infra, 'fdreject', 1).replace('rewrite: advertised', 'rewrite: kafka-filter'));
    const t0 = Date.now();
    const r = await runCli(['start', '--runtime', 'docker', '--config', project.configFile], { cwd: project.dir, timeoutMs: 120_000 });
    const ms = Date.now() - t0;
    expect(r.code).toBe(1);
    expect(ms).toBeLessThan(15_000);
    const message = r.stderr.split('\n').filter((l) => l.startsWith('error: ') || l.startsWith('hint: ')).join('\n');
    expect(message).toMatch(/^error: Envoy rejects its configuration: could not find @type 'type\.googleapis\.com\/envoy\.extensions\.filters\.network\.kafka_broker\.v3\.KafkaBroker'/);
    expect(message).toMatch(/hint: .*no kafka_broker filter.*contrib image.*`rewrite: advertised`/);
    expect(message.length).toBeLessThan(400);
    expect(await projectLeftovers(dockerClient(), 'fdreject')).toEqual({ containers: [], networks: [], volumes: [] });
  }, 120_000);

  it('doctor reports the same rejection as a failed check with the fix', async () => {
    const r = await runCli(['doctor', '--runtime', 'docker', '--config', project.configFile, '--json'], { cwd: project.dir, timeoutMs: 120_000 });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { checks: { name: string; level: string; detail: string; fix?: string }[] };
    const envoy = report.checks.find((c) => c.name === 'Envoy config');
    expect(envoy).toMatchObject({ level: 'error', detail: expect.stringMatching(/^Envoy rejects it: could not find @type .*KafkaBroker/) });
    expect(envoy?.fix).toMatch(/contrib image.*`rewrite: advertised`/);
  }, 120_000);
});
