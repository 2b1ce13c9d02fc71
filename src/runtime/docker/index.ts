/**
 * The Docker runtime: the rendered compose project (docker-compose.yml, envoy.yaml, one redpanda.yaml
 * per broker) brought up and down with `docker compose` v2, everything finer through the Engine API.
 * Readiness comes from the containers' healthchecks and Envoy's admin API, never from fixed sleeps
 * (./waits.ts). Docker supervises every part (restart policy, ./crash.ts, ./parts.ts).
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../../util/fs.js';
import { PACKAGE_ROOT, stateDir } from '../../util/paths.js';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { brokersOf, directHostPort, findBroker, type BrokerRef, type ClusterName, type Topology } from '../../config/topology.js';
import { readRecoveryMode, setRecoveryModeInFile } from '../../config/redpanda-yaml-edit.js';
import { brokerConfigDir } from '../../render/compose.js';
import { installControllerApp } from '../controller-app.js';
import { COMPOSE_FILE, renderFiles } from '../../render/files.js';
import { writeRenderedFiles } from '../../render/write.js';
import { UserError } from '../../util/errors.js';
import { watchServingEnd } from '../serving.js';
import { requireBroker } from '../broker-lookup.js';
import {
  silentProgress,
  type RuntimeContext,
  type BrokerChange,
  type BrokerStartOptions,
  type CrashResult,
  type Endpoints,
  type Progress,
  type Runtime,
  type RuntimeStatus,
  type StartOptions,
} from '../types.js';
import { composeDown, composeProject, composeUp } from './compose.js';
import { crashContainer, type CrashOptions } from './crash.js';
import { containerState, dockerClient, projectLeftovers, restartContainer, startContainer, stopContainer } from './engine.js';
import { assertDataFits, dataStamp, writeDataStamp } from '../data-stamp.js';
import { envoyRejection, validateRuntimeEnvoy } from '../envoy-check.js';
import { clearExits, partsOf, partStatus } from './parts.js';
import { dockerPreflight, preflightError } from './preflight.js';
import { waitControllerDeciding, waitReady, waitReplicating } from '../ready.js';
import { brokerServingProbe, dockerReadyScope, waitBrokerAfterStart, waitBrokerHealthy, waitEnvoyLive, type DockerScope } from './waits.js';

export function createDockerRuntime(topology: Topology, ctx: RuntimeContext): Runtime {
  return new DockerRuntime(topology, ctx.projectDir);
}

/** Docker runtime endpoints: everything through the ports published on advertisedHost. */
export function dockerEndpoints(t: Topology): Endpoints {
  const host = t.envoy.advertisedHost;
  const direct = (cluster: ClusterName) => brokersOf(t, cluster).map((b) => `${host}:${directHostPort(t, b)}`);
  return {
    envoyAdminUrl: `http://${host}:${t.envoy.adminPort}`,
    ...(t.failover.policy === 'coherent' ? { controllerUrl: `http://${host}:${t.failover.controllerPort}` } : {}),
    ...(t.replication.mode === 'shadow' ? { replicatorUrl: `http://${host}:${t.replication.replicatorPort}` } : {}),
    bootstrap: Array.from({ length: t.brokers }, (_, i) => `${host}:${t.envoy.listenerPort + i}`),
    direct: { primary: direct('primary'), secondary: direct('secondary') },
  };
}

class DockerRuntime implements Runtime {
  readonly kind = 'docker' as const;
  private readonly docker: Docker;

  constructor(
    readonly topology: Topology,
    private readonly projectDir: string,
  ) {
    this.docker = dockerClient();
  }

  endpoints(): Endpoints {
    return dockerEndpoints(this.topology);
  }

  private get scope(): DockerScope {
    return { docker: this.docker, topology: this.topology, endpoints: this.endpoints() };
  }

  async start(options: StartOptions = {}): Promise<void> {
    const t = this.topology;
    const progress = options.progress ?? silentProgress;
    await this.preflight(progress);
    await this.checkData(progress, options.fresh === true);
    const written = writeRenderedFiles(this.projectDir, renderFiles(t));
    progress.info(`rendered ${written.written.length} files into ${this.projectDir}`);
    await this.validateEnvoy(progress);
    if (t.failover.policy === 'coherent') installControllerApp(this.projectDir);
    clearExits(this.projectDir);
    try {
      await this.upAndWait(progress, options.signal);
    } catch (reason) {
      // Interrupted or failed: nothing half-started stays behind (the error already carries the logs).
      progress.step(`${options.signal?.aborted ? 'interrupted' : 'start failed'}: removing the containers started so far`);
      await composeDown(composeProject(t, this.projectDir)).catch(() => undefined);
      progress.done('containers and network removed (data volumes kept)');
      throw reason;
    }
  }

