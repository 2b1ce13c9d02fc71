/**
 * The Docker runtime: the rendered compose project (docker-compose.yml, envoy.yaml, one redpanda.yaml
 * per broker) brought up and down with `docker compose` v2, everything finer through the Engine API.
 * Readiness comes from the containers' healthchecks and Envoy's admin API, never from fixed sleeps.
 */
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { writeFileAtomic } from '../../util/fs.js';
import { PACKAGE_ROOT } from '../../util/paths.js';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { brokersOf, CLUSTER_NAMES, directHostPort, findBroker, type BrokerRef, type ClusterName, type Topology } from '../../config/topology.js';
import { readRecoveryMode, setRecoveryModeInFile } from '../../config/redpanda-yaml-edit.js';
import { EnvoyAdmin } from '../../envoy/admin.js';
import { routingFromClusters } from '../../envoy/routing.js';
import { ensureGroupCoordinator, ensureTopics } from '../../kafka/topic.js';
import { brokerConfigDir, CONTROLLER_APP_DIR, CONTROLLER_SERVICE, ENVOY_SERVICE } from '../../render/compose.js';
import { renderFiles } from '../../render/files.js';
import { writeRenderedFiles } from '../../render/write.js';
import { UserError } from '../../util/errors.js';
import { waitFor, WaitTimeoutError } from '../../util/wait.js';
import { readinessPlan } from '../broker-readiness.js';
import { waitServing, watchServingEnd, type ServingProbe } from '../serving.js';
import type { RuntimeContext } from '../index.js';
import { silentProgress, type BrokerChange, type BrokerStartOptions, type Endpoints, type Progress, type Runtime, type RuntimeStatus, type StartOptions } from '../types.js';
import { composeDown, composeProject, composeUp } from './compose.js';
import { containerLogTail, containerState, dockerClient, execInContainer, restartContainer, startContainer, stopContainer } from './engine.js';
import { dockerPreflight, preflightError } from './preflight.js';

/** How long one broker container may take to pass its healthcheck (JVM start on a busy machine). */
const BROKER_HEALTHY_TIMEOUT_MS = 240_000;
/** How long a started container may take until its admin API answers (booting or ready). */
const BROKER_OWN_STATE_TIMEOUT_MS = 60_000;
/** How long Envoy may take to see every endpoint healthy once it runs. */
const ENVOY_HEALTHY_TIMEOUT_MS = 120_000;

/**
 * Puts the controller's compiled code where its container mounts it (<project>/.failover-demo/
 * controller-app): dist/controller/*.js and a package.json that makes them ES modules.
 */
