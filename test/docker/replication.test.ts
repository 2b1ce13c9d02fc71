/**
 * replication.mode: shadow through the Docker runtime: the replicator (MirrorMaker 2 and its API,
 * src/replication/) runs as a compose service in the Kafka stand-in broker image. `start` waits until
 * it copies primary -> secondary; then `drill --scenario cluster-outage` through the CLI: the controller
 * promotes the secondary before it fails over, and the `switch primary (failback)` step copies the
 * secondary's writes back and fences writers until the primary has caught up. Then the replicator
 * crashes and comes back with its state (named volume). One broker per cluster
 * keeps it within a few minutes on a small machine (the replication path is the same with three).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { DrillReport } from '../../src/drill/report.js';
import { createDockerRuntime } from '../../src/runtime/docker/index.js';
import { dockerClient, projectLeftovers } from '../../src/runtime/docker/engine.js';
import { expectConsumerResumedWithoutSkipping } from '../support/replication-checks.js';
import { makeTestProject, runCli, TEST_PORTS, type TestProject } from './rig.js';

const infra = inject('dockerInfra');
let project: TestProject;

interface ReplicationView {
  phase: string;
  mm2: { pid?: number };
  cycles: number;
}

async function replicationView(): Promise<ReplicationView> {
  const res = await fetch(`http://127.0.0.1:${TEST_PORTS.replicator}/v1/replication`, { signal: AbortSignal.timeout(3_000) });
  expect(res.status).toBe(200);
  return (await res.json()) as ReplicationView;
}

describe('replication: shadow through the Docker runtime (MirrorMaker 2 in the stand-in image)', () => {
  beforeAll(async () => {
    project = makeTestProject(infra, 'fdrepl', 1, 'fast', { replication: true });
    expect(project.topology.replication.mode).toBe('shadow');
    const r = await runCli(['start', '--runtime', 'docker', '--config', project.configFile], { cwd: project.dir, timeoutMs: 420_000 });
    if (r.code !== 0) throw new Error(`start failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  });

  afterAll(async () => {
    if (!project) return;
    await createDockerRuntime(project.topology, { projectDir: project.dir }).stop({ removeData: true });
    expect(await projectLeftovers(dockerClient(), project.topology.project)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('start leaves the replicator container running and copying primary -> secondary, on its published port', async () => {
    const runtime = createDockerRuntime(project.topology, { projectDir: project.dir });
    expect(runtime.endpoints().replicatorUrl).toBe(`http://127.0.0.1:${TEST_PORTS.replicator}`);
    const status = await runtime.status();
    expect(status.parts.find((p) => p.name === 'replicator')).toMatchObject({ running: true, restarts: 0 });
    const view = await replicationView();
    expect(view.phase).toBe('forward');
    expect(view.mm2.pid).toBeGreaterThan(0);
  });

  it('cluster-outage: promoted before the failover, failback by `switch primary` after the primary caught up, nothing acked lost beyond the recovery point', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failover-demo-docker-drill-replication-'));
    const run = await runCli(['drill', '--scenario', 'cluster-outage', '--report', dir], { cwd: project.dir, timeoutMs: 600_000 });
    process.stderr.write(`${run.stdout}\n`);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillReport;
    expect(report.runtime).toBe('docker');
    for (const step of report.steps) expect(step.passed, `${step.name}: ${step.error ?? ''}`).toBe(true);
    expect(report.steps.map((s) => s.name)).toContain('switch primary (failback)');
    expect(report.ackedMissing).toBe(0);
    const r = report.replication!;
    process.stderr.write(`replication (docker): ${JSON.stringify({ ...r, lagSamples: r.lagSamples.length })}\n`);
    expect(r.promotedAt).toBeGreaterThan(0);
    expect(r.secondaryAckedMissingOnPrimary).toEqual([]);
    expect(r.primaryAckedMissingOnSecondary).toEqual([]);
    expect(report.clients.ackedBy.secondary).toBeGreaterThan(0);
    expectConsumerResumedWithoutSkipping(report);
    expect(report.passed).toBe(true);
    // After the failback the replicator copies forward again: one promotion/failback cycle done.
    expect(await replicationView()).toMatchObject({ phase: 'forward', cycles: 1 });
  }, 600_000);

  it("a crashed replicator is restarted by Docker and resumes from its state in the volume (the failback cycle is remembered)", async () => {
    const runtime = createDockerRuntime(project.topology, { projectDir: project.dir });
    const before = await replicationView();
    const crash = await runtime.crash('replicator');
    expect(crash.restarts).toBeGreaterThanOrEqual(1);
    expect(crash.servingAt).toBeGreaterThan(crash.killedAt);
    const after = await replicationView();
    expect(after).toMatchObject({ phase: 'forward', cycles: before.cycles });
    expect(after.mm2.pid).toBeGreaterThan(0);
  });
});
