/**
 * The routing Envoy should settle on for a given set of serving brokers, and how what Envoy does compares
 * to it (pure): what `status` reports and what each drill step waits for.
 *
 * Each listener i is one Envoy cluster holding primary-broker-i (priority 0) and secondary-broker-i
 * (priority 1), panic routing off. So listener i routes to the primary when primary-broker-i serves,
 * else to the secondary when secondary-broker-i serves, else nowhere. A broker "serves" when it runs
 * and is not in recovery mode (its Schema Registry answers). Overall: one cluster when every listener
 * agrees, `split` when they disagree, `none` when some listener has no upstream — as ./routing.ts reports it.
 */
import { brokerName, type ClusterName } from '../config/topology.js';
import type { ActiveCluster, RoutingSnapshot } from './routing-types.js';

export type ListenerTarget = ClusterName | 'none';

export interface ExpectedRouting {
  activeCluster: ActiveCluster;
  /** Where listener i routes, by broker position. */
  listeners: ListenerTarget[];
}

/** What a routing snapshot showed, in the same shape (for reports and comparisons). */
export interface ObservedRouting {
  activeCluster: ActiveCluster;
  listeners: string[];
}

export function overallOf(listeners: readonly ListenerTarget[]): ActiveCluster {
  if (listeners.length === 0 || listeners.includes('none')) return 'none';
  const distinct = new Set(listeners);
  return distinct.size === 1 ? (listeners[0] as ClusterName) : 'split';
}

/** Expected routing when exactly the brokers for which `serves(name)` is true pass their health check. */
export function expectedRouting(brokers: number, serves: (name: string) => boolean): ExpectedRouting {
  const listeners = Array.from({ length: brokers }, (_, i): ListenerTarget =>
    serves(brokerName('primary', i)) ? 'primary' : serves(brokerName('secondary', i)) ? 'secondary' : 'none',
  );
  return { activeCluster: overallOf(listeners), listeners };
}

/**
 * Per broker position, where the snapshot routes. Listeners without a position are ignored; when a
 * position has several listeners (the Docker runtime's in-network and host listeners) they must agree,
 * else the position reads as "mixed".
 */
export function observedRouting(snapshot: RoutingSnapshot): ObservedRouting {
  const byIndex: string[] = [];
  for (const l of snapshot.listeners) {
    if (l.index === undefined) continue;
    const prev = byIndex[l.index];
    byIndex[l.index] = prev === undefined || prev === l.routesTo ? l.routesTo : 'mixed';
  }
  return { activeCluster: snapshot.activeCluster, listeners: Array.from(byIndex, (x) => x ?? 'missing') };
}

export function routingMatches(observed: ObservedRouting, expected: ExpectedRouting): boolean {
  return (
    observed.activeCluster === expected.activeCluster &&
    observed.listeners.length === expected.listeners.length &&
    expected.listeners.every((target, i) => observed.listeners[i] === target)
  );
}

/** "primary", "split (listener 0 → secondary; 1, 2 → primary)", "none (listener 1 → none; …)". */
export function describeRouting(r: { activeCluster: string; listeners: readonly string[] }): string {
  if (r.activeCluster === 'primary' || r.activeCluster === 'secondary') {
    if (r.listeners.every((l) => l === r.activeCluster)) return r.activeCluster;
  }
  const groups = new Map<string, number[]>();
  r.listeners.forEach((target, i) => groups.set(target, [...(groups.get(target) ?? []), i]));
  const parts = [...groups].map(([target, ids]) => `${ids.length === 1 ? 'listener' : 'listeners'} ${ids.join(', ')} → ${target}`);
  return `${r.activeCluster} (${parts.join('; ')})`;
}

/** The overall routing for `status`: what Envoy does now, and what it will settle on given the brokers. */
export interface RoutingStatus {
  activeCluster: ActiveCluster;
  /** Per Envoy listener cluster: where new connections go. */
  listeners: { name: string; index?: number; routesTo: string; routesToHost?: string }[];
  /** What the brokers' states (running, not in recovery mode) lead to once Envoy's checks catch up. */
  expected: ExpectedRouting;
  /** Envoy already routes as expected. */
  settled: boolean;
}

/**
 * coherent: every listener on the decided cluster. Without the controller's word: the primary if it has
 * a quorum of serving brokers, else the secondary if it has one, else none.
 */
export function expectedCoherentRouting(
  brokers: number,
  quorum: number,
  serves: (name: string) => boolean,
  decided?: ClusterName | 'none',
  /** Where the listeners point when no cluster has a quorum: the controller leaves them as they were. */
  listenersOn?: ClusterName,
): ExpectedRouting {
  const count = (c: ClusterName) => Array.from({ length: brokers }, (_, i) => brokerName(c, i)).filter(serves).length;
  const active = decided ?? (count('primary') >= quorum ? 'primary' : count('secondary') >= quorum ? 'secondary' : 'none');
  const target: ListenerTarget = active === 'none' ? (listenersOn ?? 'none') : active;
  return { activeCluster: active, listeners: Array.from({ length: brokers }, () => target) };
}

export function routingStatus(
  snapshot: RoutingSnapshot,
  brokers: readonly { name: string; running: boolean; recoveryMode: boolean }[],
  brokerCount: number,
  quorum = Math.floor(brokerCount / 2) + 1,
): RoutingStatus {
  const serving = new Map(brokers.map((b) => [b.name, b.running && !b.recoveryMode]));
  const decided = snapshot.decision?.reachable ? snapshot.decision.activeCluster : undefined;
  const listenersOn = snapshot.decision?.reachable ? snapshot.decision.active : undefined;
  const expected =
    snapshot.policy === 'coherent'
      ? expectedCoherentRouting(brokerCount, quorum, (n) => serving.get(n) === true, decided, listenersOn)
      : expectedRouting(brokerCount, (n) => serving.get(n) === true);
  return {
    activeCluster: snapshot.activeCluster,
    listeners: snapshot.listeners.map((l) => ({
      name: l.name,
      ...(l.index === undefined ? {} : { index: l.index }),
      routesTo: l.routesTo,
      ...(l.routesToHost === undefined ? {} : { routesToHost: l.routesToHost }),
    })),
    expected,
    settled: routingMatches(observedRouting(snapshot), expected),
  };
}
