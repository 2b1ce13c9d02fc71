/**
 * Breaking and repairing brokers on purpose, through the Runtime interface only (so both runtimes get it),
 * and what Envoy should do about it next (from predictTiming and the expected routing).
 * Used by the fault commands and by the drill engine: one code path.
 */
import { brokersOf, CLUSTER_NAMES, effectiveQuorum, type BrokerRef, type ClusterName, type Topology } from '../config/topology.js';
import { formatSeconds, formatWindow, predictTiming, recoveryModeCase, type DetectionCase, type TimingWindow } from '../envoy/timing.js';
import { describeRouting, expectedCoherentRouting, expectedRouting, type ExpectedRouting } from '../envoy/routing-model.js';
import { requireBroker } from '../runtime/broker-lookup.js';
import type { BrokerChange, BrokerStatus, Runtime, RuntimeKind } from '../runtime/types.js';
import { UserError } from '../util/errors.js';

export type FaultAction =
  | { kind: 'stop'; brokers: string[] }
  | { kind: 'start'; brokers: string[] }
  | { kind: 'restart'; brokers: string[] }
  | { kind: 'recovery'; enabled: boolean; brokers: string[] }
  /** Start stopped brokers and take brokers out of recovery mode. */
  | { kind: 'restore'; brokers: string[] }
  /**
   * SIGKILL a part, as a crash would: 'envoy', or 'leader' (the primary broker leading partition 0 of the
   * drill's topic). Its supervisor brings it back; run by the drill engine through ./crash.ts.
   */
  | { kind: 'crash'; part: 'envoy' | 'leader'; brokers: [] }
  /** A planned switch through the controller (with replication, a failback that waits for the primary): ./switch.ts. */
  | { kind: 'switch'; to: ClusterName; brokers: [] };

export interface FaultOutcome {
  /** What was done, one line per broker ("stopped primary-broker-0"). */
  did: string[];
  /** What Envoy should do next, with the predicted windows. */
  next: string[];
  /** Routing Envoy should settle on, given which brokers now serve. */
  expected: ExpectedRouting;
  /** Wall time of the runtime calls. */
  ms: number;
  /** Epoch ms of the first runtime call that changes a broker (the command was issued). */
  faultAt: number;
  /**
   * Epoch ms the action had taken effect on every broker it changed: each stopped broker had stopped
   * serving (its Schema Registry, which Envoy health-checks, no longer answered; else its process had
   * exited), each started one served again (else was ready, else up where its cluster had no quorum).
   * Predicted windows are measured from here.
   */
  effectAt: number;
  /** What each broker change reported (times, and why readiness was or was not waited for). */
  changes: BrokerChange[];
}

/** When one broker's change took effect, for an action of this kind. */
export function effectTime(action: FaultAction, c: BrokerChange): number | undefined {
  const stops = action.kind === 'stop' || action.kind === 'restart' || (action.kind === 'recovery' && action.enabled);
  return stops ? (c.servingEndedAt ?? c.stoppedAt ?? c.startedAt) : (c.servingAt ?? c.readyAt ?? c.startedAt);
}

function listValid(t: Topology): string {
  return `brokers: ${brokersOf(t).map((b) => b.name).join(', ')}; clusters: ${CLUSTER_NAMES.join(', ')}`;
}

/** One broker by name, or a UserError that lists the valid names. */
export function resolveBroker(t: Topology, name: string): BrokerRef {
  return requireBroker(t, name);
}

/** A broker name or a cluster name ("primary" / "secondary") → its brokers. */
export function resolveBrokersOrCluster(t: Topology, target: string): BrokerRef[] {
  if ((CLUSTER_NAMES as readonly string[]).includes(target)) return brokersOf(t, target as ClusterName);
  const b = brokersOf(t).find((x) => x.name === target);
  if (!b) throw new UserError(`"${target}" is neither a broker nor a cluster`, `valid names: ${listValid(t)}`);
  return [b];
}

/** Running and not in recovery mode: its Schema Registry answers, so Envoy's health check passes. */
export function serves(s: Pick<BrokerStatus, 'running' | 'recoveryMode'> | undefined): boolean {
  return !!s && s.running && !s.recoveryMode;
}

/**
 * How Envoy notices a broker that stops serving, for this runtime. In the Docker runtime the broker's
 * container stops (also for the restart into recovery mode): its address leaves the network while it is
 * down, so the checks are refused at first and time out later (`vanished`). In the local runtime the
 * process exits and the port refuses; in recovery mode the stand-in fails as configured. On users' own
 * clusters (external) the step's clock starts at the first failed check, which `refused` models.
 */