  /**
   * `envoy --mode validate` in a throw-away container of the configured image, on the rendered
   * configuration (listener file inline: ../../envoy/validate.ts): a rejection (a standard image without
   * the kafka_broker filter, a bad setting) stops `start` in seconds, before any container runs.
   */
  private async validateEnvoy(progress: Progress): Promise<void> {
    const t = this.topology;
    progress.step(`checking Envoy's configuration with ${t.envoy.image} (envoy --mode validate)`);
    const v = await validateRuntimeEnvoy(t, 'docker', { dir: join(stateDir(this.projectDir), 'envoy-validate') });
    if (!v.ok) throw envoyRejection(t, v);
    progress.done('Envoy accepts its configuration');
  }

  private get stampFile(): string {
    return join(stateDir(this.projectDir), 'docker-data-stamp.json');
  }

  /**
   * The project's data volumes, if any, were made by this topology (./data-stamp.ts); with `fresh` they
   * are removed first. Then the stamp is written for the volumes `compose up` creates or reuses.
   */
  private async checkData(progress: Progress, fresh: boolean): Promise<void> {
    const t = this.topology;
    const { volumes } = await projectLeftovers(this.docker, t.project);
    if (volumes.length > 0 && fresh) {
      progress.step(`--fresh: removing the data volumes of project ${t.project}`);
      await composeDown(composeProject(t, this.projectDir), { volumes: true });
      progress.done(`removed ${volumes.length} data volume(s)`);
    } else if (volumes.length > 0) {
      assertDataFits(this.stampFile, dataStamp(t, 'docker'), `the Docker volumes of project ${t.project} (${volumes.length})`);
    }
    writeDataStamp(this.stampFile, dataStamp(t, 'docker'));
  }

  /**
   * `compose up` of the rendered project as it is on disk, then every wait of a start: brokers healthy,
   * Envoy healthy, the controller (coherent), topics, the replicator copying (replication: shadow). Rejects with the first failure, Compose's or a wait's.
   */
  private async upAndWait(progress: Progress, outer?: AbortSignal): Promise<void> {
    const t = this.topology;
    const scope = this.scope;
    // A failing `compose up` (or a broker that dies) stops every wait below at once.
    const failed = new AbortController();
    const signal = outer ? AbortSignal.any([outer, failed.signal]) : failed.signal;
    // `compose up` never rejects here (so it cannot go unhandled while a wait below fails first).
    let up: Promise<void> = Promise.resolve();
    try {
      progress.step(`docker compose up (project ${t.project})`);
      up = composeUp(composeProject(t, this.projectDir), { signal }).catch((e: unknown) => void failed.abort(e));
      for (const b of brokersOf(t)) await waitBrokerHealthy(scope, b, progress, signal, failed);
      await up;
      signal.throwIfAborted();
      progress.done(`all ${brokersOf(t).length} brokers healthy, Envoy started`);
      await waitReady(dockerReadyScope(scope, progress, signal));
    } catch (e) {
      const reason = outer?.aborted ? outer.reason : failed.signal.aborted ? failed.signal.reason : e;
      failed.abort(reason); // stops a `compose up` still waiting on healthchecks
      await up;
      throw reason;
    }
  }

  /** Docker, Compose, images, memory, and the ports unless skipped (`resume`: the demo's own containers hold them). */
  private async preflight(progress: Progress, { skipPorts = false } = {}): Promise<void> {
    progress.step(`checking Docker, Compose, ${skipPorts ? '' : 'ports, '}images and memory`);
    const err = preflightError(await dockerPreflight(this.topology, { skipPorts }));
    if (err) throw err;
    progress.done('Docker pre-flight checks passed');
  }

  async resume(options: StartOptions = {}): Promise<string[]> {
    const progress = options.progress ?? silentProgress;
    if (!existsSync(join(this.projectDir, COMPOSE_FILE))) {
      throw new UserError(`there is no ${COMPOSE_FILE} in ${this.projectDir}: no demo to resume here`, 'start it: `failover-demo start`');
    }
    await this.preflight(progress, { skipPorts: true });
    const states = await Promise.all(partsOf(this.topology).map(async (p) => ({ p, s: await containerState(this.docker, p.container) })));
    if (states.every(({ s }) => !s)) throw new UserError(`the demo (project ${this.topology.project}) has no containers: nothing to resume`, 'start it: `failover-demo start`');
    const down = states.filter(({ s }) => !s?.running).map(({ p }) => p);
    progress.info(down.length ? `not running: ${down.map((p) => p.name).join(', ')}` : 'every part runs: checking that it is ready');
    try {
      await this.upAndWait(progress, options.signal);
      return down.map((p) => p.name);
    } catch (reason) {
      // Unlike start, the parts that ran before stay up: only what this resume started is stopped again.
      progress.step(`${options.signal?.aborted ? 'interrupted' : 'resume failed'}: stopping what it started (${down.map((p) => p.name).join(', ') || 'nothing'})`);
      await Promise.all(down.map((p) => stopContainer(this.docker, p.container).catch(() => undefined)));
      progress.done('the parts that ran before resume still run');
      throw reason;
    }
  }

