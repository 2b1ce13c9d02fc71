/**
 * The Docker runtime end to end against a real Docker engine: the rendered compose project with the
 * stand-in images and the `advertised` strategy; Envoy sees every endpoint healthy; Kafka clients on the
 * host and inside the compose network produce and consume through Envoy; recovery mode reaches the
 * container through the host file; `stop --volumes` leaves no containers, networks or volumes.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { brokersOf } from '../../src/config/topology.js';
import { EnvoyAdmin } from '../../src/envoy/admin.js';
import { routingFromClusters } from '../../src/envoy/routing.js';
import { createDockerRuntime } from '../../src/runtime/docker/index.js';
import { dockerClient, projectLeftovers } from '../../src/runtime/docker/engine.js';
import type { Runtime } from '../../src/runtime/types.js';
import { waitFor } from '../../src/util/wait.js';
import { applyFault } from '../../src/drill/faults.js';
import { expectDetectionsInWindows, runDockerDrill } from './drill-helpers.js';
import { makeTestProject, runCli, runInNetworkClient, type TestProject } from './rig.js';

const infra = inject('dockerInfra');
let project: TestProject;
let runtime: Runtime;
let admin: EnvoyAdmin;

/** Every upstream host of every Envoy cluster, as the routing model reads /clusters. */
async function envoyHosts() {
  return routingFromClusters(await admin.clusters(), project.topology).listeners.flatMap((l) => l.hosts);
}

