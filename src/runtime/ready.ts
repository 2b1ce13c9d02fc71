/**
 * The end of every `start` and `resume`, the same in both runtimes once their brokers run: Envoy's admin
 * API answers and Envoy sees every broker that should serve healthy, the failover controller decides
 * (coherent policy), then the topology's topics and a ready group coordinator on both clusters, then the
 * replicator's first MirrorMaker 2 flow (replication: shadow). What is
 * runtime-specific is passed in: how to tell that a part died meanwhile (a process's supervisor gave up, a
 * container ended), how long to wait, and what to add to an error (logs).
 */
import { brokersOf, CLUSTER_NAMES, type ClusterName, type Topology } from '../config/topology.js';
import { EnvoyAdmin } from '../envoy/admin.js';
import { routingFromClusters, type HostRouting } from '../envoy/routing.js';
import { ensureGroupCoordinator, ensureTopics } from '../kafka/topic.js';
import { UserError } from '../util/errors.js';
import type { Progress } from '../util/progress.js';
import { waitFor, type WaitOptions } from '../util/wait.js';
import type { Endpoints } from './types.js';

/** Tells, look after look, why a wait is hopeless: the part it waits on (or one it needs) is gone. */
export type GoneCheck = () => Error | undefined | Promise<Error | undefined>;

/**
 * waitFor `check`, but gives up at once with the reason `gone` reports (a process or container that should
 * be running ended): no point waiting out the deadline for a part that is not there.
 */
export async function waitAlive(check: () => Promise<boolean>, gone: GoneCheck, opts: WaitOptions): Promise<void> {
  let reason: Error | undefined;
  await waitFor(async () => {
    reason = await gone();
    return reason !== undefined || (await check());
  }, opts);
  if (reason) throw reason;
}

export interface ReadyScope {
  topology: Topology;
  endpoints: Endpoints;
  progress: Progress;
  signal?: AbortSignal;
  /** Brokers Envoy must see healthy (default: all; the local runtime leaves out those in recovery mode). */
  serving?: ReadonlySet<string>;
  /** A fresh liveness check per wait on Envoy, the controller or the replicator (replication: shadow). */
  watch(part: 'envoy' | 'controller' | 'replicator'): GoneCheck;
  /** How long each wait on Envoy, and the wait on the controller, may take. */
  envoyTimeoutMs: number;
  controllerTimeoutMs: number;
  /** The error for a wait on Envoy that failed otherwise (timed out): the runtime adds Envoy's log. */
  envoyFailed?(err: Error): Promise<Error>;
  /** What to do when a cluster's topics or group coordinator could not be prepared. */
  clusterHint: string;
}

/** Envoy knows at least `expected` upstream hosts, and every one of them named in `serving` is healthy. */
export function servingHostsHealthy(hosts: readonly HostRouting[], expected: number, serving: ReadonlySet<string>): boolean {
  return hosts.length >= expected && hosts.every((h) => h.healthy || !serving.has(h.host));
}

/** Waits until Envoy's admin API answers and every upstream endpoint that should serve is healthy. */
export async function waitEnvoyHealthy(s: ReadyScope): Promise<void> {
  const { topology: t, progress, signal } = s;
  const url = s.endpoints.envoyAdminUrl;
  const admin = new EnvoyAdmin(url);
  // Each broker sits in at least one Envoy cluster per listener set (two sets with `advertised`).
  const expected = brokersOf(t).length;
  const serving = s.serving ?? new Set(brokersOf(t).map((b) => b.name));
  const opts = { timeoutMs: s.envoyTimeoutMs, intervalMs: 250, signal };
  try {
    progress.step(`waiting for Envoy's admin API at ${url}`);
    await waitAlive(() => admin.ready(), s.watch('envoy'), { ...opts, what: `Envoy's admin API at ${url}` });
    let seen = '';
    const healthy = async () => {
      const hosts = routingFromClusters(await admin.clusters(), t).listeners.flatMap((l) => l.hosts);
      const text = `waiting for Envoy to see every broker healthy (${hosts.filter((h) => h.healthy).length}/${hosts.length} endpoints)`;
      if (text !== seen) progress.step((seen = text));
      return servingHostsHealthy(hosts, expected, serving);
    };
    await waitAlive(healthy, s.watch('envoy'), { ...opts, what: `Envoy to report ${serving.size < expected ? `the ${serving.size} serving` : 'every'} endpoint healthy` });
    progress.done(serving.size < expected ? `Envoy: the endpoints of ${serving.size} brokers healthy (the others are in recovery mode)` : 'Envoy reports every endpoint healthy');
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    if (e instanceof UserError || !s.envoyFailed) throw e;
    throw await s.envoyFailed(e as Error);
  } finally {
    await admin.close();
  }
}