  async crash(part: string, options: CrashOptions = {}): Promise<CrashResult> {
    const parts = partsOf(this.topology);
    const p = parts.find((x) => x.name === part);
    if (!p) throw new UserError(`no part named "${part}"`, `parts are ${parts.map((x) => x.name).join(', ')}`);
    const b = findBroker(this.topology, p.name);
    const scope = this.scope;
    const serving = async (signal: AbortSignal): Promise<number | undefined> => {
      if (p.name === 'envoy') return waitEnvoyLive(scope, signal);
      if (p.name === 'controller') return waitControllerDeciding(dockerReadyScope(scope, silentProgress, signal));
      if (p.name === 'replicator') return waitReplicating(dockerReadyScope(scope, silentProgress, signal));
      const change = await waitBrokerAfterStart(scope, b!, {}, { recoveryMode: readRecoveryMode(this.configFile(b!)), signal });
      return change.servingAt;
    };
    return crashContainer(this.docker, this.projectDir, p, serving, options);
  }

  async stop(options: { progress?: Progress; removeData?: boolean } = {}): Promise<void> {
    const progress = options.progress ?? silentProgress;
    progress.step(options.removeData ? 'docker compose down --volumes' : 'docker compose down');
    await composeDown(composeProject(this.topology, this.projectDir), { volumes: options.removeData });
    if (options.removeData) rmSync(this.stampFile, { force: true });
    clearExits(this.projectDir);
    progress.done(options.removeData ? 'containers, network and data volumes removed' : 'containers and network removed (data volumes kept)');
  }

  async status(): Promise<RuntimeStatus> {
    const parts = await Promise.all(partsOf(this.topology).map((p) => partStatus(this.docker, this.projectDir, p)));
    const running = (name: string) => parts.find((p) => p.name === name)?.running ?? false;
    const brokers = await Promise.all(
      brokersOf(this.topology).map(async (b) => {
        const s = await containerState(this.docker, b.name);
        return {
          name: b.name,
          cluster: b.cluster,
          index: b.index,
          running: s?.running ?? false,
          recoveryMode: readRecoveryMode(this.configFile(b)),
          ...(s?.running ? { id: s.id.slice(0, 12) } : {}),
        };
      }),
    );
    return {
      kind: 'docker',
      parts,
      envoyRunning: running('envoy'),
      ...(this.topology.failover.policy === 'coherent' ? { controllerRunning: running('controller') } : {}),
      brokers,
    };
  }

  async stopBroker(name: string): Promise<BrokerChange> {
    const b = await this.existingBroker(name);
    const { endedAt } = await watchServingEnd(brokerServingProbe(this.scope, b), () => stopContainer(this.docker, b.name));
    const s = await containerState(this.docker, b.name);
    return { name: b.name, stoppedAt: s?.finishedAt || Date.now(), ...(endedAt ? { servingEndedAt: endedAt } : {}) };
  }

  /** docker restart, watching when the old process stopped serving. */
  private async restartWatched(b: BrokerRef): Promise<Omit<BrokerChange, 'name'>> {
    const { endedAt } = await watchServingEnd(brokerServingProbe(this.scope, b), () => restartContainer(this.docker, b.name));
    const s = await containerState(this.docker, b.name);
    return { ...(s?.finishedAt ? { stoppedAt: s.finishedAt } : {}), ...(endedAt ? { servingEndedAt: endedAt } : {}) };
  }

  async startBroker(name: string, options: BrokerStartOptions = {}): Promise<BrokerChange> {
    const b = await this.existingBroker(name);
    await startContainer(this.docker, b.name);
    return this.afterStart(b, {}, options);
  }

  async restartBroker(name: string, options: BrokerStartOptions = {}): Promise<BrokerChange> {
    const b = await this.existingBroker(name);
    return this.afterStart(b, await this.restartWatched(b), options);
  }

  /** Edits the host copy the container reads at every start (./redpanda-config/<broker>/), then restarts it. */
  async setRecoveryMode(name: string, enabled: boolean, options: BrokerStartOptions = {}): Promise<BrokerChange> {
    const b = await this.existingBroker(name);
    const file = this.configFile(b);
    if (!existsSync(file)) throw new UserError(`${file} does not exist`, 'was the demo started from this folder? `failover-demo start` renders it');
    setRecoveryModeInFile(file, enabled);
    const s = await containerState(this.docker, b.name);
    if (s?.running) return this.afterStart(b, await this.restartWatched(b), options, enabled);
    await startContainer(this.docker, b.name);
    return this.afterStart(b, {}, options, enabled);
  }

  /** After a (re)start: its own state, then readiness where its cluster can have a quorum (waits.ts). */
  private afterStart(b: BrokerRef, change: Omit<BrokerChange, 'name'>, options: BrokerStartOptions, recoveryMode = readRecoveryMode(this.configFile(b))): Promise<BrokerChange> {
    return waitBrokerAfterStart(this.scope, b, change, { ...options, recoveryMode });
  }

  private configFile(b: BrokerRef): string {
    return join(this.projectDir, brokerConfigDir(b), 'redpanda.yaml');
  }

  private async existingBroker(name: string): Promise<BrokerRef> {
    const b = requireBroker(this.topology, name);
    if (!(await containerState(this.docker, b.name))) {
      throw new UserError(`there is no container ${b.name}`, 'start the demo first: `failover-demo start`');
    }
    return b;
  }
}
