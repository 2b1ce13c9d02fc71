/**
 * Data that outlives its topology, on the Docker runtime: a 1-broker demo leaves its named volumes after
 * `stop`; a 2-broker start in the same project must refuse within seconds, creating no container and
 * naming the change; `stop --volumes --yes` with no demo recorded removes the volumes and says so; then
 * the 2-broker demo starts.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { loadTopology } from '../../src/config/load.js';
import { createDockerRuntime } from '../../src/runtime/docker/index.js';
import { dockerClient, projectLeftovers } from '../../src/runtime/docker/engine.js';
import { logProgress, makeTestProject, runCli, testConfigYaml } from './rig.js';

const infra = inject('dockerInfra');
const project = makeTestProject(infra, 'fdstamp', 1);
const leftovers = () => projectLeftovers(dockerClient(), project.topology.project);

afterAll(async () => {
  await createDockerRuntime(loadTopology({ configFile: project.configFile }), { projectDir: project.dir }).stop({ removeData: true });
  expect(await leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
  rmSync(project.dir, { recursive: true, force: true });
});

describe("the Docker runtime's volumes and a changed configuration", () => {
  it('a 1-broker demo started and stopped keeps its 2 volumes', async () => {
    const rt = createDockerRuntime(project.topology, { projectDir: project.dir });
    await rt.start({ progress: logProgress('fdstamp-1') });
    await rt.stop();
    expect((await leftovers()).volumes).toHaveLength(2);
  }, 300_000);

  it('a 2-broker start on them refuses within seconds, naming the change and the fix, creating no container', async () => {
    writeFileSync(project.configFile, testConfigYaml(infra, 'fdstamp', 2));
    const two = loadTopology({ configFile: project.configFile });
    const t0 = Date.now();
    const err = await createDockerRuntime(two, { projectDir: project.dir }).start().then(() => undefined, (e: Error & { hint?: string }) => e);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expect(err?.message).toMatch(/the brokers' data in the Docker volumes of project fdstamp \(2\) was made by another configuration \(brokers per cluster 1 → 2\)/);
    expect(err?.hint).toMatch(/failover-demo stop --volumes/);
    const now = await leftovers();
    expect(now.containers).toEqual([]);
    expect(now.volumes).toHaveLength(2);
  }, 60_000);

  it('stop --volumes --yes with no demo recorded removes them and says so; then the 2-broker demo starts', async () => {
    const r = await runCli(['stop', '--volumes', '--yes', '--config', project.configFile], { cwd: project.dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/its brokers' data was removed \(local runtime, and the Docker volumes of project fdstamp\)/);
    expect((await leftovers()).volumes).toEqual([]);
    const two = loadTopology({ configFile: project.configFile });
    const rt = createDockerRuntime(two, { projectDir: project.dir });
    await rt.start({ progress: logProgress('fdstamp-2') });
    expect((await rt.status()).brokers.filter((b) => b.running)).toHaveLength(4);
  }, 300_000);
});