/** Waits until the failover controller's status API answers (it has read Envoy and decided); resolves the time it did. */
export async function waitControllerDeciding(s: ReadyScope): Promise<number> {
  const url = `${s.endpoints.controllerUrl}/v1/decision`;
  const { progress, signal } = s;
  progress.step(`waiting for the failover controller at ${url}`);
  const answers = async () => (await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined))?.ok === true;
  try {
    await waitAlive(answers, s.watch('controller'), { timeoutMs: s.controllerTimeoutMs, intervalMs: 250, what: `the failover controller at ${url}`, signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
  progress.done('failover controller: deciding (coherent policy)');
  return Date.now();
}

/** How long the replicator may take to start its first MirrorMaker 2 flow once the topics exist. */
const REPLICATOR_TIMEOUT_MS = 120_000;

/**
 * replication: shadow. The replicator runs its first flow (it waits for the topics, which waitReady made
 * sure of): GET /v1/replication until MirrorMaker 2 runs (mm2.pid) or the secondary was already promoted.
 * Resolves the time it did.
 */
export async function waitReplicating(s: ReadyScope): Promise<number> {
  const { progress, signal } = s;
  const url = `${s.endpoints.replicatorUrl}/v1/replication`;
  progress.step(`waiting for the replicator at ${url} to start MirrorMaker 2`);
  let phase = '';
  const running = async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(1_000) }).catch(() => undefined);
    const view = res?.ok ? ((await res.json().catch(() => undefined)) as { phase: string; mm2: { pid?: number } } | undefined) : undefined;
    phase = view?.phase ?? '';
    return view !== undefined && (view.phase === 'promoted' || view.mm2?.pid !== undefined);
  };
  try {
    await waitAlive(running, s.watch('replicator'), { timeoutMs: REPLICATOR_TIMEOUT_MS, intervalMs: 300, what: 'the replicator to start MirrorMaker 2', signal });
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw e;
  }
  // MirrorMaker 2's tasks copy some seconds after its JVM starts: `status` shows when they do (the lag).
  progress.done(`replicator: ${phase === 'forward' ? 'MirrorMaker 2 started, primary -> secondary (status shows its lag once it copies)' : phase}`);
  return Date.now();
}

/** The topology's topics and a ready group coordinator on one cluster, straight to its brokers. */
async function prepareCluster(s: ReadyScope, cluster: ClusterName): Promise<void> {
  const { topology: t, progress, signal } = s;
  const direct = s.endpoints.direct[cluster];
  const names = t.topics.map((x) => x.name).join(', ');
  progress.step(`creating topics ${names} on the ${cluster} cluster`);
  try {
    const created = await ensureTopics(direct, t.topics, { clusterSize: t.brokers, signal, cluster });
    progress.done(`${cluster}: ${created.length ? `created ${created.join(', ')}` : 'topics already there'}`);
    progress.step(`readying the consumer-group coordinator on the ${cluster} cluster`);
    await ensureGroupCoordinator(direct, { signal, cluster });
    progress.done(`${cluster}: group coordinator ready`);
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new UserError(`preparing the ${cluster} cluster (topics ${names}, group coordinator) failed: ${(e as Error).message}`, s.clusterHint);
  }
}

/**
 * The shared end of start and resume: Envoy healthy, the controller deciding (coherent), both clusters
 * prepared, then the replicator copying (replication: shadow).
 */
export async function waitReady(s: ReadyScope): Promise<void> {
  await waitEnvoyHealthy(s);
  if (s.topology.failover.policy === 'coherent') await waitControllerDeciding(s);
  // The clusters are independent: each is prepared straight through its own brokers.
  for (const cluster of CLUSTER_NAMES) await prepareCluster(s, cluster);
  if (s.topology.replication.mode === 'shadow') await waitReplicating(s);
}
