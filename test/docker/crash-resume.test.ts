/**
 * Docker supervises the demo's parts: a crash (every process of a container but Docker's init killed
 * from inside) is restarted by the restart policy and counted in `status`; a `broker stop` is a stop on
 * purpose, which Docker leaves stopped; `resume` starts what is not running, without re-rendering.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EnvoyAdmin } from '../../src/envoy/admin.js';
import { routingFromClusters } from '../../src/envoy/routing.js';
import { createDockerRuntime } from '../../src/runtime/docker/index.js';
import { dockerClient, projectLeftovers } from '../../src/runtime/docker/engine.js';
import type { PartStatus, Runtime } from '../../src/runtime/types.js';
import { UserError } from '../../src/util/errors.js';
import { waitFor } from '../../src/util/wait.js';
import { logProgress, makeTestProject, type TestProject } from './rig.js';

const infra = inject('dockerInfra');
let project: TestProject;
let runtime: Runtime;
let admin: EnvoyAdmin;

/** One broker per cluster keeps the demo small; the secondary's broker can stop without a failover. */
const STOPPED = 'secondary-broker-0';

async function part(name: string): Promise<PartStatus> {
  const p = (await runtime.status()).parts.find((x) => x.name === name);
  if (!p) throw new Error(`status has no part ${name}`);
  return p;
}

/** Fails as soon as `holds` is false; passes once it has held for `forMs` (a bounded poll, no bare sleep). */
async function expectHoldsFor(holds: () => Promise<boolean>, forMs: number, what: string): Promise<void> {
  const until = Date.now() + forMs;
  await waitFor(
    async () => {
      if (!(await holds())) throw new Error(`${what}: no longer true after ${forMs - (until - Date.now())} ms`);
      return Date.now() >= until;
    },
    { timeoutMs: forMs + 5_000, intervalMs: 250, what },
  ).catch((e: Error) => expect.fail(e.message));
}

async function everyEndpointHealthy(): Promise<boolean> {
  const hosts = routingFromClusters(await admin.clusters(), project.topology).listeners.flatMap((l) => l.hosts);
  return hosts.length > 0 && hosts.every((h) => h.healthy);
}

describe('docker runtime: crash, restart policy, resume', () => {
  beforeAll(async () => {
    project = makeTestProject(infra, 'fdcrash', 1);
    runtime = createDockerRuntime(project.topology, { projectDir: project.dir });
    admin = new EnvoyAdmin(runtime.endpoints().envoyAdminUrl);
    const t0 = Date.now();
    await runtime.start({ progress: logProgress('start') });
    process.stderr.write(`start (docker, 1 broker per cluster) took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  });

  afterAll(async () => {
    await admin?.close();
    await runtime?.stop({ removeData: true });
    expect(await projectLeftovers(dockerClient(), project.topology.project)).toEqual({ containers: [], networks: [], volumes: [] });
  });

  it('status lists every supervised part, running, with no restarts yet', async () => {
    const { parts } = await runtime.status();
    expect(parts.map((p) => [p.name, p.running, p.restarts])).toEqual([
      ['envoy', true, 0],
      ['controller', true, 0],
      ['primary-broker-0', true, 0],
      ['secondary-broker-0', true, 0],
    ]);
    expect(parts.every((p) => p.lastExit === undefined && p.gaveUp === undefined)).toBe(true);
  });

  it("a crash of Envoy: Docker restarts its container, Envoy serves again, status counts the restart and the exit 137", async () => {
    const r = await runtime.crash('envoy');
    process.stderr.write(`envoy crash: ${JSON.stringify(r)}; restarted after ${r.restartedAt! - r.killedAt} ms, serving after ${r.servingAt! - r.killedAt} ms\n`);
    expect(r).toMatchObject({ part: 'envoy', killed: "Envoy's container processes", restarts: 1 });
    expect(r.restartedAt).toBeGreaterThanOrEqual(r.killedAt);
    expect(r.servingAt).toBeGreaterThanOrEqual(r.restartedAt!);
    expect(await admin.ready()).toBe(true);
    const envoy = await part('envoy');
    expect(envoy).toMatchObject({ running: true, restarts: 1 });
    expect(envoy.lastExit).toContain('137');
    expect(envoy.gaveUp).toBeUndefined();
    expect(Date.parse(envoy.lastExitAt!)).toBeGreaterThanOrEqual(r.killedAt - 1_000);
    // Envoy health-checks the brokers again from scratch.
    await waitFor(everyEndpointHealthy, { timeoutMs: 60_000, what: 'Envoy to see every broker healthy after its restart' });
  });

  it('crash names the valid parts, and refuses a part that is not running', async () => {
    await expect(runtime.crash('nope')).rejects.toThrow(UserError);
    await expect(runtime.crash('nope')).rejects.toMatchObject({ hint: expect.stringContaining('envoy, controller, primary-broker-0, secondary-broker-0') });
  });

  it('`broker stop` is a stop on purpose: Docker does not restart it; resume starts it again and it serves', async () => {
    const change = await runtime.stopBroker(STOPPED);
    expect(change.stoppedAt).toBeGreaterThan(0);
    await expectHoldsFor(
      async () => {
        const p = await part(STOPPED);
        return !p.running && p.restarts === 0;
      },
      5_000,
      `${STOPPED} stays stopped, not restarted by Docker`,
    );
    await expect(runtime.crash(STOPPED)).rejects.toThrow(/is not running/);

    const t0 = Date.now();
    const resumed = await runtime.resume({ progress: logProgress('resume') });
    process.stderr.write(`resume took ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
    expect(resumed).toEqual([STOPPED]);
    expect(await part(STOPPED)).toMatchObject({ running: true, restarts: 0 });
    // resume waited for Envoy to see every endpoint healthy: its Schema Registry answers again.
    expect(await everyEndpointHealthy()).toBe(true);
  }, 180_000);

  it('resume on a demo that runs entirely starts nothing and returns []', async () => {
    const before = (await runtime.status()).parts;
    expect(await runtime.resume()).toEqual([]);
    expect((await runtime.status()).parts.map((p) => [p.name, p.running, p.restarts])).toEqual(before.map((p) => [p.name, p.running, p.restarts]));
  });

  it('a crash of a broker: Docker restarts it; it serves again once its Kafka API and Schema Registry answer', async () => {
    const r = await runtime.crash(STOPPED);
    process.stderr.write(`broker crash: ${JSON.stringify(r)}; restarted after ${r.restartedAt! - r.killedAt} ms, serving after ${r.servingAt! - r.killedAt} ms\n`);
    expect(r).toMatchObject({ part: STOPPED, killed: `${STOPPED}'s container processes`, restarts: 1 });
    expect(r.servingAt).toBeGreaterThanOrEqual(r.restartedAt!);
    expect(await part(STOPPED)).toMatchObject({ running: true, restarts: 1, lastExit: expect.stringContaining('137') });
  }, 180_000);
});
