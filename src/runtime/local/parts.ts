/**
 * The local runtime's parts (Envoy, the controller, each broker) as processes: their files (./layout.ts),
 * the brokers' data, the installs they need, their rendered configs, each spawned detached under its
 * supervisor (./supervised.ts), and the error when a supervisor is gone.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { brokersOf, CLUSTER_NAMES, type BrokerRef, type ClusterName, type Topology } from '../../config/topology.js';
import { LDS_FILE, renderEnvoyConfig, renderListenerFile } from '../../render/envoy.js';
import { FENCED_CHOICE, LDS_DIR, listenerChoicePath, renderControllerConfig } from '../../render/controller.js';
import { renderFencedListenerFile, renderReplicatorConfig } from '../../render/replicator.js';
import { renderRedpandaYaml } from '../../render/redpanda.js';
import { ensureEnvoy, ensureJava, ensureKafka } from '../../util/installs.js';
import { UserError } from '../../util/errors.js';
import { writeFileAtomic } from '../../util/fs.js';
import { PACKAGE_ROOT } from '../../util/paths.js';
import type { Progress } from '../types.js';
import { requireBroker } from '../broker-lookup.js';
import { assertDataFits, dataStamp } from '../data-stamp.js';
import type { LocalLayout } from './layout.js';
import type { ProcessRecord } from './processes.js';
import { kafkaCdsArchive, standinScript } from './setup.js';
import { partGoneMessage, spawnSupervised, supervisorRunning, supervisorScript, type PartFiles } from './supervised.js';

export interface Installs {
  kafkaLibs: string;
  envoyBin: string;
}

/** "Envoy, the controller and 6 brokers" / "primary-broker-0". */
export function describeParts(names: readonly string[]): string {
  const brokers = names.filter((n) => n !== 'envoy' && n !== 'controller' && n !== 'replicator');
  const words = [
    ...(names.includes('envoy') ? ['Envoy'] : []),
    ...(names.includes('controller') ? ['the failover controller'] : []),
    ...(names.includes('replicator') ? ['the replicator (MirrorMaker 2)'] : []),
    ...(brokers.length > 2 ? [`${brokers.length} brokers (Kafka + Schema Registry stand-ins)`] : brokers),
  ];
  return words.length > 1 ? `${words.slice(0, -1).join(', ')} and ${words.at(-1)}` : (words[0] ?? 'nothing');
}

/** Where a part's supervisor keeps its PID file, state file and log. */
export function partFiles(l: LocalLayout, name: string): PartFiles {
  if (name === 'envoy') return { name, pidFile: l.envoyPidFile, stateFile: l.envoyStateFile, log: l.envoyLog };
  if (name === 'controller') return { name, pidFile: l.controllerPidFile, stateFile: l.controllerStateFile, log: l.controllerLog };
  if (name === 'replicator') return { name, pidFile: l.replicatorPidFile, stateFile: l.replicatorStateFile, log: l.replicatorLog };
  return { name, pidFile: l.brokerPidFile(name), stateFile: l.brokerStateFile(name), log: l.brokerLog(name) };
}

/** Names of every broker with a folder here (also ones from an earlier topology). */
export function brokerFolders(l: LocalLayout): string[] {
  return existsSync(l.brokersDir) ? readdirSync(l.brokersDir) : [];
}

/** Brokers with a data folder here (also ones from an earlier topology). */
export function brokersWithData(l: LocalLayout): string[] {
  return brokerFolders(l).filter((n) => existsSync(l.dataDir(n)) && readdirSync(l.dataDir(n)).length > 0);
}

/** Removes every broker's data and the data stamp; returns the brokers that had data. */
export function removeData(l: LocalLayout): string[] {
  const names = brokersWithData(l);
  for (const n of brokerFolders(l)) rmSync(l.dataDir(n), { recursive: true, force: true });
  rmSync(l.dataStampFile, { force: true });
  return names;
}

/** The brokers' data, if any, was made by this topology (../data-stamp.ts); `fresh` discards it first. */
export function checkData(t: Topology, l: LocalLayout, progress: Progress, fresh: boolean): void {
  const withData = brokersWithData(l);
  if (withData.length === 0) return;
  if (fresh) {
    removeData(l);
    progress.info(`--fresh: removed the data of ${withData.length} broker(s) from an earlier run`);
    return;
  }
  assertDataFits(l.dataStampFile, dataStamp(t, 'local'), l.brokersDir);
}

/** Java, Kafka's jars and Envoy (installed when missing), and the compiled scripts the parts run. */
export async function localInstalls(t: Topology, progress: Progress): Promise<Installs> {
  progress.step('checking Java, Kafka and Envoy installs');
  await ensureJava();
  const kafkaLibs = await ensureKafka(t.local.kafkaVersion, progress);
  const envoyBin = await ensureEnvoy(progress);
  for (const script of [standinScript(), supervisorScript()]) {
    if (!existsSync(script)) throw new UserError(`${script} is missing`, 'build the project first: `npm run build`');
  }
  progress.done('Java, Kafka and Envoy ready');
  return { kafkaLibs, envoyBin };
}

