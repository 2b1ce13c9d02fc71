/**
 * Crash steps of a drill (`proxy-restart`, `broker-crash`): a part is killed with SIGKILL through
 * `Runtime.crash` — never stopped on purpose — and its supervisor (the local runtime's, or Docker's
 * restart policy) brings it back. Measured here: how long the part took to come back and serve, how long
 * Kafka took to move the leadership of a killed broker's partitions, and how long the drill's clients
 * took to be acknowledged / to receive on every partition again.
 */
import { brokerName, type Topology } from '../config/topology.js';
import { directClient } from '../kafka/client.js';
import type { CrashResult, Runtime } from '../runtime/types.js';
import { UserError } from '../util/errors.js';
import { delay } from '../util/wait.js';

/** What the report says about a crash step. */
export interface CrashMeasures {
  part: string;
  /** What was killed: "Envoy (pid 4242)", "primary-broker-0's JVM (pid 777)". */
  killed: string;
  /** Restarts its supervisor counted after the crash. */
  restarts: number | null;
  /** Kill → its supervisor had it running again. */
  backMs: number | null;
  /** Kill → it served again (Envoy's admin API LIVE; a broker's Kafka API and Schema Registry). */
  servingMs: number | null;
  /** Kill → every partition acknowledged to the drill's producer again. */
  producerRecoveryMs: number | null;
  /** Kill → every partition delivered to the drill's consumer again. */
  consumerRecoveryMs: number | null;
  /** Sends that failed (after kafkajs's own retries) from the kill until the producer recovered. */
  failedSends: number;
  /** A killed broker: the partitions of the drill's topic it led. */
  ledPartitions?: number[];
  /**
   * A killed broker: kill → every partition it led had another leader in the cluster's metadata. null
   * when the leadership never moved before the broker was back (it re-registered and kept it).
   */
  leaderElectionMs?: number | null;
}

/** An event on one partition at a time (an ack, a received message). */
export interface PartitionEvent {
  at: number;
  partition: number;
}

/**
 * Kill → the latest of each partition's first event after the kill: when every partition worked again.
 * null when some partition had none after the kill. Pure.
 */
export function recoveryAfter(events: readonly PartitionEvent[], killedAt: number, partitions: readonly number[]): number | null {
  if (partitions.length === 0) return null;
  let latest = 0;
  for (const p of partitions) {
    const first = events.find((e) => e.partition === p && e.at > killedAt);
    if (!first) return null;
    latest = Math.max(latest, first.at - killedAt);
  }
  return latest;
}

/** Partition → leader node id of `topic`, read from a cluster directly. */
export async function partitionLeaders(direct: string[], topic: string): Promise<Map<number, number>> {
  const admin = directClient(direct, 'failover-demo-drill-leaders', { connectionTimeoutMs: 1_000, requestTimeoutMs: 2_000, retry: { retries: 0 } }).admin();
  try {
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    return new Map((topics[0]?.partitions ?? []).map((p) => [p.partitionId, p.leader]));
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The primary broker leading partition 0 of `topic`: what `broker-crash` kills. */
export async function leaderOfPartitionZero(t: Topology, direct: string[], topic: string): Promise<string> {
  const leader = (await partitionLeaders(direct, topic)).get(0);
  if (leader === undefined || leader < 0 || leader >= t.brokers) {
    throw new UserError(`the primary cluster names no leader for ${topic} partition 0`, 'check `failover-demo status`; the drill starts from a healthy demo');
  }
  return brokerName('primary', leader);
}

/**
 * Polls the cluster's metadata until none of `led` is led by node `victim` any more; resolves with that
 * time, or undefined once `until` resolves first.
 */
async function watchLeadership(direct: string[], topic: string, victim: number, led: number[], until: Promise<unknown>): Promise<number | undefined> {
  let done = false;
  void until.finally(() => (done = true));
  while (!done) {
    try {
      const leaders = await partitionLeaders(direct, topic);
      if (led.every((p) => (leaders.get(p) ?? victim) !== victim)) return Date.now();
    } catch {
      /* a broker of the cluster is going down: ask again */
    }
    await delay(100);
  }
  return undefined;
}

export interface CrashStep {
  result: CrashResult;
  ledPartitions?: number[];
  leaderMovedAt?: number;
}

/**
 * Kills `part` ('envoy', or 'leader': the primary broker leading partition 0 of `topic`) and waits for it
 * to serve again; for a broker, also watches when its partitions' leadership moved.
 */
export async function runCrash(runtime: Runtime, part: string, o: { topic: string; signal?: AbortSignal; onAction: (text: string) => void }): Promise<CrashStep> {
  const t = runtime.topology;
  const direct = runtime.endpoints().direct.primary;
  const name = part === 'leader' ? await leaderOfPartitionZero(t, direct, o.topic) : part;
  if (name === 'envoy' || name === 'controller') {
    o.onAction(`killing ${name === 'envoy' ? 'Envoy' : 'the failover controller'} with SIGKILL; waiting for its supervisor to bring it back`);
    return { result: await runtime.crash(name, { signal: o.signal }) };
  }
  const victim = Number(name.slice(name.lastIndexOf('-') + 1));
  const leaders = await partitionLeaders(direct, o.topic);
  const ledPartitions = [...leaders.entries()].filter(([, l]) => l === victim).map(([p]) => p).sort((a, b) => a - b);
  o.onAction(`killing ${name}'s JVM with SIGKILL (it leads ${o.topic} partition${ledPartitions.length === 1 ? '' : 's'} ${ledPartitions.join(', ')}); waiting for its supervisor to bring it back`);
  const crashing = runtime.crash(name, { signal: o.signal });
  const moved = watchLeadership(direct, o.topic, victim, ledPartitions, crashing.catch(() => undefined));
  const result = await crashing;
  const leaderMovedAt = await moved;
  return { result, ledPartitions, ...(leaderMovedAt !== undefined ? { leaderMovedAt } : {}) };
}

/** The report's view of a crash step, from the runtime's times and the clients' events. */
export function crashMeasures(
  step: CrashStep,
  clients: { acks: readonly PartitionEvent[]; received: readonly PartitionEvent[]; failures: readonly { at: number; count: number }[]; partitions: number[] },
): CrashMeasures {
  const r = step.result;
  const since = (at: number | undefined) => (at === undefined ? null : Math.max(0, at - r.killedAt));
  const producerRecoveryMs = recoveryAfter(clients.acks, r.killedAt, clients.partitions);
  const recoveredAt = producerRecoveryMs === null ? Infinity : r.killedAt + producerRecoveryMs;
  return {
    part: r.part,
    killed: r.killed,
    restarts: r.restarts ?? null,
    backMs: since(r.restartedAt),
    servingMs: since(r.servingAt),
    producerRecoveryMs,
    consumerRecoveryMs: recoveryAfter(clients.received, r.killedAt, clients.partitions),
    failedSends: clients.failures.filter((f) => f.at > r.killedAt && f.at <= recoveredAt).reduce((n, f) => n + f.count, 0),
    ...(step.ledPartitions ? { ledPartitions: step.ledPartitions, leaderElectionMs: since(step.leaderMovedAt) } : {}),
  };
}