export function installControllerApp(projectDir: string): void {
  const dir = join(projectDir, CONTROLLER_APP_DIR);
  const src = join(PACKAGE_ROOT, 'dist', 'controller');
  if (!existsSync(join(src, 'main.js'))) throw new UserError(`${src}/main.js is missing`, 'build the project first: `npm run build`');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'dist'), { recursive: true });
  cpSync(src, join(dir, 'dist', 'controller'), { recursive: true });
  writeFileAtomic(join(dir, 'package.json'), JSON.stringify({ name: 'failover-demo-controller', private: true, type: 'module' }, null, 2) + '\n');
}

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

  async start(options: StartOptions = {}): Promise<void> {
    const t = this.topology;
    const progress = options.progress ?? silentProgress;
    progress.step('checking Docker, Compose, ports, images and memory');
    const err = preflightError(await dockerPreflight(t));
    if (err) throw err;
    progress.done('Docker pre-flight checks passed');

    const written = writeRenderedFiles(this.projectDir, renderFiles(t));
    progress.info(`rendered ${written.written.length} files into ${this.projectDir}`);
    if (t.failover.policy === 'coherent') installControllerApp(this.projectDir);

    // A failing `compose up` (or a broker that dies) stops every wait below at once.
    const failed = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
    // `compose up` never rejects here (so it cannot go unhandled while a wait below fails first).
    let up: Promise<void> = Promise.resolve();
    try {
      progress.step(`docker compose up (project ${t.project})`);
      up = composeUp(composeProject(t, this.projectDir), { signal }).catch((e: unknown) => void failed.abort(e));
      for (const b of brokersOf(t)) await this.waitHealthy(b, progress, signal, failed);
      await up;
      signal.throwIfAborted();
      progress.done(`all ${brokersOf(t).length} brokers healthy, Envoy started`);
      await this.waitEnvoyHealthy(progress, signal);
      if (t.failover.policy === 'coherent') await this.waitController(progress, signal);
      await this.createTopics(progress, signal);
    } catch (e) {
      const reason = options.signal?.aborted ? options.signal.reason : failed.signal.aborted ? failed.signal.reason : e;
      failed.abort(reason); // stops a `compose up` still waiting on healthchecks
      await up;
      // Interrupted or failed: nothing half-started stays behind (the error already carries the logs).
      progress.step(`${options.signal?.aborted ? 'interrupted' : 'start failed'}: removing the containers started so far`);
      await composeDown(composeProject(t, this.projectDir)).catch(() => undefined);
      progress.done('containers and network removed (data volumes kept)');
      throw reason;
    }
  }

  async stop(options: { progress?: Progress; removeData?: boolean } = {}): Promise<void> {
    const progress = options.progress ?? silentProgress;
    progress.step(options.removeData ? 'docker compose down --volumes' : 'docker compose down');
    await composeDown(composeProject(this.topology, this.projectDir), { volumes: options.removeData });
    progress.done(options.removeData ? 'containers, network and data volumes removed' : 'containers and network removed (data volumes kept)');
  }

  async status(): Promise<RuntimeStatus> {
    const envoy = await containerState(this.docker, ENVOY_SERVICE);
    const controller = this.topology.failover.policy === 'coherent' ? await containerState(this.docker, CONTROLLER_SERVICE) : undefined;
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
      envoyRunning: envoy?.running ?? false,
      ...(this.topology.failover.policy === 'coherent' ? { controllerRunning: controller?.running ?? false } : {}),
      brokers,
    };
  }

  async stopBroker(name: string): Promise<BrokerChange> {
    const b = await this.existingBroker(name);
    const { endedAt } = await watchServingEnd(this.servingProbe(b), () => stopContainer(this.docker, b.name));
    const s = await containerState(this.docker, b.name);
    return { name: b.name, stoppedAt: s?.finishedAt || Date.now(), ...(endedAt ? { servingEndedAt: endedAt } : {}) };
  }

  /** Asks the broker's Schema Registry from inside its container (it is not published on the host). */
  private servingProbe(b: BrokerRef): ServingProbe {
    const url = `http://localhost:${this.topology.healthCheck.port}${this.topology.healthCheck.path}`;
    return async () => {
      const r = await execInContainer(this.docker, b.name, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '1', url]).catch(() => undefined);
      return r?.output.trim() === '200';
    };
  }

  /** docker restart, watching when the old process stopped serving. */
  private async restartWatched(b: BrokerRef): Promise<Omit<BrokerChange, 'name'>> {
    const { endedAt } = await watchServingEnd(this.servingProbe(b), () => restartContainer(this.docker, b.name));
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

  /**
   * After a (re)start: waits for the container's own state (running, Redpanda's admin API answering),
   * then for full readiness only where its cluster can have a quorum (broker-readiness.ts).
   */
  private async afterStart(b: BrokerRef, change: Omit<BrokerChange, 'name'>, options: BrokerStartOptions, recoveryMode = readRecoveryMode(this.configFile(b))): Promise<BrokerChange> {
    const startedAt = await this.waitOwnState(b);
    const running = (await Promise.all(brokersOf(this.topology, b.cluster).map(async (p) => ((await containerState(this.docker, p.name))?.running ? p.name : undefined)))).filter(
      (n): n is string => n !== undefined,
    );
    const plan = readinessPlan(this.topology, b, running, options.alongside);
    if (!plan.waitForReady) return { name: b.name, ...change, startedAt, note: plan.reason };
    await this.waitHealthy(b, silentProgress);
    const readyAt = Date.now();
    // In recovery mode its Schema Registry is disabled: nothing more to wait for.
    if (recoveryMode) return { name: b.name, ...change, startedAt, readyAt, note: plan.reason };
    const servingAt = await waitServing(this.servingProbe(b), `${b.name}'s Schema Registry to answer`, BROKER_HEALTHY_TIMEOUT_MS, async () => {
      const s = await containerState(this.docker, b.name);
      return s?.running ? undefined : new UserError(`${b.name} stopped before its Schema Registry answered`, `see \`docker logs ${b.name}\``);
    });
    return { name: b.name, ...change, startedAt, readyAt, servingAt, note: plan.reason };
  }

  /** Container running and Redpanda's admin API answering /v1/status/ready (booting or ready); fails at once if it exits. */
  private async waitOwnState(b: BrokerRef): Promise<number> {
    const url = `http://localhost:${this.topology.redpanda.adminPort}/v1/status/ready`;
    let last = 'not running yet';
    await waitFor(
      async () => {
        const s = await containerState(this.docker, b.name);
        if (s && (s.status === 'exited' || s.status === 'dead')) {
          const tail = await containerLogTail(this.docker, b.name);
          throw new UserError(`${b.name} exited (code ${s.exitCode}) while starting${tail ? `; its last output:\n${tail}` : ''}`, `see \`docker logs ${b.name}\``);
        }
        if (!s?.running) return false;
        const r = await execInContainer(this.docker, b.name, ['curl', '-s', '--max-time', '1', url]).catch((e: Error) => ({ code: -1, output: e.message }));
        last = r.code === 0 ? r.output.trim() : `admin API not answering (${r.output.trim() || `curl exit ${r.code}`})`;
        return r.code === 0 && /"status"/.test(r.output);
      },
      { timeoutMs: BROKER_OWN_STATE_TIMEOUT_MS, intervalMs: 250, what: `${b.name}'s admin API to answer` },
    ).catch((e: unknown) => {
      if (e instanceof WaitTimeoutError) throw new UserError(`${b.name} runs but its admin API did not answer within ${BROKER_OWN_STATE_TIMEOUT_MS / 1000} s (${last})`, `see \`docker logs ${b.name}\``);
      throw e;
    });
    return Date.now();
  }

  private configFile(b: BrokerRef): string {
    return join(this.projectDir, brokerConfigDir(b), 'redpanda.yaml');
  }

  private async existingBroker(name: string): Promise<BrokerRef> {
    const b = findBroker(this.topology, name);
    if (!b) {
      throw new UserError(`no broker named "${name}"`, `brokers are ${brokersOf(this.topology).map((x) => x.name).join(', ')}`);
    }
    if (!(await containerState(this.docker, b.name))) {
      throw new UserError(`there is no container ${b.name}`, 'start the demo first: `failover-demo start`');
    }
    return b;
  }

  /** Waits for a broker container's healthcheck to pass; a container that exits fails at once, with its log. */
  private async waitHealthy(b: BrokerRef, progress: Progress, signal?: AbortSignal, failed?: AbortController): Promise<void> {
    progress.step(`waiting for ${b.name} to become healthy`);
    let last = 'not created yet';
    try {
      await waitFor(
        async () => {
          const s = await containerState(this.docker, b.name);
          if (!s) return false;
          last = s.running ? `running, health ${s.health}` : `${s.status}, exit code ${s.exitCode}`;
          if (s.status === 'exited' || s.status === 'dead') {
            const tail = await containerLogTail(this.docker, b.name);
            const e = new UserError(`${b.name} exited (code ${s.exitCode}) before becoming healthy${tail ? `; its last output:\n${tail}` : ''}`, `see \`docker logs ${b.name}\``);
            if (failed) failed.abort(e);
            throw e;
          }
          return s.health === 'healthy' || (s.health === 'none' && s.running);
        },
        { timeoutMs: BROKER_HEALTHY_TIMEOUT_MS, intervalMs: 500, what: `${b.name} to become healthy`, signal },
      );
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const tail = await containerLogTail(this.docker, b.name);
      throw new UserError(`${b.name} did not become healthy within ${BROKER_HEALTHY_TIMEOUT_MS / 1000} s (${last})${tail ? `; its last output:\n${tail}` : ''}`, `see \`docker logs ${b.name}\``);
    }
    progress.done(`${b.name} healthy`);
  }

  /** Waits until Envoy's admin answers and every upstream endpoint it health-checks is healthy. */
  private async waitEnvoyHealthy(progress: Progress, signal?: AbortSignal): Promise<void> {
    const { envoyAdminUrl } = this.endpoints();
    const admin = new EnvoyAdmin(envoyAdminUrl);
    // Each broker sits in at least one Envoy cluster per listener set (two sets with `advertised`).
    const expected = brokersOf(this.topology).length;
    try {
      progress.step(`waiting for Envoy's admin API at ${envoyAdminUrl}`);
      await waitFor(() => admin.ready(), { timeoutMs: ENVOY_HEALTHY_TIMEOUT_MS, what: `Envoy's admin API at ${envoyAdminUrl}`, signal });
      let seen = '';
      await waitFor(
        async () => {
          const hosts = routingFromClusters(await admin.clusters(), this.topology).listeners.flatMap((l) => l.hosts);
          const healthy = hosts.filter((h) => h.healthy).length;
          const text = `waiting for Envoy to see every broker healthy (${healthy}/${hosts.length} endpoints)`;
          if (text !== seen) progress.step((seen = text));
          return hosts.length >= expected && healthy === hosts.length;
        },
        { timeoutMs: ENVOY_HEALTHY_TIMEOUT_MS, intervalMs: 250, what: 'Envoy to report every endpoint healthy', signal },
      );
      progress.done('Envoy reports every endpoint healthy');
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      const tail = await containerLogTail(this.docker, ENVOY_SERVICE);
      throw new UserError(`${(e as Error).message}${tail ? `\nEnvoy's last output:\n${tail}` : ''}`, `see \`docker logs ${ENVOY_SERVICE}\` and \`failover-demo routing --once\``);
    } finally {
      await admin.close();
    }
  }

  /** Waits until the failover controller's status API answers (it has read Envoy and decided). */
  private async waitController(progress: Progress, signal?: AbortSignal): Promise<void> {
    const url = `${this.endpoints().controllerUrl}/v1/decision`;
    progress.step(`waiting for the failover controller at ${url}`);
    try {
      await waitFor(
        async () => {
          const s = await containerState(this.docker, CONTROLLER_SERVICE);
          if (s && !s.running && s.status !== 'restarting' && s.status !== 'created') {
            const tail = await containerLogTail(this.docker, CONTROLLER_SERVICE);
            throw new UserError(`the failover controller exited (code ${s.exitCode})${tail ? `; its last output:\n${tail}` : ''}`, `see \`docker logs ${CONTROLLER_SERVICE}\``);
          }
          const r = await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
          return r?.ok === true;
        },
        { timeoutMs: 60_000, intervalMs: 250, what: `the failover controller at ${url}`, signal },
      );
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw e;
    }
    progress.done('failover controller: coherent policy, every listener on the primary cluster');
  }

  /** The topology's topics and a ready group coordinator on both clusters, straight to their brokers (the clusters are independent). */
  private async createTopics(progress: Progress, signal?: AbortSignal): Promise<void> {
    const { direct } = this.endpoints();
    const names = this.topology.topics.map((x) => x.name).join(', ');
    for (const cluster of CLUSTER_NAMES) {
      progress.step(`creating topics ${names} on the ${cluster} cluster`);
      try {
        const created = await ensureTopics(direct[cluster], this.topology.topics, { clusterSize: this.topology.brokers, signal, cluster });
        progress.done(`${cluster}: ${created.length ? `created ${created.join(', ')}` : 'topics already there'}`);
        progress.step(`readying the consumer-group coordinator on the ${cluster} cluster`);
        await ensureGroupCoordinator(direct[cluster], { signal, cluster });
        progress.done(`${cluster}: group coordinator ready`);
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        throw new UserError(`preparing the ${cluster} cluster (topics ${names}, group coordinator) failed: ${(e as Error).message}`, 'check the brokers with `failover-demo status` and `docker logs <broker>`');
      }
    }
  }
}