export function detectionCase(kind: RuntimeKind, t: Topology, why: 'stopped' | 'recovery'): DetectionCase {
  if (kind === 'docker') return 'vanished';
  if (why === 'stopped') return 'refused';
  return recoveryModeCase(t.local.recoveryBehaviour);
}

const CASE_WORDS: Record<DetectionCase, string> = {
  refused: 'health checks refused',
  hung: 'health checks time out',
  errorStatus: 'Schema Registry answers non-200',
  vanished: 'health checks refused, then time out once the container has left the network',
};

/** Lines telling what Envoy should do after the serving set changed from `before` to `after`. */
export function envoyNext(
  t: Topology,
  kind: RuntimeKind,
  before: readonly BrokerStatus[],
  after: readonly BrokerStatus[],
  why: 'stopped' | 'recovery',
): { lines: string[]; expected: ExpectedRouting } {
  const p = predictTiming(t.healthCheck);
  const was = new Map(before.map((s) => [s.name, serves(s)]));
  const now = new Map(after.map((s) => [s.name, serves(s)]));
  const lines: string[] = [];
  const down = after.filter((s) => was.get(s.name) && !now.get(s.name)).map((s) => s.name);
  const up = after.filter((s) => !was.get(s.name) && now.get(s.name)).map((s) => s.name);
  if (down.length > 0) {
    const c = detectionCase(kind, t, why);
    const w: TimingWindow = p[c];
    lines.push(`Envoy should mark ${down.join(', ')} unhealthy in ${formatWindow(w)} (${CASE_WORDS[c]}; see \`failover-demo timing\`).`);
  }
  if (up.length > 0) {
    // Docker: a started container rejoins the network and Envoy's DNS refresh adds it back.
    lines.push(`Envoy should mark ${up.join(', ')} healthy in ${formatWindow(kind === 'docker' ? p.returned : p.recovered)} once its Schema Registry answers (it does now).`);
  }
  if (t.failover.policy === 'coherent') return { lines: [...lines, ...coherentNext(t, was, now)], expected: coherentExpected(t, was, now) };
  const before_ = expectedRouting(t.brokers, (n) => was.get(n) === true);
  const expected = expectedRouting(t.brokers, (n) => now.get(n) === true);
  const from = describeRouting(before_);
  const to = describeRouting(expected);
  if (from === to) lines.push(`Routing should stay: ${to}.`);
  else lines.push(`Routing should then go from ${from} to ${to}.`);
  if (expected.activeCluster === 'split') {
    lines.push('Split: clients talk to both Kafka clusters at once (each listener fails over on its own).');
  }
  if (expected.activeCluster === 'none') {
    lines.push('Some listener will have no healthy broker behind it: clients get connection errors there.');
  }
  return { lines, expected };
}

/** coherent: the cluster the controller's rule keeps (or moves to) for these serving sets. */
function coherentExpected(t: Topology, was: Map<string, boolean>, now: Map<string, boolean>): ExpectedRouting {
  const quorum = effectiveQuorum(t);
  const count = (m: Map<string, boolean>, c: ClusterName) => brokersOf(t, c).filter((b) => m.get(b.name)).length;
  // Before: the primary while it had a quorum (the controller's decision is not known here).
  const active: ClusterName = count(was, 'primary') >= quorum ? 'primary' : 'secondary';
  const other: ClusterName = active === 'primary' ? 'secondary' : 'primary';
  let next: ClusterName | 'none' = active;
  if (count(now, active) < quorum) next = count(now, other) >= quorum ? other : 'none';
  else if (active === 'secondary' && t.failover.failback === 'auto' && count(now, 'primary') === t.brokers) next = 'primary';
  return expectedCoherentRouting(t.brokers, quorum, () => false, next, active);
}

function coherentNext(t: Topology, was: Map<string, boolean>, now: Map<string, boolean>): string[] {
  const quorum = effectiveQuorum(t);
  const count = (c: ClusterName) => brokersOf(t, c).filter((b) => now.get(b.name)).length;
  const expected = coherentExpected(t, was, now);
  const wasOn = coherentExpected(t, was, was).activeCluster;
  const failingBack = wasOn === 'secondary' && expected.activeCluster === 'primary';
  const lines = [`Coherent policy: primary ${count('primary')}/${t.brokers} serving, secondary ${count('secondary')}/${t.brokers}, quorum ${quorum}.`];
  if (expected.activeCluster === 'none') lines.push('Neither cluster has a quorum: the controller keeps the routing as it is; clients get errors until one has.');
  else lines.push(`Every listener should route to the ${expected.activeCluster} cluster${failingBack ? ` (a failback waits ${formatSeconds(t.failover.failbackHoldMs)} s of every primary broker healthy)` : ''}; a switch moves them all at once and closes client connections to the other cluster.`);
  return lines;
}

