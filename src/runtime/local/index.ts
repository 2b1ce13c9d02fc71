/**
 * The `local` runtime: the demo as processes on this machine, everything on 127.0.0.1.
 *
 *  - per broker, the Redpanda stand-in (src/standin/broker.ts): a Kafka 3.9 KRaft broker configured from
 *    the broker's rendered redpanda.yaml, plus its Schema Registry stand-in;
 *  - one real Envoy with the rendered local envoy.yaml.
 *
 * Processes run detached (they outlive `start`) and are tracked by PID files under
 * <project>/.failover-demo/local/ (see ./layout.ts); `stop` ends exactly those process groups.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { brokersOf, CLUSTER_NAMES, localPorts, type BrokerRef, type ClusterName, type Topology } from '../../config/topology.js';
import { readRecoveryMode, setRecoveryModeInFile } from '../../config/redpanda-yaml-edit.js';
import { ensureKafka } from '../../util/installs.js';
import { httpGetStatus, tcpAccepts } from '../../util/net.js';
import { UserError } from '../../util/errors.js';
import { WaitTimeoutError } from '../../util/wait.js';
import {
  silentProgress,
  type BrokerChange,
  type BrokerStartOptions,
  type BrokerStatus,
  type CrashResult,
  type Endpoints,
  type Progress,
  type Runtime,
  type RuntimeContext,
  type RuntimeStatus,
  type StartOptions,
} from '../types.js';
import { requireBroker } from '../broker-lookup.js';
import { readinessPlan } from '../broker-readiness.js';
import { dataStamp, writeDataStamp } from '../data-stamp.js';
import { envoyRejection, validateRuntimeEnvoy } from '../envoy-check.js';
import { assertPortsFree } from '../ports.js';
import { failedChecksError } from '../preflight.js';
import { waitAlive, waitReady } from '../ready.js';
import { waitServing, watchServingEnd, type ServingProbe } from '../serving.js';
import { crashPart } from './crash.js';
import { brokerFolders, brokerGone, checkData, describeParts, localInstalls, partFiles, partGone, removeData, renderLocal, spawnBroker, spawnPart, type Installs } from './parts.js';
import { localLayout, type LocalLayout } from './layout.js';
import { localPreflight } from './preflight.js';
import { isRunning, readProcessRecord, stopRecorded, type ProcessRecord } from './processes.js';
import { brokersInMetadata } from './readiness.js';
import { localEndpoints, partNames, partPortClaims, localPortClaims } from './setup.js';
import { partStatus, supervisorRunning, type PartFiles } from './supervised.js';

/** How long start-up phases may take on a slow machine before we give up with the logs' tail. */
const BROKERS_READY_TIMEOUT_MS = 180_000;
const BROKER_PORT_TIMEOUT_MS = 120_000;
/** SIGTERM → SIGKILL grace per process group when the whole rig stops. */
const WHOLE_RIG_STOP_GRACE_MS = 8_000;

export { kafkaCdsArchive, localEndpoints, localPortClaims, standinScript } from './setup.js';

class LocalRuntime implements Runtime {
  readonly kind = 'local' as const;
  private readonly layout: LocalLayout;

  constructor(
    readonly topology: Topology,
    private readonly ctx: RuntimeContext,
  ) {
    this.layout = localLayout(ctx.projectDir);
  }

  endpoints(): Endpoints {
    return localEndpoints(this.topology);
  }

  private part(name: string): PartFiles {
    return partFiles(this.layout, name);
  }

  private parts(): PartFiles[] {
    return partNames(this.topology).map((n) => this.part(n));
  }

  private runningRecords(): ProcessRecord[] {
    const files = [this.layout.envoyPidFile, this.layout.controllerPidFile, this.layout.replicatorPidFile, ...brokerFolders(this.layout).map((n) => this.layout.brokerPidFile(n))];
    return files.map(readProcessRecord).filter((r): r is ProcessRecord => isRunning(r));
  }