describe('docker runtime (stand-in images, advertised strategy)', () => {
  beforeAll(async () => {
    project = makeTestProject(infra, 'fdtest');
    // The user's path: `start` through the CLI (state remembered for `drill` and `stop`).
    runtime = createDockerRuntime(project.topology, { projectDir: project.dir });
    admin = new EnvoyAdmin(runtime.endpoints().envoyAdminUrl);
    const t0 = Date.now();
    const r = await runCli(['start', '--runtime', 'docker', '--config', project.configFile], { cwd: project.dir, timeoutMs: 420_000 });
    process.stderr.write(`failover-demo start (docker) took ${((Date.now() - t0) / 1000).toFixed(1)} s\n${r.stderr}\n${r.stdout}\n`);
    if (r.code !== 0) throw new Error(`start failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
  });

  afterAll(async () => {
    await admin?.close();
    await runtime?.stop({ removeData: true });
  });

  it('starts every broker and Envoy, and Envoy reports every endpoint healthy', async () => {
    const t = project.topology;
    const status = await runtime.status();
    expect(status.kind).toBe('docker');
    expect(status.envoyRunning).toBe(true);
    expect(status.brokers.map((b) => [b.name, b.running, b.recoveryMode])).toEqual(brokersOf(t).map((b) => [b.name, true, false]));
    const hosts = await envoyHosts();
    // advertised strategy: one Envoy cluster per position for each listener set (network + host), 2 hosts each.
    expect(hosts).toHaveLength(4 * t.brokers);
    expect(hosts.filter((h) => !h.healthy)).toEqual([]);
  });

  it('produces and consumes through Envoy from the host, which only ever sees Envoy addresses', async () => {
    const t = project.topology;
    const { bootstrap } = runtime.endpoints();
    const kafka = new Kafka({ clientId: 'docker-test-host', brokers: bootstrap, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    const kadmin = kafka.admin();
    await kadmin.connect();
    const { brokers } = await kadmin.describeCluster();
    await kadmin.disconnect();
    const envoyAddresses = Array.from({ length: t.brokers }, (_, i) => `${t.envoy.advertisedHost}:${t.envoy.listenerPort + i}`);
    expect(brokers.map((b) => `${b.host}:${b.port}`).sort()).toEqual(envoyAddresses.sort());

    const topic = t.topics[0]!.name;
    const run = `host-${Date.now()}`;
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const values = Array.from({ length: 50 }, (_, i) => `${run}:${i}`);
    await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
    await producer.disconnect();

    const consumer = kafka.consumer({ groupId: run });
    const seen = new Set<string>();
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const v = message.value?.toString() ?? '';
        if (v.startsWith(`${run}:`)) seen.add(v);
      },
    });
    try {
      await waitFor(() => seen.size === values.length, { timeoutMs: 60_000, what: `${values.length} messages back through Envoy` });
    } finally {
      await consumer.disconnect();
    }
    expect([...seen].sort()).toEqual([...values].sort());
  });

  it('produces and consumes through Envoy from a client container inside the compose network', async () => {
    const t = project.topology;
    const result = await runInNetworkClient(t, infra.images.broker, t.topics[0]!.name, 30);
    const envoyInNetwork = Array.from({ length: t.brokers }, (_, i) => `envoy:${t.envoy.listenerPort + i}`);
    expect(result.metadataBrokers.sort()).toEqual(envoyInNetwork.sort());
    expect(result).toMatchObject({ produced: 30, consumed: 30, missing: 0 });
  });

  it('recovery mode: the host file edit reaches the container (no chown) and Envoy moves away, then back', async () => {
    const name = 'primary-broker-0';
    const unhealthy = async () => (await envoyHosts()).filter((h) => !h.healthy).map((h) => h.host);
    await runtime.setRecoveryMode(name, true);
    expect((await runtime.status()).brokers.find((b) => b.name === name)?.recoveryMode).toBe(true);
    // primary-broker-0 sits in two Envoy clusters (network and host listener sets).
    await waitFor(async () => (await unhealthy()).join() === `${name},${name}`, { timeoutMs: 60_000, what: `Envoy to mark ${name} (only) unhealthy` });
    await runtime.setRecoveryMode(name, false);
    expect((await runtime.status()).brokers.find((b) => b.name === name)?.recoveryMode).toBe(false);
    await waitFor(async () => (await unhealthy()).length === 0, { timeoutMs: 60_000, what: `Envoy to mark ${name} healthy again` });
  });

  it('a recovery-mode restart of the last running broker of a cluster returns within seconds, saying why it is not ready', async () => {
    await Promise.all(['secondary-broker-0', 'secondary-broker-1'].map((n) => runtime.stopBroker(n)));
    const t0 = Date.now();
    const change = await runtime.setRecoveryMode('secondary-broker-2', true);
    const tookMs = Date.now() - t0;
    // Its container runs and its admin API answers, but with 1 of 3 brokers there is no quorum: not waited for
    // (it used to wait 240 s for the container's healthcheck and fail).
    expect(change.readyAt).toBeUndefined();
    expect(change.startedAt).toBeGreaterThanOrEqual(t0);
    expect(change.note).toContain('below its quorum of 2');
    expect(tookMs).toBeLessThan(40_000);
    expect((await runtime.status()).brokers.find((b) => b.name === 'secondary-broker-2')).toMatchObject({ running: true, recoveryMode: true });

    const outcome = await applyFault(runtime, { kind: 'restore', brokers: ['secondary-broker-0', 'secondary-broker-1', 'secondary-broker-2'] });
    for (const c of outcome.changes) {
      expect(c.readyAt, c.name).toBeGreaterThan(0);
      expect(c.servingAt, c.name).toBeGreaterThanOrEqual(c.readyAt!);
    }
    await waitFor(async () => (await envoyHosts()).every((h) => h.healthy), { timeoutMs: 60_000, what: 'Envoy to see every broker healthy again' });
  }, 240_000);

  for (const scenario of ['cluster-outage', 'broker-loss'] as const) {
    it(`runs the ${scenario} drill through the Docker runtime: passed, no acknowledged message missing, detection inside its window`, async () => {
      const report = await runDockerDrill(project, scenario);
      expectDetectionsInWindows(report);
      // coherent (the default): never split, nobody left on the cluster Envoy no longer routes to.
      expect(report.policy).toBe('coherent');
      expect(report.splitMs).toBe(0);
      expect(report.acksOnInactiveCluster, JSON.stringify(report.inactiveAcks)).toBe(0);
      expect(report.clients.ackedBy.primary).toBeGreaterThan(0);
      if (scenario === 'cluster-outage') {
        // The clients really moved to the secondary and back.
        expect(report.clients.ackedBy.secondary).toBeGreaterThan(0);
        expect(report.lateClients?.runningProducerCluster).toBe('primary');
      } else {
        // One broker down is not a failover.
        expect(report.clients.ackedBy.secondary ?? 0).toBe(0);
      }
    }, 450_000);
  }

  it('stop --volumes leaves no containers, networks or volumes', async () => {
    const r = await runCli(['stop', '--volumes', '--yes'], { cwd: project.dir });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(await projectLeftovers(dockerClient(), project.topology.project)).toEqual({ containers: [], networks: [], volumes: [] });
    await runtime.stop({ removeData: true }); // safe to call twice
  });
});
