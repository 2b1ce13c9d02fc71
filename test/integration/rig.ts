/**
 * Shared integration-test rig: a real local runtime (Kafka brokers, Schema Registry stand-ins, Envoy) in
 * a temporary project folder, on its own port range.
 *
 *   const rig = await startRig({ name: 'routing', portBase: 21000, healthCheck: FAST_HEALTH_CHECK });
 *   afterAll(() => rig?.stop());
 *
 * After startRig resolves, CLI commands run through rig.cli() act on this rig (state.json is written,
 * FAILOVER_DEMO_DIR points at rig.project). Every rig records its project folder in the registry folder
 * that test/integration/global-setup.ts creates; that setup's teardown stops any rig a crashed test file
 * left behind, so no JVM outlives `vitest run`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { defaultTopology, type FailoverSettings, type HealthCheckSettings, type Topology } from '../../src/config/topology.js';
import { createLocalRuntime } from '../../src/runtime/local/index.js';
import { onPortRange } from '../../src/runtime/ports.js';
import { writeState } from '../../src/runtime/state.js';
import type { Endpoints, Runtime } from '../../src/runtime/types.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';

export interface RigOptions {
  /** Short name, used in the temp folder's name. */
  name: string;
  /** First port of this rig's range; a rig uses ports portBase+92 … portBase+2200 or so. */
  portBase: number;
  brokers?: number;
  healthCheck?: Partial<HealthCheckSettings>;
  /**
   * Failover settings. Rigs default to the `per-broker` policy (the tests written for the PoC's layout);
   * `coherent` rigs get a 2 s failback hold so drills stay short.
   */
  failover?: Partial<FailoverSettings>;
  /** Replication (replication.mode: shadow runs the replicator, MirrorMaker 2). */
  replication?: Partial<Topology['replication']>;
}

export { FAST_HEALTH_CHECK } from '../../src/config/topology.js';

export function rigTopology(o: RigOptions): Topology {
  const t = defaultTopology();
  t.project = `failover-demo-${o.name}`;
  if (o.brokers !== undefined) t.brokers = o.brokers;
  onPortRange(t, o.portBase);
  t.healthCheck = { ...t.healthCheck, ...o.healthCheck };
  t.failover = { ...t.failover, policy: 'per-broker', failbackHoldMs: 2_000, ...o.failover };
  t.replication = { ...t.replication, ...o.replication };
  // Replication cannot exceed the cluster size.
  t.topics = t.topics.map((s) => ({ ...s, replicationFactor: Math.min(s.replicationFactor, t.brokers) }));
  return t;
}

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Rig {
  project: string;
  topology: Topology;
  runtime: Runtime;
  endpoints: Endpoints;
  /** Runs `node bin/failover-demo.js ...args` with FAILOVER_DEMO_DIR=project (never throws on exit code). */
  cli(args: string[], opts?: { timeoutMs?: number; env?: Record<string, string> }): Promise<CliResult>;
  /** Stops every process of the rig and removes its folder (kept when FAILOVER_DEMO_KEEP_RIGS=1). Safe twice. */
  stop(): Promise<void>;
}

/** Env var naming the folder where rigs register their project folders (set by the global setup). */
export const RIG_REGISTRY_ENV = 'FAILOVER_DEMO_RIG_REGISTRY';

function registryEntry(project: string): string | undefined {
  const dir = process.env[RIG_REGISTRY_ENV];
  if (!dir) return undefined;
  return join(dir, `${project.replace(/[^A-Za-z0-9._-]/g, '_')}.json`);
}

/** Runs the CLI against a project folder. */
export async function runCli(project: string, args: string[], opts: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<CliResult> {
  const r = await execa(process.execPath, [join(PACKAGE_ROOT, 'bin', 'failover-demo.js'), ...args], {
    env: { ...opts.env, FAILOVER_DEMO_DIR: project, FORCE_COLOR: '0', NO_COLOR: '1' },
    reject: false,
    timeout: opts.timeoutMs ?? 120_000,
    stdin: 'ignore',
  });
  return { exitCode: r.exitCode ?? 1, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

export async function startRig(o: RigOptions): Promise<Rig> {
  const project = mkdtempSync(join(tmpdir(), `failover-demo-rig-${o.name}-`));
  const topology = rigTopology(o);
  const runtime = createLocalRuntime(topology, { projectDir: project });
  const entry = registryEntry(project);
  if (entry) {
    mkdirSync(join(entry, '..'), { recursive: true });
    writeFileSync(entry, JSON.stringify({ project, topology }) + '\n');
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runtime.stop();
    if (entry) rmSync(entry, { force: true });
    if (process.env.FAILOVER_DEMO_KEEP_RIGS !== '1') rmSync(project, { recursive: true, force: true });
  };
  try {
    await runtime.start();
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  writeState(project, { runtime: 'local', topology, startedAt: new Date().toISOString() });
  return {
    project,
    topology,
    runtime,
    endpoints: runtime.endpoints(),
    cli: (args, opts) => runCli(project, args, opts),
    stop,
  };
}

/** Stops the rig registered in a registry entry file (used by the global teardown). */
export async function stopRegisteredRig(entryFile: string): Promise<string | undefined> {
  let rec: { project: string; topology: Topology };
  try {
    rec = JSON.parse(readFileSync(entryFile, 'utf8'));
  } catch {
    rmSync(entryFile, { force: true });
    return undefined;
  }
  await createLocalRuntime(rec.topology, { projectDir: rec.project }).stop();
  rmSync(entryFile, { force: true });
  if (process.env.FAILOVER_DEMO_KEEP_RIGS !== '1') rmSync(rec.project, { recursive: true, force: true });
  return rec.project;
}