  async start(options: StartOptions = {}): Promise<void> {
    const progress = options.progress ?? silentProgress;
    const t = this.topology;
    if (this.runningRecords().length > 0) {
      throw new UserError(`the local demo is already running in ${this.ctx.projectDir}`, '`failover-demo start` resumes it; or `failover-demo stop` first');
    }
    checkData(t, this.layout, progress, options.fresh === true);
    await this.preflight(progress);
    progress.step('checking that every port is free');
    await assertPortsFree(localPortClaims(t));
    progress.done(`${localPortClaims(t).length} ports free on 127.0.0.1`);
    const installs = await localInstalls(this.topology, progress);
    options.signal?.throwIfAborted();

    renderLocal(t, this.layout, installs.kafkaLibs);
    await this.validateEnvoy(installs.envoyBin, progress);
    writeDataStamp(this.layout.dataStampFile, dataStamp(t, 'local'));
    await this.launch(partNames(t), installs, options, 'stopping what was started');
  }

  /**
   * `envoy --mode validate` on the rendered configuration (listener file inline: ../../envoy/validate.ts),
   * so a rejected setting stops `start` within a second, before anything runs, with one line naming it.
   */
  private async validateEnvoy(envoyBin: string, progress: Progress): Promise<void> {
    progress.step("checking Envoy's configuration (envoy --mode validate)");
    const v = await validateRuntimeEnvoy(this.topology, 'local', { dir: join(this.layout.envoyDir, 'validate'), envoyBin, envoyDir: this.layout.envoyDir });
    if (!v.ok) throw envoyRejection(this.topology, v);
    progress.done('Envoy accepts its configuration');
  }

  async resume(options: StartOptions = {}): Promise<string[]> {
    const progress = options.progress ?? silentProgress;
    if (!existsSync(this.layout.envoyYaml)) {
      throw new UserError(`the local demo's files are missing from ${this.layout.root}`, 'run `failover-demo stop`, then `failover-demo start`');
    }
    const missing = this.parts().filter((p) => !supervisorRunning(p)).map((p) => p.name);
    if (missing.length === 0) {
      await this.waitRigReady(progress, options.signal);
      return [];
    }
    await this.preflight(progress);
    // A part whose supervisor was killed alone leaves its process (Envoy, a JVM) in the group: end it.
    await Promise.all(missing.map((n) => stopRecorded(this.part(n).pidFile, WHOLE_RIG_STOP_GRACE_MS)));
    progress.step(`checking the ports of ${missing.join(', ')}`);
    const claims = missing.flatMap((n) => partPortClaims(this.topology, n));
    await assertPortsFree(claims);
    progress.done(`${claims.length} ports free on 127.0.0.1`);
    const installs = await localInstalls(this.topology, progress);
    await this.launch(missing, installs, options, `stopping ${missing.join(', ')} again (the rest keeps running)`);
    return missing;
  }

  /**
   * Java, Envoy, Kafka and memory (./preflight.ts, as `doctor --runtime local` checks them) before anything
   * starts; the ports are checked by the caller, for the parts it starts.
   */
  private async preflight(progress: Progress): Promise<void> {
    progress.step('checking Java, Envoy, Kafka and memory');
    const err = failedChecksError(await localPreflight(this.topology, { skipPorts: true }));
    if (err) throw err;
    progress.done('local pre-flight checks passed');
  }

  /** Spawns `names` under supervisors and waits until ready; on failure stops exactly those again. */
  private async launch(names: string[], installs: Installs, options: StartOptions, undo: string): Promise<void> {
    const progress = options.progress ?? silentProgress;
    const signal = options.signal;
    try {
      progress.step(`starting ${describeParts(names)}`);
      for (const n of names) spawnPart(this.topology, this.layout, n, installs);
      progress.done(`started ${describeParts(names)}`);
      await this.waitRigReady(progress, signal);
    } catch (err) {
      progress.step(`start failed: ${undo}`);
      if (names.length === partNames(this.topology).length) await this.stop();
      else await Promise.all(names.map((n) => stopRecorded(this.part(n).pidFile, WHOLE_RIG_STOP_GRACE_MS)));
      progress.done('stopped');
      if (signal?.aborted) throw new UserError('start interrupted: everything it started was stopped', undefined, 130);
      if (err instanceof WaitTimeoutError) throw new UserError(err.message, `logs are in ${this.layout.root}`);
      throw err;
    }
  }

