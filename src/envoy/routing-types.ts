/**
 * The routing model every reader of Envoy shares: what a snapshot of Envoy's routing holds (per
 * listener, its hosts, their health and the load Envoy gives them), the event-log entries between two
 * snapshots, load-balancer settings, and the error a malformed admin document raises. Types only, plus
 * the small JSON helpers the parsers (./routing-snapshot.ts, ./routing-coherent.ts) use.
 */
import type { ClusterName } from '../config/topology.js';

export type ActiveCluster = 'primary' | 'secondary' | 'split' | 'none';
export type HostHealth = 'healthy' | 'degraded' | 'unhealthy';

export interface HostRouting {
  /** Broker name from the endpoint hostname, else address. */
  host: string;
  /** "ip:port" of the upstream. */
  address: string;
  /** 'primary' | 'secondary' from the topology, else derived from the host name, else 'unknown'. */
  cluster: string;
  priority: number;
  /** Envoy considers the host healthy (no failure or degraded flag). */
  healthy: boolean;
  health: HostHealth;
  /** Left out of Envoy's load calculations (pending first check, immediate-HC-fail, EDS draining). */
  excluded: boolean;
  /** Decoded flags: failed_active_hc, failed_outlier_check, active_hc_timeout, pending_active_hc, ... */
  flags: string[];
  /** Share of the listener's new connections Envoy sends to this host, percent. */
  loadPercent: number;
  /** `cx_active` gauge of the host, when Envoy reports host stats. */
  activeConnections?: number;
  /**
   * `cx_total` counter: connections Envoy has opened to this host so far. The difference between two
   * snapshots is where new connections really went (the model above is what Envoy should do).
   */
  totalConnections?: number;
}

export interface ListenerRouting {
  /** Envoy cluster name, e.g. broker_0_cluster (per-broker); Envoy listener name under coherent, e.g. broker_0_listener. */
  name: string;
  /**
   * coherent: the listener routes to a broker Envoy does not consider healthy (it is down, its cluster
   * still active): connections to this position fail until it returns; they never go to the other cluster.
   */
  degraded?: boolean;
  /** Broker position when the name follows the renderer's convention (broker_<i>_cluster). */
  index?: number;
  /** The Redpanda cluster getting (most of) new connections, or 'none'. */
  routesTo: string;
  /** The host getting most new connections, when there is one. */
  routesToHost?: string;
  /** Percent of new connections per priority (healthy + degraded), as Envoy computes it. */
  loadByPriority: number[];
  /** Percent of new connections per Redpanda cluster. */
  loadByCluster: Record<string, number>;
  /** Some priority is in panic mode: Envoy picks among all its hosts, healthy or not. */
  panic: boolean;
  /** panic threshold and overprovisioning factor the load was computed with. */
  lb: LbSettings;
  hosts: HostRouting[];
}

export interface ClusterHealth {
  name: string;
  healthy: number;
  total: number;
}

export interface RoutingSnapshot {
  /** Epoch ms. */
  at: number;
  activeCluster: ActiveCluster;
  listeners: ListenerRouting[];
  clusters: ClusterHealth[];
  /** How the Envoy is laid out: per-broker (one Envoy cluster per position) or coherent (per broker, listeners swapped). */
  policy: 'per-broker' | 'coherent';
  /** Open client connections through Envoy per Redpanda cluster (Envoy's cx_active per host): where clients really are. */
  connectionsByCluster: Record<string, number>;
  /** coherent: the failover controller's decision (GET /v1/decision), or why it could not be read. */
  decision?: ControllerDecision | { reachable: false; error: string };
  /**
   * When the Envoy process that answered started, epoch ms (read time − `/server_info` uptime, whole
   * seconds): a different value means Envoy restarted (./restart.ts). Absent when it could not be read.
   */
  envoyStartedAt?: number;
}

/** What the failover controller says (src/controller/, GET /v1/decision); only the fields the views use. */
export interface ControllerDecision {
  reachable: true;
  policy: 'coherent';
  active: ClusterName;
  activeCluster: ClusterName | 'none';
  since: string;
  reason: string;
  quorum: number;
  failback: 'auto' | 'manual';
  pendingFailbackSince: string | null;
  healthy: Record<ClusterName, number>;
  total: Record<ClusterName, number>;
  envoyReachable: boolean;
  events?: { at: number; kind: string; from?: string; to?: string; reason: string }[];
}

export interface RoutingEvent {
  /** Epoch ms (the snapshot that showed the change). */
  at: number;
  kind: 'state' | 'routing' | 'host';
  /** Envoy cluster name, for listener and host events. */
  listener?: string;
  message: string;
}

/** Load-balancer settings that decide priority load; per Envoy cluster when read from /config_dump. */
export interface LbSettings {
  panicThresholdPercent: number;
  overprovisioningFactor: number;
}

export interface RoutingOptions {
  /** Per Envoy cluster name (from readLbSettings); wins over the topology and Envoy's defaults. */
  lb?: Record<string, Partial<LbSettings>>;
}

export class MalformedClustersError extends Error {
  constructor(detail: string) {
    super(`malformed /clusters?format=json document: ${detail}`);
    this.name = 'MalformedClustersError';
  }
}

export const ENVOY_DEFAULT_LB: LbSettings = { panicThresholdPercent: 50, overprovisioningFactor: 1.4 };

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
