/**
 * What the Docker runtime waits on, shared by start, resume, crash and the broker operations: a broker
 * container's own state and healthcheck, its Schema Registry, Envoy's admin API; and what the shared end
 * of start (../ready.ts: Envoy's view of the brokers, the controller, the topics, the replicator) needs from Docker.
 * Every wait polls a real signal with a deadline.
 */
import type Docker from 'dockerode';
import { brokersOf, type BrokerRef, type Topology } from '../../config/topology.js';
import { EnvoyAdmin } from '../../envoy/admin.js';
import { CONTROLLER_SERVICE, ENVOY_SERVICE } from '../../render/compose.js';
import { REPLICATOR_SERVICE } from '../../render/replicator.js';
import { UserError } from '../../util/errors.js';
import { waitFor, WaitTimeoutError } from '../../util/wait.js';
import { readinessPlan } from '../broker-readiness.js';
import type { GoneCheck, ReadyScope } from '../ready.js';
import { waitServing, type ServingProbe } from '../serving.js';
import { silentProgress, type BrokerChange, type BrokerStartOptions, type Endpoints, type Progress } from '../types.js';
import { containerLogTail, containerState, execInContainer, type ContainerState } from './engine.js';

/** How long one broker container may take to pass its healthcheck (JVM start on a busy machine). */
const BROKER_HEALTHY_TIMEOUT_MS = 240_000;
/** How long a started container may take until its admin API answers (booting or ready). */
const BROKER_OWN_STATE_TIMEOUT_MS = 60_000;
/** How long Envoy may take to see every endpoint healthy once it runs. */
const ENVOY_HEALTHY_TIMEOUT_MS = 120_000;
/** How long the failover controller may take to answer once it runs. */
const CONTROLLER_TIMEOUT_MS = 60_000;

/** What the waits need: the Engine API, the topology and its addresses on this machine. */
export interface DockerScope {
  docker: Docker;
  topology: Topology;
  endpoints: Endpoints;
}

/**
 * Tells, look after look, whether a container that is expected to start ended instead: it exited, or it
 * ended and its restart policy is restarting it (`restarting`, or more restarts than at the first look).
 * `notStartedYet`: an exited container at the first look is one that `compose up` has yet to start (resume),
 * so only a newer exit counts.
 */
function endWatcher(notStartedYet = false): (s: ContainerState) => boolean {
  let first: ContainerState | undefined;
  return (s) => {
    first ??= s;
    if (s.status === 'restarting' || s.restartCount > first.restartCount) return true;
    if (s.status !== 'exited' && s.status !== 'dead') return false;
    return !notStartedYet || s.finishedAt !== first.finishedAt;
  };
}

async function endedError(scope: DockerScope, name: string, s: ContainerState, when: string): Promise<UserError> {
  const tail = await containerLogTail(scope.docker, name);
  const how = s.status === 'exited' || s.status === 'dead' ? `exited (code ${s.exitCode})` : `exited and was restarted by Docker (${s.restartCount} restarts)`;
  return new UserError(`${name} ${how} ${when}${tail ? `; its last output:\n${tail}` : ''}`, `see \`docker logs ${name}\``);
}

/** Waits for a broker container's healthcheck to pass; a container that ends fails at once, with its log. */
export async function waitBrokerHealthy(scope: DockerScope, b: BrokerRef, progress: Progress, signal?: AbortSignal, failed?: AbortController): Promise<void> {
  progress.step(`waiting for ${b.name} to become healthy`);
  let last = 'not created yet';
  const endedNow = endWatcher(true);
  let ended: UserError | undefined;
  try {
    await waitFor(
      async () => {
        const s = await containerState(scope.docker, b.name);
        if (!s) return false;
        last = s.running ? `running, health ${s.health}` : `${s.status}, exit code ${s.exitCode}`;
        if (endedNow(s)) ended = await endedError(scope, b.name, s, 'before becoming healthy');
        return ended !== undefined || s.health === 'healthy' || (s.health === 'none' && s.running);
      },
      { timeoutMs: BROKER_HEALTHY_TIMEOUT_MS, intervalMs: 500, what: `${b.name} to become healthy`, signal },
    );
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    const tail = await containerLogTail(scope.docker, b.name);
    throw new UserError(`${b.name} did not become healthy within ${BROKER_HEALTHY_TIMEOUT_MS / 1000} s (${last})${tail ? `; its last output:\n${tail}` : ''}`, `see \`docker logs ${b.name}\``);
  }
  if (ended) {
    failed?.abort(ended);
    throw ended;
  }
  progress.done(`${b.name} healthy`);
}

/**
 * After the caller started the container: running and Redpanda's admin API answering /v1/status/ready
 * (booting or ready); fails at once if it ends.
 */
