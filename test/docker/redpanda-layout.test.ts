/**
 * The brokers' Kafka listener layout against the stand-in broker image, whose Schema Registry (like
 * Redpanda's) answers only after its internal Kafka client has written and read back `_schemas` through
 * the addresses the broker's first Kafka listener advertises.
 *
 * - kafka-filter (the default; Envoy's contrib image cannot run here): the brokers alone, without Envoy,
 *   serve their Schema Registry, so the health checks can pass.
 * - the old layout (first listener advertising Envoy): the Schema Registry never answers. This is the
 *   failure the stand-in used to hide.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import { loadTopology } from '../../src/config/load.js';
import { brokersOf, type Topology } from '../../src/config/topology.js';
import { brokerConfigDir } from '../../src/render/compose.js';
import { COMPOSE_FILE, renderFiles } from '../../src/render/files.js';
import { writeRenderedFiles } from '../../src/render/write.js';
import { containerState, dockerClient, execInContainer, projectLeftovers } from '../../src/runtime/docker/engine.js';
import { waitFor } from '../../src/util/wait.js';
import type { TestProjectName } from './rig.js';

const infra = inject('dockerInfra');
const docker = dockerClient();
let current: { dir: string; t: Topology } | undefined;

function project(name: TestProjectName, rewrite: 'kafka-filter' | 'advertised'): { dir: string; t: Topology } {
  const dir = mkdtempSync(join(tmpdir(), `failover-demo-layout-${name}-`));
  const configFile = join(dir, 'failover-demo.yaml');
  writeFileSync(
    configFile,
    [
      `project: ${name}`,
      'brokers: 1',
      `rewrite: ${rewrite}`,
      'envoy:',
      `  image: ${infra.images.envoy}`,
      '  adminPort: 32711',
      '  listenerPort: 32111',
      'redpanda:',
      `  image: ${infra.images.broker}`,
      '  directPortBase: 32311',
      '  memory: 512M',
      'local:',
      '  basePort: 32600',
      '',
    ].join('\n'),
  );
  const t = loadTopology({ configFile });
  writeRenderedFiles(dir, renderFiles(t));
  return (current = { dir, t });
}

const compose = (p: { dir: string; t: Topology }, args: string[]) =>
  execa('docker', ['compose', '--project-name', p.t.project, '--project-directory', p.dir, '--file', join(p.dir, COMPOSE_FILE), ...args], {
    env: { COMPOSE_PROGRESS: 'plain' },
  });

/** The stand-in's own account of what its Schema Registry waits for (GET /v1/failover-demo/standin). */
async function standinStatus(name: string): Promise<{ status: string; schemaRegistry: string; internalClient?: { state: string; advertised: string[]; attempts: number; lastError?: string } }> {
  const r = await execInContainer(docker, name, ['curl', '-s', '--max-time', '2', 'http://localhost:9644/v1/failover-demo/standin']);
  return JSON.parse(r.output);
}

async function schemaTypesStatus(name: string): Promise<string> {
  const r = await execInContainer(docker, name, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '2', 'http://localhost:8081/schemas/types']);
  return r.output.trim();
}

afterEach(async () => {
  if (!current) return;
  await compose(current, ['down', '--volumes', '--remove-orphans', '--timeout', '5']);
  expect(await projectLeftovers(docker, current.t.project)).toEqual({ containers: [], networks: [], volumes: [] });
  current = undefined;
});

describe('broker listener layout (stand-in broker image)', () => {
  it('kafka-filter: each broker serves its Schema Registry without Envoy, its internal client reaching the brokers themselves', async () => {
    const p = project('fdlayoutkf', 'kafka-filter');
    const names = brokersOf(p.t).map((b) => b.name);
    await compose(p, ['up', '--detach', '--pull', 'never', ...names]);
    for (const name of names) {
      await waitFor(async () => (await containerState(docker, name))?.health === 'healthy', { timeoutMs: 180_000, intervalMs: 500, what: `${name} healthy` });
      await waitFor(async () => (await schemaTypesStatus(name)) === '200', { timeoutMs: 60_000, intervalMs: 500, what: `${name}'s Schema Registry to answer 200` });
      const s = await standinStatus(name);
      expect(s.internalClient?.state).toBe('ready');
      expect(s.internalClient?.advertised).toEqual([`${name}:9092`]);
    }
  }, 300_000);

  it('old layout (first Kafka listener advertising Envoy): the broker is ready but its Schema Registry never answers', async () => {
    const p = project('fdlayoutold', 'advertised');
    const b = brokersOf(p.t, 'primary')[0]!;
    // Put the listener that advertises envoy:<port> first, as the layout before this fix did.
    const file = join(p.dir, brokerConfigDir(b), 'redpanda.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    for (const key of ['kafka_api', 'advertised_kafka_api']) {
      const list = doc.getIn(['redpanda', key]) as { items: { get(k: string): unknown }[] };
      const i = list.items.findIndex((l) => l.get('name') === 'proxied');
      list.items.unshift(...list.items.splice(i, 1));
    }
    writeFileSync(file, doc.toString());
    await compose(p, ['up', '--detach', '--pull', 'never', b.name]);
    await waitFor(async () => (await containerState(docker, b.name))?.health === 'healthy', { timeoutMs: 180_000, intervalMs: 500, what: `${b.name} healthy (Kafka API up)` });
    // Its internal client keeps failing: the leader it must write to is "envoy:<port>".
    await waitFor(async () => ((await standinStatus(b.name)).internalClient?.attempts ?? 0) >= 3, { timeoutMs: 120_000, intervalMs: 500, what: 'three failed attempts of the internal client' });
    const s = await standinStatus(b.name);
    expect(s.status).toBe('ready');
    expect(s.internalClient?.state).toBe('waiting');
    // It was sent to Envoy: the metadata named envoy:<port> (or the name did not even resolve: no Envoy here).
    expect(`${s.internalClient?.advertised.join(',')} ${s.internalClient?.lastError}`).toMatch(/envoy/);
    expect(await schemaTypesStatus(b.name)).not.toBe('200');
  }, 300_000);
});
