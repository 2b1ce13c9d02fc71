/**
 * Drill scenarios as data: each step is a fault action, the routing Envoy must settle on, and the
 * timing window (from predictTiming) that bounds how long that may take. One engine (./engine.ts) runs
 * them all. Scenarios are built for the topology's broker count; the expected routing is written out
 * per listener (test/unit/drill-scenarios.test.ts checks it against the routing model).
 */
import { brokerName, type ClusterName, type FailbackMode, type FailoverPolicy } from '../config/topology.js';
import { overallOf, type ExpectedRouting, type ListenerTarget } from '../envoy/routing-model.js';
import { UserError } from '../util/errors.js';
import type { FaultAction } from './faults.js';

/**
 * Which predicted window bounds the step: a broker stopping to serve (killed, or restarted into recovery
 * mode: detected as the stand-in's recovery behaviour says), or a broker serving again.
 */
export type StepWindow = 'stopped' | 'recovery' | 'recovered' | 'crash' | 'switch';

export interface ScenarioStep {
  name: string;
  action: FaultAction;
  expect: ExpectedRouting;
  /** What this step really shows, in words (with the PoC's claim where it differs). */
  why: string;
  window: StepWindow;
  /**
   * The routing must not change: after reaching `expect`, it must hold for the recovery window
   * (a broker that passed its health check would have been marked healthy by then).
   */
  hold?: boolean;
  /** The fault whose detection / client recovery the report measures, and the failback step. */
  marks?: 'fault' | 'failback';
  /** PoC walkthrough step(s) this corresponds to. */
  poc?: string;
}

export interface Scenario {
  name: string;
  description: string;
  steps: ScenarioStep[];
}

