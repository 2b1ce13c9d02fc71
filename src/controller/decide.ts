/**
 * The `coherent` failover rule: which Redpanda cluster every Kafka listener of Envoy routes to.
 * Pure: no I/O, no clock (the caller passes `now`), so every rule is unit-tested on its own.
 *
 * One decision for all listeners at once, so a client never talks to brokers of both clusters:
 *  - The active cluster stays while it has at least `quorum` healthy brokers (one broker down is not
 *    a failover: Redpanda itself carries on with a majority).
 *  - Failover: the active cluster is below quorum and the other one has it.
 *  - Neither has quorum: nothing changes (switching would not help), but `activeCluster` says 'none'.
 *  - Auto failback (failback 'auto', secondary active, not pinned): once every primary broker has been
 *    healthy without a break for failbackHoldMs, back to the primary. A broker that flaps restarts the hold.
 *  - Planned switchover (`planSwitch`, from the HTTP API): to a cluster with quorum, at once, and pinned
 *    so auto failback does not undo it. A failover clears the pin.
 *  - No health data (Envoy unreachable): the caller keeps the state and calls `forgetFailbackHold`, so
 *    the failback hold only counts time in which the primary was actually seen healthy.
 */
import type { ClusterName, FailbackMode } from './config.js';

export interface DecisionState {
  active: ClusterName;
  /** Epoch ms at which `active` became active (or the controller took over). */
  since: number;
  /** Why `active` is the active cluster. */
  reason: string;
  /** Set by a planned switchover; auto failback does not apply while set. Cleared by a failover. */
  pinned: boolean;
  /** Epoch ms since when every primary broker has been healthy, without a break. */
  primaryHealthySince?: number;
  /**
   * false from the controller's start until the active cluster is first seen with quorum: brokers that
   * are still starting (the secondary's may pass their health checks first) are no outage to fail over
   * from, for up to STARTUP_GRACE_MS.
   */
  activeHadQuorum?: boolean;
}

/** At start-up, how long the active cluster may take to reach quorum before a failover from it. */
export const STARTUP_GRACE_MS = 30_000;

export interface HealthCounts {
  healthy: Record<ClusterName, number>;
  total: Record<ClusterName, number>;
}

export interface DecideConfig {
  quorum: number;
  failback: FailbackMode;
  failbackHoldMs: number;
  /** At start-up, how long the active cluster may take to reach quorum before a failover from it (default STARTUP_GRACE_MS). */
  startupGraceMs?: number;
}

export interface Switch {
  from: ClusterName;
  to: ClusterName;
  reason: string;
}

export interface Decision {
  state: DecisionState;
  /** Present when this decision changes the active cluster. */
  switched?: Switch;
  /** The cluster the listeners serve: state.active, or 'none' when neither cluster has quorum. */
  activeCluster: ClusterName | 'none';
  /** What the controller says about the current decision (state.reason unless neither has quorum). */
  reason: string;
  /** Auto failback is waiting out its hold: every primary broker healthy since this epoch ms. */
  pendingFailbackSince?: number;
}

export const other = (c: ClusterName): ClusterName => (c === 'primary' ? 'secondary' : 'primary');

const hasQuorum = (c: ClusterName, counts: HealthCounts, quorum: number) => counts.healthy[c] >= quorum;

/** "primary has 1/3 healthy, quorum 2; secondary has 3/3" */
export function quorumText(c: ClusterName, counts: HealthCounts, quorum: number): string {
  const o = other(c);
  return `${c} has ${counts.healthy[c]}/${counts.total[c]} healthy, quorum ${quorum}; ${o} has ${counts.healthy[o]}/${counts.total[o]}`;
}

