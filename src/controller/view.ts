/** What GET /v1/decision and POST /v1/switch answer: the controller's decision and the health it rests on. */
import type { ClusterName, ControllerConfig } from './config.js';
import type { Decision, DecisionState } from './decide.js';
import type { ControllerEvent } from './events.js';
import type { BrokerHealth, ClustersHealth } from './health.js';

/** GET /v1/decision */
export interface DecisionView {
  policy: 'coherent';
  active: ClusterName;
  activeCluster: ClusterName | 'none';
  since: string;
  reason: string;
  pinned: boolean;
  quorum: number;
  failback: ControllerConfig['failback'];
  failbackHoldMs: number;
  pendingFailbackSince: string | null;
  healthy: Record<ClusterName, number>;
  total: Record<ClusterName, number>;
  connections: Record<ClusterName, number>;
  envoyReachable: boolean;
  /** When the poll whose data this shows started. */
  lastPollAt: string | null;
  brokers: BrokerHealth[];
  events: ControllerEvent[];
  /** Only in a POST /v1/switch answer when nothing had to move. */
  note?: string;
}

export interface SwitchResult {
  status: 200 | 409 | 500;
  body: DecisionView | { error: string };
}

/** Everything the view is made of, as the controller holds it. */
export interface ViewInputs {
  config: ControllerConfig;
  state: DecisionState;
  decision?: Decision;
  health?: ClustersHealth;
  reachable?: boolean;
  lastPollAt?: number;
  events: ControllerEvent[];
}

const iso = (ms: number) => new Date(ms).toISOString();

export function decisionView({ config, state, decision: d, health: h, reachable, lastPollAt, events }: ViewInputs): DecisionView {
  const zero = () => ({ primary: 0, secondary: 0 });
  const pending = d?.pendingFailbackSince;
  return {
    policy: 'coherent',
    active: state.active,
    activeCluster: d?.activeCluster ?? state.active,
    since: iso(state.since),
    reason: d?.reason ?? state.reason,
    pinned: state.pinned,
    quorum: config.quorum,
    failback: config.failback,
    failbackHoldMs: config.failbackHoldMs,
    pendingFailbackSince: pending === undefined ? null : iso(pending),
    healthy: h ? { ...h.healthy } : zero(),
    total: h ? { ...h.total } : { primary: config.clusters.primary.length, secondary: config.clusters.secondary.length },
    connections: h ? { ...h.connections } : zero(),
    envoyReachable: reachable === true,
    lastPollAt: lastPollAt === undefined ? null : iso(lastPollAt),
    brokers: h?.brokers ?? [],
    events,
  };
}