export const SCENARIO_NAMES = ['recovery-mode', 'cluster-outage', 'broker-loss', 'proxy-restart', 'broker-crash'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
/** Scenarios where a part crashes and its supervisor brings it back: no failover, the same under either policy. */
export const CRASH_SCENARIOS: readonly ScenarioName[] = ['proxy-restart', 'broker-crash'];

/** Listener targets: `rest` everywhere except the positions given. */
function routes(brokers: number, rest: ListenerTarget, except: Record<number, ListenerTarget> = {}): ExpectedRouting {
  const listeners = Array.from({ length: brokers }, (_, i) => except[i] ?? rest);
  return { activeCluster: overallOf(listeners), listeners };
}

const all = (brokers: number, cluster: ClusterName) => Array.from({ length: brokers }, (_, i) => brokerName(cluster, i));
const p = (i: number) => brokerName('primary', i);

/** The PoC's walkthrough, steps 5–12, with what each step really does to per-listener routing. */
function recoveryMode(n: number): Scenario {
  if (n < 3) throw new UserError(`the recovery-mode scenario needs 3 or more brokers per cluster (the topology has ${n})`, 'use --scenario cluster-outage or broker-loss');
  const rest = Array.from({ length: n - 2 }, (_, i) => p(i + 2));
  return {
    name: 'recovery-mode',
    description: "The PoC's recovery-mode walkthrough (its steps 5–12), every routing state asserted.",
    steps: [
      {
        name: `stop ${p(0)}`,
        poc: '5',
        action: { kind: 'stop', brokers: [p(0)] },
        expect: routes(n, 'primary', { 0: 'secondary' }),
        why: `The PoC says traffic stays on primary ("2/3 healthy"). Really listener 0 moves to secondary-broker-0 while the others stay on primary: a split.`,
        window: 'stopped',
        marks: 'fault',
      },
      {
        name: `stop ${p(1)}`,
        poc: '6',
        action: { kind: 'stop', brokers: [p(1)] },
        expect: routes(n, 'primary', { 0: 'secondary', 1: 'secondary' }),
        why: `The PoC says the cluster fails over. Really listener 1 follows listener 0; ${rest.length === 1 ? 'listener 2 stays' : 'the rest stay'} on primary: still split.`,
        window: 'stopped',
      },
      {
        name: `recovery mode on ${rest.join(', ')}`,
        poc: '7–8',
        action: { kind: 'recovery', enabled: true, brokers: rest },
        expect: routes(n, 'secondary'),
        why: 'Recovery mode disables the Schema Registry while the Kafka API stays up, so the last primary listener(s) move too: everything on secondary.',
        window: 'recovery',
      },
      {
        name: `start ${p(0)}, ${p(1)} in recovery mode`,
        poc: '9–10',
        action: { kind: 'recovery', enabled: true, brokers: [p(0), p(1)] },
        expect: routes(n, 'secondary'),
        why: 'The whole primary cluster runs again, healthy as a cluster but every broker in recovery mode: Envoy must keep every listener on secondary.',
        window: 'recovery',
        hold: true,
      },
      {
        name: 'recovery mode off on all primary brokers',
        poc: '11–12',
        action: { kind: 'recovery', enabled: false, brokers: all(n, 'primary') },
        expect: routes(n, 'primary'),
        why: 'The brokers restart out of recovery mode; each listener returns to primary as soon as its broker passes healthy_threshold checks (each on its own: a split in between is possible).',
        window: 'recovered',
        marks: 'failback',
      },
    ],
  };
}

function clusterOutage(n: number): Scenario {
  return {
    name: 'cluster-outage',
    description: 'Every primary broker stops, then returns.',
    steps: [
      {
        name: 'stop every primary broker',
        action: { kind: 'stop', brokers: all(n, 'primary') },
        expect: routes(n, 'secondary'),
        why: 'Every listener loses its priority-0 broker and moves to its secondary broker.',
        window: 'stopped',
        marks: 'fault',
      },
      {
        name: 'start every primary broker',
        action: { kind: 'restore', brokers: all(n, 'primary') },
        expect: routes(n, 'primary'),
        why: 'Each listener returns to primary once its broker passes healthy_threshold checks.',
        window: 'recovered',
        marks: 'failback',
      },
    ],
  };
}

function brokerLoss(n: number): Scenario {
  return {
    name: 'broker-loss',
    description: 'One primary broker stops, then returns: the per-listener split in its simplest form.',
    steps: [
      {
        name: `stop ${p(0)}`,
        action: { kind: 'stop', brokers: [p(0)] },
        expect: routes(n, 'primary', { 0: 'secondary' }),
        why: n === 1 ? 'The only listener moves to secondary.' : 'Listener 0 moves to secondary-broker-0, the others stay on primary: clients now use two Kafka clusters at once.',
        window: 'stopped',
        marks: 'fault',
      },
      {
        name: `start ${p(0)}`,
        action: { kind: 'restore', brokers: [p(0)] },
        expect: routes(n, 'primary'),
        why: 'Listener 0 returns to primary once primary-broker-0 passes healthy_threshold checks.',
        window: 'recovered',
        marks: 'failback',
      },
    ],
  };
}

// ---------------------------------------------------------------------------------------------------
// crashes: a part killed with SIGKILL and brought back by its supervisor

function crashScenario(name: 'proxy-restart' | 'broker-crash', n: number, policy: FailoverPolicy): Scenario {
  if (name === 'proxy-restart') {
    return {
      name,
      description: 'Envoy is killed (SIGKILL) while clients produce and consume; its supervisor brings it back. Measured: its time back, the clients\' reconnect, and any acknowledged message missing.',
      steps: [
        {
          name: 'kill Envoy (SIGKILL)',
          action: { kind: 'crash', part: 'envoy', brokers: [] },
          expect: routes(n, 'primary'),
          why: 'Every client connection goes with the proxy; nothing about the clusters changed, so once Envoy is back (and its first health checks pass) every listener routes to the primary again and the clients reconnect to it.',
          window: 'crash',
        },
      ],
    };
  }
  const stays =
    policy === 'coherent'
      ? 'The primary keeps a quorum of serving brokers, so every listener stays on it'
      : 'Per-broker routing may move that broker\'s listener to the secondary until it serves again';
  return {
    name,
    description: 'The primary broker leading partition 0 of the drill\'s topic is killed (its JVM, SIGKILL) while clients produce and consume; its supervisor brings it back. Measured: Kafka\'s leader election, the clients\' recovery, the broker\'s time back, and any acknowledged message missing.',
    steps: [
      {
        name: 'kill the JVM of the primary broker leading partition 0 (SIGKILL)',
        action: { kind: 'crash', part: 'leader', brokers: [] },
        expect: routes(n, 'primary'),
        why: `Kafka moves the leadership of its partitions to an in-sync follower (no acknowledged write is lost: acks=all, min.insync.replicas is a majority). ${stays}; once it is back every listener routes to the primary.`,
        window: 'crash',
      },
    ],
  };
}

// coherent policy: the same faults, one decision for the whole cluster

interface CoherentRule {
  brokers: number;
  quorum: number;
  failback: FailbackMode;
  /** replication: a manual failback is part of the scenario (`switch primary`, which waits for the primary to catch up). */
  switchBack?: boolean;
}

/** The last step of a scenario that ends on the secondary with every primary broker back, under replication. */
function switchBackStep(brokers: number): ScenarioStep {
  return {
    name: 'switch primary (failback)',
    action: { kind: 'switch', to: 'primary', brokers: [] },
    expect: routes(brokers, 'primary'),
    why: "Under replication failback is a command: the secondary's writes since the promotion are copied back to the primary, writers are fenced for the last records, then every listener returns to the primary at once.",
    window: 'switch',
    marks: 'failback',
  };
}

/**
 * The coherent version of a scenario: the same actions, and the routing the controller's rule gives
 * (src/controller/decide.ts): the active cluster stays while it has a quorum of serving brokers, every
 * listener moves when it loses it (if the other has one), and with `auto` failback every listener
 * returns once every primary broker serves again (after failover.failbackHold).
 */
function coherentScenario(base: Scenario, rule: CoherentRule): Scenario {
  const serving = new Map<string, boolean>();
  for (const c of ['primary', 'secondary'] as const) for (const b of all(rule.brokers, c)) serving.set(b, true);
  let active: ClusterName = 'primary';
  let faultMarked = false;
  const count = (c: ClusterName) => all(rule.brokers, c).filter((b) => serving.get(b)).length;
  const steps = base.steps.map((step): ScenarioStep => {
    const a = step.action;
    for (const b of a.brokers) {
      if (a.kind === 'stop') serving.set(b, false);
      else if (a.kind === 'recovery') serving.set(b, !a.enabled);
      else if (a.kind === 'start' || a.kind === 'restore') serving.set(b, a.kind === 'restore' ? true : serving.get(b) ?? true);
    }
    const before = active;
    const other: ClusterName = active === 'primary' ? 'secondary' : 'primary';
    let why: string;
    if (count(active) < rule.quorum && count(other) >= rule.quorum) {
      active = other;
      why = `The ${before} cluster has ${count(before)}/${rule.brokers} serving brokers, below its quorum of ${rule.quorum}: every listener moves to the ${active} cluster at once, and Envoy closes the clients' connections to the ${before} cluster.`;
    } else if (active === 'secondary' && rule.failback === 'auto' && count('primary') === rule.brokers) {
      active = 'primary';
      why = `Every primary broker serves again: after failover.failbackHold every listener returns to the primary at once, and the clients' connections to the secondary are closed.`;
    } else {
      why = `The ${active} cluster keeps ${count(active)}/${rule.brokers} serving brokers (quorum ${rule.quorum}): every listener stays on it${count(active) < rule.brokers ? '; connections to a stopped broker fail, none go to the other cluster' : ''}.`;
    }
    const switched = active !== before;
    const marks = switched ? (active === 'secondary' && !faultMarked ? 'fault' : active === 'primary' ? 'failback' : undefined) : undefined;
    if (marks === 'fault') faultMarked = true;
    const { marks: _m, hold: _h, ...rest } = step;
    return { ...rest, expect: routes(rule.brokers, active), why, ...(switched ? {} : { hold: true }), ...(marks ? { marks } : {}) };
  });
  if (rule.switchBack && (active as ClusterName) === 'secondary' && count('primary') === rule.brokers) steps.push(switchBackStep(rule.brokers));
  return { ...base, description: `${base.description} Coherent policy: one decision for the whole cluster.`, steps };
}

export function buildScenario(name: string, brokers: number, policy: FailoverPolicy = 'per-broker', rule: Partial<Omit<CoherentRule, 'brokers'>> = {}): Scenario {
  let base: Scenario;
  switch (name) {
    case 'recovery-mode':
      base = recoveryMode(brokers);
      break;
    case 'cluster-outage':
      base = clusterOutage(brokers);
      break;
    case 'broker-loss':
      base = brokerLoss(brokers);
      break;
    case 'proxy-restart':
    case 'broker-crash':
      // A crash is undone by supervision, not by a failover: the same routing under either policy.
      return crashScenario(name, brokers, policy);
    default:
      throw new UserError(`unknown scenario "${name}"`, `scenarios: ${SCENARIO_NAMES.join(', ')}`);
  }
  if (policy === 'per-broker') return base;
  return coherentScenario(base, { brokers, quorum: rule.quorum ?? Math.floor(brokers / 2) + 1, failback: rule.failback ?? 'auto', switchBack: rule.switchBack });
}
