/**
 * The PoC's walkthrough (`drill --scenario recovery-mode`) through the Docker runtime at the PoC's own
 * health-check settings (3 s interval, 3 failures), as a user who starts the demo with no config gets it:
 * every step as expected, no acknowledged message missing, every detection inside its predicted window.
 * Then `proxy-restart` on the same demo: Envoy's container crashes and Docker's restart policy brings it back.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { defaultTopology } from '../../src/config/topology.js';
import { createDockerRuntime } from '../../src/runtime/docker/index.js';
import { dockerClient, projectLeftovers } from '../../src/runtime/docker/engine.js';
import { expectDetectionsInWindows, runDockerDrill } from './drill-helpers.js';
import { makeTestProject, runCli, type TestProject } from './rig.js';

const infra = inject('dockerInfra');
let project: TestProject;

describe('recovery-mode drill through the Docker runtime, default health checks', () => {
  beforeAll(async () => {
    project = makeTestProject(infra, 'fddefault', 3, 'default');
    expect(project.topology.healthCheck).toEqual(defaultTopology({}).healthCheck);
    const r = await runCli(['start', '--runtime', 'docker', '--config', project.configFile], { cwd: project.dir, timeoutMs: 420_000 });
    if (r.code !== 0) throw new Error(`start failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  });

  afterAll(async () => {
    await createDockerRuntime(project.topology, { projectDir: project.dir }).stop({ removeData: true });
    expect(await projectLeftovers(dockerClient(), project.topology.project)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('passes every step of the PoC walkthrough, with no acknowledged message missing and each detection inside its window', async () => {
    const report = await runDockerDrill(project, 'recovery-mode');
    expect(report.steps).toHaveLength(5);
    expect(report.runtime).toBe('docker');
    expectDetectionsInWindows(report);
    // Step 3 restarts the last running primary broker into recovery mode without a quorum: reported, not waited for.
    expect(report.steps[2]!.notes?.join(' ')).toContain('below its quorum');
    expect(report.clients.ackedBy.primary).toBeGreaterThan(0);
    expect(report.clients.ackedBy.secondary).toBeGreaterThan(0);
  }, 600_000);

  it("proxy-restart: Envoy's container crashes, Docker's restart policy brings it back, the clients reconnect, nothing acknowledged is lost", async () => {
    const report = await runDockerDrill(project, 'proxy-restart');
    expect(report.steps).toHaveLength(1);
    expect(report.steps[0]!.observed.activeCluster).toBe('primary');
    const c = report.crash!;
    expect(c.part).toBe('envoy');
    expect(c.restarts).toBeGreaterThanOrEqual(1);
    expect(c.servingMs!).toBeGreaterThanOrEqual(c.backMs!);
    expect(c.producerRecoveryMs).not.toBeNull();
    expect(c.consumerRecoveryMs).not.toBeNull();
    expect(report.clients.ackedBy.secondary ?? 0).toBe(0);
  }, 600_000);
});
