/**
 * The drill report's shape: report.json is a contract (passed, steps[] with name / expected / observed /
 * passed / ms, detectionMs, failbackMs, clientRecoveryMs, ackedMissing). Rendered by ./report-markdown.ts
 * and ./report-svg.ts; written by ./report.ts.
 */
import type { HealthCheckSettings } from '../config/topology.js';
import { formatSeconds } from '../envoy/timing.js';
import type { ExpectedRouting, ObservedRouting } from '../envoy/routing-model.js';
import type { CrashMeasures } from './crash.js';
import type { ReplicationReport } from './replication.js';
import type { StepWindow } from './scenarios.js';

export interface PredictedWindow {
  /** Which predictTiming window: refused / hung / errorStatus / recovered. */
  case: string;
  earliestMs: number;
  latestMs: number;
}

export interface StepResult {
  name: string;
  /** PoC walkthrough step(s). */
  poc?: string;
  why: string;
  expected: ExpectedRouting;
  observed: ObservedRouting;
  passed: boolean;
  /** Step start → expected routing seen (or → giving up). */
  ms: number;
  /** Time the runtime calls took (stopping, restarting brokers). */
  actionMs: number;
  /**
   * Time Envoy took, measured against the prediction: from the moment the fault took effect (effectAt:
   * each stopped broker's process had exited, each started one was ready).
   */
  settleMs?: number;
  /** The same, measured from the command (the first runtime call, faultAt). */
  fromCommandMs?: number;
  predicted: PredictedWindow & { window: StepWindow; deadlineMs: number };
  /**
   * What had marked the hosts when the routing got there: the active health check, or outlier detection
   * (connections through Envoy failing: faster than the health check while clients keep connecting).
   */
  detectedBy?: 'health check' | 'outlier detection' | 'health check + outlier detection';
  /** For steps whose routing must not change: how long it was watched. */
  heldMs?: number;
  /** Epoch ms: step start, first runtime call that changed a broker, the fault took effect, end of the runtime calls, step end. */
  startedAt: number;
  faultAt: number;
  effectAt: number;
  actionDoneAt: number;
  /** What the runtime said about brokers it could not wait for (a cluster without quorum). */
  notes?: string[];
  endedAt: number;
  /** Why it failed. */
  error?: string;
}

export interface RoutingSample {
  /** Epoch ms. */
  at: number;
  activeCluster: string;
  listeners: string[];
  /** Hosts Envoy holds unhealthy, with its flags ("primary-broker-0: failed_active_hc"): why routing moved. */
  unhealthy?: string[];
}

/** Open client connections through Envoy per Redpanda cluster (Envoy's cx_active), when they changed. */
export interface ConnectionSample {
  at: number;
  byCluster: Record<string, number>;
}

export interface AckBucket {
  /** Second since the drill started. */
  second: number;
  primary: number;
  secondary: number;
  unknown: number;
  failed: number;
}

export interface DrillReport {
  scenario: string;
  description: string;
  passed: boolean;
  /** ISO time. */
  startedAt: string;
  durationMs: number;
  runtime: string;
  brokers: number;
  healthCheck: HealthCheckSettings;
  steps: StepResult[];
  /** Fault (first runtime call of the fault step) → first listener routing change seen. */
  detectionMs: number | null;
  /** Fault (first runtime call of the fault step) → first message acknowledged by the secondary cluster. */
  clientRecoveryMs: number | null;
  /** Failback step end (last broker serving again) → every listener on primary. */
  failbackMs: number | null;
  /** Total time Envoy routed some listeners to primary and others to secondary. */
  splitMs: number;
  /** Failover policy the demo ran with. */
  policy?: 'coherent' | 'per-broker';
  /** Failback (the primary serving again) → first message acknowledged by the primary cluster: when clients really came back. */
  clientFailbackMs?: number | null;
  /**
   * Acknowledgements by the cluster Envoy no longer routes to, more than failover.settleGrace after the
   * routing settled on the other one: clients left behind (per-broker: after a failback, connections to
   * the healthy secondary stay open). 0 under coherent.
   */
  acksOnInactiveCluster?: number;
  /** The first of those (sequence number, cluster that holds it, time after the routing settled): for diagnosis. */
  inactiveAcks?: { seq: number; cluster: string; afterSwitchMs: number; relabelled: boolean }[];
  /**
   * Clients started after the last step, next to the ones that ran through it: where a fresh producer's
   * acknowledgements and a fresh consumer's cluster land, and where the drill's producer acked last.
   */
  lateClients?: { producerAckedBy: Record<string, number>; consumerCluster?: string; runningProducerCluster?: string };
  /** A crash scenario (`proxy-restart`, `broker-crash`): the part's time back and the clients' recovery. */
  crash?: CrashMeasures;
  /** Acknowledged messages not found where their ack said (read back from each cluster directly). null: not checked. */
  ackedMissing: number | null;
  predicted: { detection?: PredictedWindow; failback?: PredictedWindow };
  clients: {
    sent: number;
    acked: number;
    failed: number;
    ackedBy: Record<string, number>;
    received?: number;
    gaps?: number;
    duplicates?: number;
    clusterSwitches?: number;
  };
  /**
   * checked: acknowledged messages; missing: found on neither cluster at the acknowledged offset;
   * onOtherCluster: found, but on the other cluster than the acknowledgement named (a split: the client's
   * metadata came from one cluster while a listener sent its writes to the other).
   */
  ledger: { checked: number; missing: number; onOtherCluster: number; missingSamples?: unknown[] } | null;
  /** Routing poll period: measured times are accurate to about this. */
  pollMs: number;
  timeline: { startedAt: number; endedAt: number; routing: RoutingSample[]; acks: AckBucket[]; connections?: ConnectionSample[] };
  /** replication.mode shadow: lag, the recovery point of the failover, and what the clients saw (./replication.ts). */
  replication?: ReplicationReport;
  /** Set when the drill stopped early. */
  failure?: { step: string; message: string; environment: 'left as it failed' | 'restored' };
}

/** A measured time as report.md and timeline.svg show it: "4.2 s", or "—" when not measured. */
export const msText = (v: number | null | undefined) => (v === null || v === undefined ? '—' : `${formatSeconds(v)} s`);
/** A predicted window as report.md and timeline.svg show it: "6.0–10.5 s", or "—". */
export const windowText = (w: PredictedWindow | undefined) => (w ? `${formatSeconds(w.earliestMs)}–${formatSeconds(w.latestMs)} s` : '—');
