/**
 * One rule, shared by both runtimes, for how long a broker (re)start waits. Pure: no I/O.
 *
 * A broker can only become ready (Kafka API up) when its cluster has a quorum: a majority of its
 * brokers running. Redpanda, and the Kafka stand-in, keep waiting for their peers otherwise. So a start
 * waits for what it can get: always for the broker's own state (process up, its admin side answering);
 * for full readiness only when a majority of its cluster runs (counting the brokers started by the
 * same action). Where readiness is impossible the start returns within seconds and says why, instead of
 * waiting out a deadline for something the scenario itself rules out (a recovery-mode restart of the
 * last running broker of a cluster, for example).
 */
import { brokersOf, type BrokerRef, type Topology } from '../config/topology.js';

/** Brokers a cluster of `size` needs running to have a quorum. */
export function quorumSize(size: number): number {
  return Math.floor(size / 2) + 1;
}

export interface ReadinessPlan {
  /** Wait until the broker is ready (true), or only until its own state is known (false). */
  waitForReady: boolean;
  /** Brokers of the cluster counted as running (this one and `alongside` included). */
  running: number;
  quorum: number;
  /** One line for the person at the terminal / the drill report. */
  reason: string;
}

/**
 * @param running names of brokers whose process runs now
 * @param alongside brokers being started by the same action (they count as running)
 */
export function readinessPlan(t: Topology, b: BrokerRef, running: Iterable<string>, alongside: Iterable<string> = []): ReadinessPlan {
  const counted = new Set([...running, ...alongside, b.name]);
  const peers = brokersOf(t, b.cluster);
  const n = peers.filter((p) => counted.has(p.name)).length;
  const quorum = quorumSize(peers.length);
  const waitForReady = n >= quorum;
  return {
    waitForReady,
    running: n,
    quorum,
    reason: waitForReady
      ? `${b.cluster} cluster has ${n} of ${peers.length} brokers running (quorum ${quorum}): waiting until ${b.name} is ready`
      : `${b.cluster} cluster has ${n} of ${peers.length} brokers running, below its quorum of ${quorum}: ${b.name} cannot become ready until more of them run, so it was not waited for`,
  };
}