/**
 * Writes each broker's redpanda.yaml and Envoy's envoy.yaml (fresh on every start); under `coherent`
 * also Envoy's listener file (on the primary), the two choices and the controller's config.
 */
export function renderLocal(t: Topology, l: LocalLayout, kafkaLibs: string): void {
  for (const b of brokersOf(t)) writeFileAtomic(l.redpandaYaml(b.name), renderRedpandaYaml(t, b, 'local'));
  const ldsDir = join(l.envoyDir, LDS_DIR);
  writeFileAtomic(l.envoyYaml, renderEnvoyConfig(t, 'local', { ldsDir }));
  if (t.failover.policy !== 'coherent') return;
  writeFileAtomic(l.controllerConfig, renderControllerConfig(t, 'local'));
  if (t.replication.mode === 'shadow') {
    writeFileAtomic(join(l.envoyDir, FENCED_CHOICE), renderFencedListenerFile());
    writeFileAtomic(l.replicatorConfig, renderReplicatorConfig(t, { target: 'local', kafkaLibs, workDir: l.replicatorDir }));
  }
  for (const c of CLUSTER_NAMES) writeFileAtomic(join(l.envoyDir, listenerChoicePath(c)), renderListenerFile(t, 'local', c));
  writeFileAtomic(join(ldsDir, LDS_FILE), renderListenerFile(t, 'local', 'primary'));
}

/** The failover controller (coherent policy). */
function spawnController(l: LocalLayout): ProcessRecord {
  const main = join(PACKAGE_ROOT, 'dist', 'controller', 'main.js');
  return spawnSupervised(partFiles(l, 'controller'), [process.execPath, main, '--config', l.controllerConfig], l.envoyDir);
}

/** The replicator (replication: shadow): MirrorMaker 2 between the clusters, and its API. */
function spawnReplicator(l: LocalLayout): ProcessRecord {
  const main = join(PACKAGE_ROOT, 'dist', 'replication', 'main.js');
  return spawnSupervised(partFiles(l, 'replicator'), [process.execPath, main, '--config', l.replicatorConfig], l.replicatorDir);
}

/** A broker's Kafka and Schema Registry stand-in, configured from its rendered redpanda.yaml. */
export function spawnBroker(t: Topology, l: LocalLayout, b: BrokerRef, kafkaLibs: string): ProcessRecord {
  return spawnSupervised(
    partFiles(l, b.name),
    [
      process.execPath, standinScript(),
      '--config', l.redpandaYaml(b.name),
      '--data-dir', l.dataDir(b.name),
      '--work-dir', l.brokerDir(b.name),
      '--kafka-libs', kafkaLibs,
      '--heap-mb', String(t.local.heapMb),
      '--recovery-behaviour', t.local.recoveryBehaviour,
      '--cds-archive', kafkaCdsArchive(t.local.kafkaVersion),
    ],
    l.brokerDir(b.name),
  );
}

function spawnEnvoy(t: Topology, l: LocalLayout, envoyBin: string): ProcessRecord {
  return spawnSupervised(
    partFiles(l, 'envoy'),
    // --disable-hot-restart: no shared-memory base id, so several rigs (tests) can run side by side.
    [
      envoyBin, '-c', l.envoyYaml, '--disable-hot-restart', '--concurrency', String(t.envoy.concurrency), '--log-level', 'warn',
      // coherent: the controller's listener switch closes connections to the old cluster at once.
      ...(t.failover.policy === 'coherent' ? ['--drain-time-s', '0', '--drain-strategy', 'immediate'] : []),
    ],
    l.envoyDir,
  );
}

/** Spawns one part ('envoy', 'controller' or a broker's name) under its supervisor. */
export function spawnPart(t: Topology, l: LocalLayout, name: string, installs: Installs): void {
  if (name === 'envoy') spawnEnvoy(t, l, installs.envoyBin);
  else if (name === 'controller') spawnController(l);
  else if (name === 'replicator') spawnReplicator(l);
  else spawnBroker(t, l, requireBroker(t, name), installs.kafkaLibs);
}

/** An error for a part whose supervisor is gone (gave up after repeated crashes, or was stopped), with its log's tail. */
export function partGone(t: Topology, l: LocalLayout, name: string): Error | undefined {
  if (name === 'controller' && t.failover.policy !== 'coherent') return undefined;
  if (name === 'replicator' && t.replication.mode !== 'shadow') return undefined;
  const part = partFiles(l, name);
  if (supervisorRunning(part)) return undefined;
  const label = name === 'envoy' ? 'Envoy' : name === 'controller' ? 'the failover controller' : name === 'replicator' ? 'the replicator' : name;
  return new UserError(partGoneMessage(part, label));
}

/** The error for the first broker (of `cluster`, or just `only`) whose supervisor is gone. */
export function brokerGone(t: Topology, l: LocalLayout, cluster?: ClusterName, only?: BrokerRef): Error | undefined {
  for (const b of only ? [only] : brokersOf(t, cluster)) {
    const e = partGone(t, l, b.name);
    if (e) return e;
  }
  return undefined;
}