export async function waitBrokerOwnState(scope: DockerScope, b: BrokerRef, signal?: AbortSignal): Promise<number> {
  const url = `http://localhost:${scope.topology.redpanda.adminPort}/v1/status/ready`;
  let last = 'not running yet';
  const endedNow = endWatcher();
  let ended: UserError | undefined;
  await waitFor(
    async () => {
      const s = await containerState(scope.docker, b.name);
      if (s && endedNow(s)) ended = await endedError(scope, b.name, s, 'while starting');
      if (ended) return true;
      if (!s?.running) return false;
      const r = await execInContainer(scope.docker, b.name, ['curl', '-s', '--max-time', '1', url]).catch((e: Error) => ({ code: -1, output: e.message }));
      last = r.code === 0 ? r.output.trim() : `admin API not answering (${r.output.trim() || `curl exit ${r.code}`})`;
      return r.code === 0 && /"status"/.test(r.output);
    },
    { timeoutMs: BROKER_OWN_STATE_TIMEOUT_MS, intervalMs: 250, what: `${b.name}'s admin API to answer`, signal },
  ).catch((e: unknown) => {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof WaitTimeoutError) throw new UserError(`${b.name} runs but its admin API did not answer within ${BROKER_OWN_STATE_TIMEOUT_MS / 1000} s (${last})`, `see \`docker logs ${b.name}\``);
    throw e;
  });
  if (ended) throw ended;
  return Date.now();
}

/** Asks the broker's Schema Registry from inside its container (it is not published on the host). */
export function brokerServingProbe(scope: DockerScope, b: BrokerRef): ServingProbe {
  const url = `http://localhost:${scope.topology.healthCheck.port}${scope.topology.healthCheck.path}`;
  return async () => {
    const r = await execInContainer(scope.docker, b.name, ['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '--max-time', '1', url]).catch(() => undefined);
    return r?.output.trim() === '200';
  };
}

/**
 * After a (re)start: waits for the container's own state (running, Redpanda's admin API answering),
 * then for full readiness (healthcheck, then its Schema Registry unless in recovery mode) only where its
 * cluster can have a quorum (broker-readiness.ts).
 */
export async function waitBrokerAfterStart(
  scope: DockerScope,
  b: BrokerRef,
  change: Omit<BrokerChange, 'name'>,
  options: BrokerStartOptions & { recoveryMode: boolean; signal?: AbortSignal },
): Promise<BrokerChange> {
  const { signal } = options;
  const startedAt = await waitBrokerOwnState(scope, b, signal);
  const states = await Promise.all(brokersOf(scope.topology, b.cluster).map(async (p) => ({ p, s: await containerState(scope.docker, p.name) })));
  const running = states.filter(({ s }) => s?.running).map(({ p }) => p.name);
  const plan = readinessPlan(scope.topology, b, running, options.alongside);
  if (!plan.waitForReady) return { name: b.name, ...change, startedAt, note: plan.reason };
  await waitBrokerHealthy(scope, b, silentProgress, signal);
  const readyAt = Date.now();
  // In recovery mode its Schema Registry is disabled: nothing more to wait for.
  if (options.recoveryMode) return { name: b.name, ...change, startedAt, readyAt, note: plan.reason };
  const servingAt = await waitServing(brokerServingProbe(scope, b), `${b.name}'s Schema Registry to answer`, BROKER_HEALTHY_TIMEOUT_MS, async () => {
    if (signal?.aborted) return signal.reason as Error;
    const s = await containerState(scope.docker, b.name);
    return s?.running ? undefined : new UserError(`${b.name} stopped before its Schema Registry answered`, `see \`docker logs ${b.name}\``);
  });
  return { name: b.name, ...change, startedAt, readyAt, servingAt, note: plan.reason };
}

/** Waits until Envoy's admin `/ready` answers LIVE from this machine; resolves the time it first did. */
export async function waitEnvoyLive(scope: DockerScope, signal?: AbortSignal, timeoutMs = ENVOY_HEALTHY_TIMEOUT_MS): Promise<number> {
  const admin = new EnvoyAdmin(scope.endpoints.envoyAdminUrl);
  try {
    return await waitServing(() => admin.ready(), `Envoy's admin API at ${scope.endpoints.envoyAdminUrl} to answer LIVE`, timeoutMs, async () =>
      signal?.aborted ? (signal.reason as Error) : undefined,
    );
  } finally {
    await admin.close();
  }
}

/**
 * A liveness check for waitAlive (../ready.ts): the error, with the excerpt of its log, once container `name`
 * ended: it exited, or its restart policy is restarting it.
 */
export function containerGone(scope: DockerScope, name: string, when: string): GoneCheck {
  const ended = endWatcher();
  return async () => {
    const s = await containerState(scope.docker, name);
    return s && ended(s) ? endedError(scope, name, s, when) : undefined;
  };
}

/** The shared end of start and resume (../ready.ts) with the Docker runtime's liveness checks, timeouts and logs. */
export function dockerReadyScope(scope: DockerScope, progress: Progress, signal?: AbortSignal): ReadyScope {
  const when = 'while `start` waited for it';
  return {
    topology: scope.topology,
    endpoints: scope.endpoints,
    progress,
    signal,
    watch: (part) => containerGone(scope, { envoy: ENVOY_SERVICE, controller: CONTROLLER_SERVICE, replicator: REPLICATOR_SERVICE }[part], when),
    envoyTimeoutMs: ENVOY_HEALTHY_TIMEOUT_MS,
    controllerTimeoutMs: CONTROLLER_TIMEOUT_MS,
    envoyFailed: async (e) => {
      const tail = await containerLogTail(scope.docker, ENVOY_SERVICE);
      return new UserError(`${e.message}${tail ? `\nEnvoy's last output:\n${tail}` : ''}`, `see \`docker logs ${ENVOY_SERVICE}\` and \`failover-demo routing --once\``);
    },
    clusterHint: 'check the brokers with `failover-demo status` and `docker logs <broker>`',
  };
}
