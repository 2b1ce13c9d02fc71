/**
 * Supervision on the local runtime (real Envoy, Kafka brokers, Schema Registry stand-ins, the coherent
 * controller): parts killed with SIGKILL while a producer runs come back without any command, `status`
 * counts each restart, and the producer's ledger shows no acknowledged message missing. Then `start` on the
 * running demo: it brings back what is down (a broker stopped on purpose, a part whose supervisor is gone)
 * and says so when everything already runs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_HEALTH_CHECK, startRig, type Rig } from './rig.js';
import { createClusterDirectory } from '../../src/kafka/clusters.js';
import { FailoverProducer } from '../../src/kafka/producer.js';
import { scanLedger } from '../../src/drill/ledger-scan.js';
import { readRouting } from '../../src/envoy/routing.js';
import { localLayout } from '../../src/runtime/local/layout.js';
import { childrenOf, processName, readSupervisorState } from '../../src/runtime/local/supervised.js';
import { readProcessRecord } from '../../src/runtime/local/processes.js';
import type { PartStatus } from '../../src/runtime/types.js';
import { waitFor } from '../../src/util/wait.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig({ name: 'supervision', portBase: 28000, healthCheck: FAST_HEALTH_CHECK, failover: { policy: 'coherent' } });
});
afterAll(async () => {
  await rig?.stop();
});

const parts = async (): Promise<PartStatus[]> => (await rig.runtime.status()).parts;
const part = async (name: string) => (await parts()).find((p) => p.name === name)!;

/** The supervised process of a part, from its supervisor's state file. */
function childPid(stateFile: string): number {
  const s = readSupervisorState(stateFile);
  if (!s?.child) throw new Error(`no child in ${stateFile}`);
  return s.child.pid;
}

/** A part came back on its own: running again with `restarts` restarts, and (via `serving`) serving. */
async function comesBack(name: string, restarts: number, serving: () => Promise<boolean>): Promise<void> {
  await waitFor(async () => {
    const p = await part(name);
    return p.running && p.restarts === restarts && (await serving());
  }, { what: `${name} to come back by itself (restart ${restarts})`, timeoutMs: 120_000, intervalMs: 200 });
}