/** 10000 → "10 s", 2500 → "2.5 s" */
function holdText(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

function allPrimaryHealthy(counts: HealthCounts): boolean {
  return counts.total.primary > 0 && counts.healthy.primary >= counts.total.primary;
}

/** The failback hold only counts time the primary was seen healthy: call this when health data is missing. */
export function forgetFailbackHold(state: DecisionState): DecisionState {
  if (state.primaryHealthySince === undefined) return state;
  const { primaryHealthySince: _, ...rest } = state;
  return rest;
}

function withHold(state: DecisionState, since: number | undefined): DecisionState {
  const base = forgetFailbackHold(state);
  return since === undefined ? base : { ...base, primaryHealthySince: since };
}

/** One step of the rule: the state after seeing `counts` at `now`. */
export function decide(state: DecisionState, counts: HealthCounts, now: number, config: DecideConfig): Decision {
  const { quorum } = config;
  const healthySince = allPrimaryHealthy(counts) ? (state.primaryHealthySince ?? now) : undefined;
  const active = state.active;
  const standby = other(active);
  const seen = state.activeHadQuorum === false && hasQuorum(active, counts, quorum);
  const current = withHold(seen ? { ...state, activeHadQuorum: true } : state, healthySince);

  if (!hasQuorum(active, counts, quorum)) {
    if (hasQuorum(standby, counts, quorum) && state.activeHadQuorum === false && now - state.since < (config.startupGraceMs ?? STARTUP_GRACE_MS)) {
      const reason = `starting: ${active} has not had quorum ${quorum} yet (${counts.healthy[active]}/${counts.total[active]} healthy); failover from it only after ${holdText(config.startupGraceMs ?? STARTUP_GRACE_MS)}`;
      return { state: current, activeCluster: active, reason };
    }
    if (hasQuorum(standby, counts, quorum)) {
      const reason = quorumText(active, counts, quorum);
      const next = withHold({ active: standby, since: now, reason, pinned: false }, healthySince);
      return { state: next, switched: { from: active, to: standby, reason }, activeCluster: standby, reason };
    }
    const reason =
      `neither cluster has quorum ${quorum} (primary ${counts.healthy.primary}/${counts.total.primary}, ` +
      `secondary ${counts.healthy.secondary}/${counts.total.secondary} healthy): listeners stay on ${active}`;
    return { state: current, activeCluster: 'none', reason };
  }

  if (active === 'secondary' && config.failback === 'auto' && !state.pinned && healthySince !== undefined) {
    const heldMs = now - healthySince;
    if (heldMs >= config.failbackHoldMs) {
      const reason = `every primary broker healthy for ${(heldMs / 1000).toFixed(1)} s (hold ${holdText(config.failbackHoldMs)})`;
      const next = withHold({ active: 'primary', since: now, reason, pinned: false }, healthySince);
      return { state: next, switched: { from: 'secondary', to: 'primary', reason }, activeCluster: 'primary', reason };
    }
    return { state: current, activeCluster: active, reason: current.reason, pendingFailbackSince: healthySince };
  }

  return { state: current, activeCluster: active, reason: current.reason };
}

export type SwitchOutcome =
  /** The active cluster changed to `to` (and is pinned). */
  | { kind: 'switched'; decision: Decision }
  /** `to` was already active: nothing moves, but the cluster is pinned now. */
  | { kind: 'already-active'; decision: Decision; note: string }
  /** `to` lacks quorum: nothing changes. */
  | { kind: 'refused'; reason: string };

/**
 * A planned switchover to `to`, judged on `counts` (the latest health data).
 * Also pins when `to` is already active: asking to stay on the secondary means "no auto failback".
 */
export function planSwitch(state: DecisionState, to: ClusterName, counts: HealthCounts, now: number, config: DecideConfig): SwitchOutcome {
  const { quorum } = config;
  const healthySince = allPrimaryHealthy(counts) ? (state.primaryHealthySince ?? now) : undefined;
  if (!hasQuorum(to, counts, quorum)) {
    return {
      kind: 'refused',
      reason: `refused: ${to} has ${counts.healthy[to]}/${counts.total[to]} healthy brokers, below quorum ${quorum}`,
    };
  }
  if (state.active === to) {
    const note = state.pinned
      ? `${to} is already active (pinned)`
      : `${to} is already active; pinned now${to === 'secondary' ? ', so auto failback will not move it' : ''}`;
    const next = withHold({ ...state, pinned: true }, healthySince);
    return { kind: 'already-active', note, decision: { state: next, activeCluster: to, reason: next.reason } };
  }
  const reason = `planned switchover to ${to}: ${quorumText(to, counts, quorum)}`;
  const next = withHold({ active: to, since: now, reason, pinned: true }, healthySince);
  return { kind: 'switched', decision: { state: next, switched: { from: state.active, to, reason }, activeCluster: to, reason } };
}