  /**
   * Every cluster answers metadata; then the shared end of a start (../ready.ts): Envoy sees every broker
   * that should serve (running, not in recovery mode) healthy, the controller decides, topics and group
   * coordinators, the replicator copies (replication: shadow). Gives up at once with the log's tail when a part's supervisor gives up.
   */
  private async waitRigReady(progress: Progress, signal?: AbortSignal): Promise<void> {
    const t = this.topology;
    for (const cluster of CLUSTER_NAMES) {
      progress.step(`waiting for the ${cluster} cluster's ${t.brokers} brokers to answer metadata`);
      await waitAlive(
        async () => (await brokersInMetadata(this.endpoints().direct[cluster])) === t.brokers,
        () => this.deadBroker(cluster),
        { what: `${cluster} brokers to answer metadata`, timeoutMs: BROKERS_READY_TIMEOUT_MS, intervalMs: 500, signal },
      );
      progress.done(`${cluster} cluster: ${t.brokers} brokers answer metadata`);
    }
    await waitReady({
      topology: t,
      endpoints: this.endpoints(),
      progress,
      signal,
      serving: new Set(brokersOf(t).filter((b) => !readRecoveryMode(this.layout.redpandaYaml(b.name))).map((b) => b.name)),
      watch: (part) =>
        part === 'envoy'
          ? () => this.deadPart('envoy') ?? this.deadBroker()
          : part === 'replicator'
            ? () => this.deadPart('replicator')
            : () => this.deadPart('controller') ?? this.deadPart('envoy'),
      envoyTimeoutMs: 30_000 + 10 * t.healthCheck.intervalMs,
      controllerTimeoutMs: 30_000,
      clusterHint: `check the brokers with \`failover-demo status\`; their logs are in ${this.layout.root}`,
    });
  }

  private deadPart(name: string): Error | undefined {
    return partGone(this.topology, this.layout, name);
  }

  private deadBroker(cluster?: ClusterName, only?: BrokerRef): Error | undefined {
    return brokerGone(this.topology, this.layout, cluster, only);
  }

  async stop(options: { progress?: Progress; removeData?: boolean } = {}): Promise<void> {
    const progress = options.progress ?? silentProgress;
    const names = brokerFolders(this.layout);
    progress.step('stopping Envoy, the controller and the brokers');
    const stopped = await Promise.all([
      stopRecorded(this.layout.envoyPidFile, 5_000),
      stopRecorded(this.layout.controllerPidFile, 5_000),
      stopRecorded(this.layout.replicatorPidFile, 5_000),
      // The whole cluster stops at once, so a controller may wait for a quorum that is going away: short grace.
      ...names.map((n) => stopRecorded(this.layout.brokerPidFile(n), WHOLE_RIG_STOP_GRACE_MS)),
    ]);
    progress.done(`stopped ${stopped.filter(Boolean).length} process group(s)`);
    if (options.removeData) {
      const removed = removeData(this.layout);
      progress.info(removed.length ? `removed the data of ${removed.length} broker(s) in ${this.layout.brokersDir}` : `no broker data in ${this.layout.brokersDir}`);
    }
  }

  async status(): Promise<RuntimeStatus> {
    const brokers: BrokerStatus[] = brokersOf(this.topology).map((b) => {
      const r = readProcessRecord(this.layout.brokerPidFile(b.name));
      const running = isRunning(r);
      return {
        name: b.name,
        cluster: b.cluster,
        index: b.index,
        running,
        recoveryMode: readRecoveryMode(this.layout.redpandaYaml(b.name)),
        ...(running && r ? { id: String(r.pid) } : {}),
      };
    });
    return {
      kind: 'local',
      parts: this.parts().map(partStatus),
      envoyRunning: supervisorRunning(this.part('envoy')),
      ...(this.topology.failover.policy === 'coherent' ? { controllerRunning: supervisorRunning(this.part('controller')) } : {}),
      brokers,
    };
  }