describe('supervision: crashed parts come back by themselves', () => {
  it('Envoy, a stand-in and a broker JVM killed with SIGKILL while a producer runs: each returns, status counts it, no ack lost', async () => {
    const l = localLayout(rig.project);
    const work = mkdtempSync(join(tmpdir(), 'supervision-'));
    const ledgerFile = join(work, 'ledger.jsonl');
    const e = rig.endpoints;
    const producer = new FailoverProducer({ bootstrap: e.bootstrap, topic: 'test-topic', ratePerSecond: 20, ledgerFile, clusters: createClusterDirectory(e.direct), direct: e.direct });
    let acks = 0;
    producer.on('ack', () => acks++);
    const running = producer.run();
    running.catch(() => undefined);
    try {
      await waitFor(() => acks > 10, { what: 'the producer to be acknowledged', timeoutMs: 60_000, intervalMs: 100 });
      const adminReady = async () => (await fetch(`${e.envoyAdminUrl}/ready`).then((r) => r.status, () => 0)) === 200;
      const envoySeesHealthy = async (broker: string) => {
        const hosts = (await readRouting(e.envoyAdminUrl, rig.topology)).listeners.flatMap((x) => x.hosts).filter((h) => h.host === broker);
        return hosts.length > 0 && hosts.every((h) => h.healthy);
      };
      const routesPrimary = async () => {
        const r = JSON.parse((await rig.cli(['routing', '--once', '--json'])).stdout) as { activeCluster: string };
        return r.activeCluster === 'primary';
      };

      // 1. Envoy.
      const envoy = childPid(l.envoyStateFile);
      process.kill(envoy, 'SIGKILL');
      await comesBack('envoy', 1, async () => (await adminReady()) && (await routesPrimary()));
      expect(childPid(l.envoyStateFile)).not.toBe(envoy);
      const afterEnvoy = acks;
      await waitFor(() => acks > afterEnvoy + 10, { what: 'acknowledgements after Envoy came back', timeoutMs: 60_000, intervalMs: 100 });

      // 2. A stand-in (the node process; its JVM is left behind and must be cleaned up by the supervisor).
      const standin = childPid(l.brokerStateFile('primary-broker-1'));
      const orphanJvm = childrenOf(standin).find((c) => processName(c) === 'java');
      expect(orphanJvm).toBeGreaterThan(0);
      process.kill(standin, 'SIGKILL');
      await comesBack('primary-broker-1', 1, async () => (await envoySeesHealthy('primary-broker-1')) && (await routesPrimary()));
      await waitFor(() => (processName(orphanJvm!) === undefined ? true : undefined), { what: 'the orphaned JVM to be gone', timeoutMs: 10_000, intervalMs: 100 });

      // 3. A broker's JVM (its stand-in exits with it and is restarted).
      const standin2 = childPid(l.brokerStateFile('primary-broker-2'));
      const jvm = childrenOf(standin2).find((c) => processName(c) === 'java')!;
      process.kill(jvm, 'SIGKILL');
      await comesBack('primary-broker-2', 1, async () => (await envoySeesHealthy('primary-broker-2')) && (await routesPrimary()));
      const afterAll3 = acks;
      await waitFor(() => acks > afterAll3 + 20, { what: 'acknowledgements after the last crash', timeoutMs: 90_000, intervalMs: 100 });
    } finally {
      producer.stop();
      await running.catch(() => undefined);
    }

    // status: the three restarts, how each ended, nothing else restarted.
    const status = JSON.parse((await rig.cli(['status', '--json'])).stdout) as { parts: PartStatus[] };
    const byName = new Map(status.parts.map((p) => [p.name, p]));
    expect(byName.get('envoy')).toMatchObject({ running: true, restarts: 1, lastExit: 'was killed by SIGKILL' });
    expect(byName.get('primary-broker-1')).toMatchObject({ running: true, restarts: 1, lastExit: 'was killed by SIGKILL' });
    expect(byName.get('primary-broker-2')).toMatchObject({ running: true, restarts: 1 });
    expect(byName.get('primary-broker-2')!.lastExit).toMatch(/^exited with code [1-9]\d*$/);
    for (const p of status.parts.filter((x) => !['envoy', 'primary-broker-1', 'primary-broker-2'].includes(x.name))) expect(p, p.name).toMatchObject({ running: true, restarts: 0 });
    const text = (await rig.cli(['status'])).stdout;
    expect(text).toMatch(/Envoy\s+running\s+admin \S+\s+restarts 1 \(last: was killed by SIGKILL \d\d:\d\d:\d\d\)/);
    expect(text).toMatch(/primary-broker-1\s.*1 \(last: was killed by SIGKILL/);

    // Every acknowledged message is where its ack said.
    const scan = await scanLedger(ledgerFile, 'test-topic', rig.endpoints.direct);
    rmSync(work, { recursive: true, force: true });
    expect(scan.checked).toBeGreaterThan(40);
    expect(scan.missing, JSON.stringify(scan.missingSamples)).toBe(0);
  }, 420_000);

  it('a part stopped on purpose is never restarted', async () => {
    const r = await rig.cli(['broker', 'stop', 'secondary-broker-0']);
    expect(r.exitCode, r.stderr).toBe(0);
    // Its supervisor ended with it: no process is left that could restart it.
    const rec = readProcessRecord(localLayout(rig.project).brokerPidFile('secondary-broker-0'));
    expect(rec).toBeUndefined();
    expect(await part('secondary-broker-0')).toMatchObject({ running: false, restarts: 0 });
  });
});

describe('start on a recorded demo', () => {
  it('brings back a broker stopped on purpose and an Envoy whose supervisor was killed, then says everything runs', async () => {
    // secondary-broker-0 was stopped by the previous test; now Envoy's supervisor is killed alone: nothing
    // would restart Envoy, which runs on orphaned, holding its ports, until `start` ends it and starts both.
    const envoyRecord = readProcessRecord(localLayout(rig.project).envoyPidFile)!;
    const orphan = childPid(localLayout(rig.project).envoyStateFile);
    process.kill(envoyRecord.pid, 'SIGKILL');
    await waitFor(async () => !(await part('envoy')).running, { what: 'Envoy to be down', timeoutMs: 10_000, intervalMs: 100 });
    const down = (await rig.cli(['status'])).stdout;
    expect(down).toMatch(/Envoy\s+stopped/);

    const resumed = await rig.cli(['start', '--runtime', 'local'], { timeoutMs: 240_000 });
    expect(resumed.exitCode, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/Resumed in \d+\.\d s: started envoy, secondary-broker-0 again \(the rest was running\)/);
    for (const p of await parts()) expect(p.running, p.name).toBe(true);
    expect(processName(orphan), 'the orphaned Envoy').toBeUndefined();

    const again = await rig.cli(['start']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout.trim()).toBe(`The local demo in ${rig.project} is already running: every part is up, nothing to start.`);

    const other = await rig.cli(['start', '--runtime', 'docker']);
    expect(other.exitCode).toBe(1);
    expect(other.stderr).toMatch(/a local-runtime demo is running in .*; --runtime docker would start a second one/);
  }, 300_000);
});
