/**
 * Breaking and repairing brokers on purpose, through the Runtime interface only (so both runtimes get it),
 * and what Envoy should do about it next (from predictTiming and the expected routing).
 * Used by the fault commands and by the drill engine: one code path.
 */
import { brokersOf, CLUSTER_NAMES, type BrokerRef, type ClusterName, type Topology } from '../config/topology.js';
import { formatSeconds, formatWindow, predictTiming, recoveryModeCase, type DetectionCase, type TimingWindow } from '../envoy/timing.js';
import type { BrokerStatus, Runtime, RuntimeKind } from '../runtime/types.js';
import { UserError } from '../util/errors.js';
import { describeRouting, expectedRouting, type ExpectedRouting } from './expected.js';

export type FaultAction =
  | { kind: 'stop'; brokers: string[] }
  | { kind: 'start'; brokers: string[] }
  | { kind: 'restart'; brokers: string[] }
  | { kind: 'recovery'; enabled: boolean; brokers: string[] }
  /** Start stopped brokers and take brokers out of recovery mode. */
  | { kind: 'restore'; brokers: string[] };

export interface FaultOutcome {
  /** What was done, one line per broker ("stopped primary-broker-0"). */
  did: string[];
  /** What Envoy should do next, with the predicted windows. */
  next: string[];
  /** Routing Envoy should settle on, given which brokers now serve. */
  expected: ExpectedRouting;
  /** Wall time of the runtime calls. */
  ms: number;
}

function listValid(t: Topology): string {
  return `brokers: ${brokersOf(t).map((b) => b.name).join(', ')}; clusters: ${CLUSTER_NAMES.join(', ')}`;
}

/** One broker by name, or a UserError that lists the valid names. */
export function resolveBroker(t: Topology, name: string): BrokerRef {
  const b = brokersOf(t).find((x) => x.name === name);
  if (!b) throw new UserError(`no broker named "${name}"`, `valid names: ${brokersOf(t).map((x) => x.name).join(', ')}`);
  return b;
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

/** How Envoy notices a broker that stops serving, for this runtime. */
export function detectionCase(kind: RuntimeKind, t: Topology, why: 'stopped' | 'recovery'): DetectionCase {
  if (why === 'stopped') return 'refused';
  // The local runtime's Schema Registry stand-in fails as configured; Redpanda closes the port.
  return kind === 'local' ? recoveryModeCase(t.local.recoveryBehaviour) : 'refused';
}

const CASE_WORDS: Record<DetectionCase, string> = {
  refused: 'health checks refused',
  hung: 'health checks time out',
  errorStatus: 'Schema Registry answers non-200',
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
    lines.push(`Envoy should mark ${up.join(', ')} healthy in ${formatWindow(p.recovered)} once its Schema Registry answers (it does now).`);
  }
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

/**
 * Performs one fault action through the runtime and says what Envoy should do next.
 * `onBroker` is called before each broker's runtime call (for progress lines).
 */
export async function applyFault(
  runtime: Runtime,
  action: FaultAction,
  onBroker: (text: string) => void = () => {},
): Promise<FaultOutcome> {
  const t = runtime.topology;
  for (const name of action.brokers) resolveBroker(t, name);
  const t0 = Date.now();
  const before = (await runtime.status()).brokers;
  const state = new Map(before.map((s) => [s.name, s]));
  const did: string[] = [];
  for (const name of action.brokers) {
    const s = state.get(name);
    switch (action.kind) {
      case 'stop':
        if (s && !s.running) {
          did.push(`${name} was already stopped`);
          break;
        }
        onBroker(`stopping ${name}`);
        await runtime.stopBroker(name);
        did.push(`stopped ${name}`);
        break;
      case 'start':
        if (s?.running) {
          did.push(`${name} was already running`);
          break;
        }
        onBroker(`starting ${name}`);
        await runtime.startBroker(name);
        did.push(`started ${name}${s?.recoveryMode ? ' (in recovery mode)' : ''}`);
        break;
      case 'restart': {
        onBroker(`restarting ${name}`);
        const r0 = Date.now();
        await runtime.restartBroker(name);
        did.push(`restarted ${name} (down for at most ${formatSeconds(Date.now() - r0)} s)`);
        break;
      }
      case 'recovery':
        onBroker(`${action.enabled ? 'putting' : 'taking'} ${name} ${action.enabled ? 'into' : 'out of'} recovery mode`);
        await runtime.setRecoveryMode(name, action.enabled);
        did.push(`${name}: redpanda.recovery_mode_enabled: ${action.enabled}, restarted`);
        break;
      case 'restore':
        if (s?.recoveryMode) {
          onBroker(`taking ${name} out of recovery mode`);
          await runtime.setRecoveryMode(name, false);
          did.push(`${name}: out of recovery mode, restarted`);
        } else if (!s?.running) {
          onBroker(`starting ${name}`);
          await runtime.startBroker(name);
          did.push(`started ${name}`);
        } else {
          did.push(`${name} was already serving`);
        }
        break;
    }
  }
  const after = (await runtime.status()).brokers;
  const why = action.kind === 'recovery' ? 'recovery' : 'stopped';
  const { lines, expected } = envoyNext(t, runtime.kind, before, after, why);
  if (action.kind === 'restart') {
    const p = predictTiming(t.healthCheck);
    lines.unshift(
      `A restart shorter than ${formatSeconds(p.refused.earliestMs)} s cannot be noticed (Envoy needs ${t.healthCheck.unhealthyThreshold} failed checks); a longer one may flip routing briefly.`,
    );
  }
  return { did, next: lines, expected, ms: Date.now() - t0 };
}
