/**
 * Data that outlives its topology, on the local runtime: a 3-broker demo is started and stopped, then a
 * 1-broker start (and one with another Kafka version) must refuse within seconds, starting nothing and
 * saying what changed; `stop --volumes --yes` with no demo recorded removes the data; then the 1-broker
 * demo starts on a clean slate.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { FAST_HEALTH_CHECK, rigTopology, runCli } from './rig.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { localLayout } from '../../src/runtime/local/layout.js';
import { portFree } from '../../src/runtime/ports.js';
import { localPortClaims } from '../../src/runtime/local/setup.js';
import type { Topology } from '../../src/config/topology.js';

const project = mkdtempSync(join(tmpdir(), 'failover-demo-stamp-'));
const three = rigTopology({ name: 'stamp', portBase: 29000, healthCheck: FAST_HEALTH_CHECK });
const one = rigTopology({ name: 'stamp', portBase: 29000, healthCheck: FAST_HEALTH_CHECK, brokers: 1 });
const layout = localLayout(project);

afterAll(async () => {
  await createLocalRuntime(three, { projectDir: project }).stop();
  rmSync(project, { recursive: true, force: true });
});

const dataDirs = () => (existsSync(layout.brokersDir) ? readdirSync(layout.brokersDir).filter((n) => existsSync(layout.dataDir(n))) : []);

/** A start that must refuse at once: the error, how long it took, and that nothing runs or holds a port. */
async function refusedStart(t: Topology): Promise<{ message: string; hint?: string; ms: number }> {
  const t0 = Date.now();
  const err = await createLocalRuntime(t, { projectDir: project }).start().then(() => undefined, (e: Error & { hint?: string }) => e);
  const ms = Date.now() - t0;
  expect(err, 'start should have refused').toBeDefined();
  for (const c of localPortClaims(t)) expect(await portFree(c.port), `port ${c.port} (${c.purpose})`).toBe(true);
  return { message: err!.message, ...(err!.hint ? { hint: err!.hint } : {}), ms };
}

describe('a changed configuration does not start on old data', () => {
  it('3 brokers started and stopped leave data stamped with their topology', async () => {
    const rt = createLocalRuntime(three, { projectDir: project });
    await rt.start();
    await rt.stop();
    expect(dataDirs()).toHaveLength(6);
    expect(existsSync(layout.dataStampFile)).toBe(true);
  }, 240_000);

  it('a 1-broker start refuses within seconds, naming the change and the fix, starting nothing', async () => {
    const r = await refusedStart(one);
    expect(r.ms).toBeLessThan(5_000);
    expect(r.message).toMatch(/was made by another configuration \(brokers per cluster 3 → 1\)/);
    expect(r.hint).toMatch(/failover-demo stop --volumes.*failover-demo start --fresh/);
    expect(dataDirs()).toHaveLength(6); // nothing touched
  });

  it('another Kafka version refuses the same way', async () => {
    const r = await refusedStart({ ...three, local: { ...three.local, kafkaVersion: '3.8.1' } });
    expect(r.ms).toBeLessThan(5_000);
    expect(r.message).toMatch(/Apache Kafka 3\.9\.\d+ \(stand-in\) → Apache Kafka 3\.8\.1 \(stand-in\)/);
  });

  it('stop --volumes --yes with no demo recorded removes the data and says so; then the 1-broker demo starts', async () => {
    const config = join(project, 'one.yaml');
    writeFileSync(config, stringify({ project: one.project }));
    const r = await runCli(project, ['stop', '--volumes', '--yes', '--config', config]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/No demo was recorded as running in .*; its brokers' data was removed/);
    expect(r.stderr).toMatch(/removed the data of 6 broker\(s\)/);
    expect(dataDirs()).toEqual([]);
    expect(existsSync(layout.dataStampFile)).toBe(false);

    const rt = createLocalRuntime(one, { projectDir: project });
    try {
      await rt.start();
      expect((await rt.status()).brokers.every((b) => b.running)).toBe(true);
    } finally {
      await rt.stop();
    }
  }, 240_000);
});