/** One broker's part of an action: what it did (or why there was nothing to do) and the runtime's report. */
async function actOn(
  runtime: Runtime,
  action: FaultAction,
  name: string,
  s: BrokerStatus | undefined,
  alongside: readonly string[],
  onBroker: (text: string) => void,
): Promise<{ did: string; change?: BrokerChange }> {
  const opts = { alongside };
  const note = (c: BrokerChange) => (c.readyAt === undefined && c.note ? ` (${c.note})` : '');
  switch (action.kind) {
    case 'stop': {
      if (s && !s.running) return { did: `${name} was already stopped` };
      onBroker(`stopping ${name}`);
      const change = await runtime.stopBroker(name);
      return { did: `stopped ${name}`, change };
    }
    case 'start': {
      if (s?.running) return { did: `${name} was already running` };
      onBroker(`starting ${name}`);
      const change = await runtime.startBroker(name, opts);
      return { did: `started ${name}${s?.recoveryMode ? ' (in recovery mode)' : ''}${note(change)}`, change };
    }
    case 'restart': {
      onBroker(`restarting ${name}`);
      const r0 = Date.now();
      const change = await runtime.restartBroker(name, opts);
      return { did: `restarted ${name} (took ${formatSeconds(Date.now() - r0)} s)${note(change)}`, change };
    }
    case 'recovery': {
      onBroker(`${s?.running ? 'restarting' : 'starting'} ${name} ${action.enabled ? 'in' : 'out of'} recovery mode`);
      const change = await runtime.setRecoveryMode(name, action.enabled, opts);
      return { did: `${name}: redpanda.recovery_mode_enabled: ${action.enabled}, ${s?.running ? 'restarted' : 'started'}${note(change)}`, change };
    }
    case 'restore':
      if (s?.recoveryMode) {
        onBroker(`taking ${name} out of recovery mode`);
        const change = await runtime.setRecoveryMode(name, false, opts);
        return { did: `${name}: out of recovery mode, ${s.running ? 'restarted' : 'started'}${note(change)}`, change };
      }
      if (!s?.running) {
        onBroker(`starting ${name}`);
        const change = await runtime.startBroker(name, opts);
        return { did: `started ${name}${note(change)}`, change };
      }
      return { did: `${name} was already serving` };
    case 'crash':
    case 'switch':
      throw new Error(`a ${action.kind} is not a broker change`);
  }
}

/**
 * Performs one fault action through the runtime and says what Envoy should do next. The brokers of one
 * action are handled together (in parallel), as `docker start a b` would: a Kafka cluster that lost its
 * controller quorum can only come back with enough of its brokers starting at once.
 * `onBroker` is called before each broker's runtime call (for progress lines).
 */
export async function applyFault(
  runtime: Runtime,
  action: FaultAction,
  onBroker: (text: string) => void = () => {},
): Promise<FaultOutcome> {
  const t = runtime.topology;
  if (action.kind === 'crash') throw new Error('a crash runs through runCrash (src/drill/crash.ts), not applyFault');
  if (action.kind === 'switch') throw new Error('a switch runs through plannedSwitch (src/drill/switch.ts), not applyFault');
  for (const name of action.brokers) resolveBroker(t, name);
  const t0 = Date.now();
  const before = (await runtime.status()).brokers;
  const state = new Map(before.map((s) => [s.name, s]));
  const faultAt = Date.now();
  // Brokers started by this action count towards their cluster's quorum (they start together).
  const results = await Promise.allSettled(
    action.brokers.map((name) => actOn(runtime, action, name, state.get(name), action.brokers.filter((n) => n !== name), onBroker)),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  const acted = results.map((r) => (r as PromiseFulfilledResult<{ did: string; change?: BrokerChange }>).value);
  const did = acted.map((a) => a.did);
  const changes = acted.flatMap((a) => (a.change ? [a.change] : []));
  const effects = changes.map((c) => effectTime(action, c)).filter((x): x is number => x !== undefined);
  const effectAt = effects.length > 0 ? Math.max(...effects) : faultAt;
  const after = (await runtime.status()).brokers;
  const why = action.kind === 'recovery' ? 'recovery' : 'stopped';
  const { lines, expected } = envoyNext(t, runtime.kind, before, after, why);
  if (action.kind === 'restart') {
    const p = predictTiming(t.healthCheck);
    lines.unshift(
      `A restart shorter than ${formatSeconds(p.refused.earliestMs)} s cannot be noticed (Envoy needs ${t.healthCheck.unhealthyThreshold} failed checks); a longer one may flip routing briefly.`,
    );
  }
  return { did, next: lines, expected, ms: Date.now() - t0, faultAt, effectAt, changes };
}