  async crash(name: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<CrashResult> {
    if (!partNames(this.topology).includes(name)) {
      throw new UserError(`no part named "${name}"`, `parts are: ${partNames(this.topology).join(', ')}`);
    }
    const b = name === 'envoy' || name === 'controller' ? undefined : requireBroker(this.topology, name);
    return crashPart(this.part(name), {
      ...options,
      serving: async () => {
        const t = this.topology;
        if (name === 'envoy') return (await httpGetStatus('127.0.0.1', t.envoy.adminPort, '/ready', 1_000)) === 200;
        if (name === 'controller') return (await httpGetStatus('127.0.0.1', t.failover.controllerPort, '/healthz', 1_000)) === 200;
        if (!(await tcpAccepts('127.0.0.1', localPorts(t, b!).direct))) return false;
        return readRecoveryMode(this.layout.redpandaYaml(name)) || this.servingProbe(b!)();
      },
    });
  }

  async stopBroker(name: string): Promise<BrokerChange> {
    const b = requireBroker(this.topology, name);
    const { endedAt } = await watchServingEnd(this.servingProbe(b), () => stopRecorded(this.layout.brokerPidFile(b.name)));
    return { name: b.name, stoppedAt: Date.now(), ...(endedAt ? { servingEndedAt: endedAt } : {}) };
  }

  /** Does the broker's Schema Registry stand-in answer the health check's path with 200? */
  private servingProbe(b: BrokerRef): ServingProbe {
    const port = localPorts(this.topology, b).schemaRegistry;
    return async () => (await httpGetStatus('127.0.0.1', port, this.topology.healthCheck.path, 1_000)) === 200;
  }

  /**
   * Starts the broker if it is not running and waits for its own state (the process up); then, where its
   * cluster can have a quorum (broker-readiness.ts), until its Kafka API accepts connections. A broker
   * whose cluster has no majority running keeps waiting for its peers, as Redpanda does, and opens its
   * Kafka API only once they are back: that is reported, not waited for.
   */
  async startBroker(name: string, options: BrokerStartOptions = {}): Promise<BrokerChange> {
    const b = requireBroker(this.topology, name);
    if (!existsSync(this.layout.redpandaYaml(b.name))) {
      throw new UserError(`${b.name} has no redpanda.yaml in ${this.layout.brokersDir}`, 'start the demo first: `failover-demo start --runtime local`');
    }
    if (!isRunning(readProcessRecord(this.layout.brokerPidFile(b.name)))) {
      const kafkaLibs = await ensureKafka(this.topology.local.kafkaVersion);
      spawnBroker(this.topology, this.layout, b, kafkaLibs);
    }
    const startedAt = Date.now();
    const running = brokersOf(this.topology, b.cluster).filter((p) => isRunning(readProcessRecord(this.layout.brokerPidFile(p.name)))).map((p) => p.name);
    const plan = readinessPlan(this.topology, b, running, options.alongside);
    if (!plan.waitForReady) return { name: b.name, startedAt, note: plan.reason };
    const port = localPorts(this.topology, b).direct;
    await waitAlive(
      () => tcpAccepts('127.0.0.1', port),
      () => this.deadBroker(undefined, b),
      { what: `${b.name} to accept Kafka connections on 127.0.0.1:${port}`, timeoutMs: BROKER_PORT_TIMEOUT_MS, intervalMs: 200 },
    ).catch((err) => {
      throw err instanceof WaitTimeoutError ? new UserError(err.message, `see ${this.layout.brokerLog(b.name)}`) : err;
    });
    const readyAt = Date.now();
    // In recovery mode its Schema Registry is disabled: nothing more to wait for.
    if (readRecoveryMode(this.layout.redpandaYaml(b.name))) return { name: b.name, startedAt, readyAt, note: plan.reason };
    const servingAt = await waitServing(this.servingProbe(b), `${b.name}'s Schema Registry to answer`, BROKER_PORT_TIMEOUT_MS, async () => this.deadBroker(undefined, b)).catch((err) => {
      throw err instanceof WaitTimeoutError ? new UserError(err.message, `see ${this.layout.brokerLog(b.name)}`) : err;
    });
    return { name: b.name, startedAt, readyAt, servingAt, note: plan.reason };
  }

  async restartBroker(name: string, options: BrokerStartOptions = {}): Promise<BrokerChange> {
    const stopped = await this.stopBroker(name);
    return { ...(await this.startBroker(name, options)), stoppedAt: stopped.stoppedAt, ...(stopped.servingEndedAt ? { servingEndedAt: stopped.servingEndedAt } : {}) };
  }

  async setRecoveryMode(name: string, enabled: boolean, options: BrokerStartOptions = {}): Promise<BrokerChange> {
    const b = requireBroker(this.topology, name);
    setRecoveryModeInFile(this.layout.redpandaYaml(b.name), enabled);
    const wasRunning = isRunning(readProcessRecord(this.layout.brokerPidFile(b.name)));
    return wasRunning ? this.restartBroker(b.name, options) : this.startBroker(b.name, options);
  }
}

export function createLocalRuntime(topology: Topology, ctx: RuntimeContext): Runtime {
  return new LocalRuntime(topology, ctx);
}
