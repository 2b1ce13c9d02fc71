/** The producer's events, live stats and summary (./producer.ts). Types only. */
import type { ClusterName } from '../config/topology.js';
import type { ClientStatus } from './client-core.js';
import type { ClusterChangeEvent, ClusterLabel } from './clusters.js';
import type { FailoverSettings } from './settings.js';

export interface AckEvent {
  producer: string;
  seq: number;
  cluster: ClusterLabel;
  clusterId?: string;
  partition: number;
  offset: string;
  latencyMs: number;
  /** ms since epoch. */
  at: number;
}

export interface FailureEvent {
  /** Sequence numbers of the messages of the failed send. */
  seqs: number[];
  error: string;
  at: number;
}

export type ProducerState = 'connecting' | 'producing' | 'retrying' | 'flushing' | 'stopped';

export type StatusEvent = ClientStatus<ProducerState>;


export interface ProducerStats {
  producerId: string;
  state: ProducerState;
  sent: number;
  acked: number;
  failed: number;
  inFlight: number;
  /** Acks per second over the last 5 s. */
  rate: number;
  p50Ms?: number;
  p99Ms?: number;
  ackedBy: Record<ClusterLabel, number>;
  lastCluster?: ClusterLabel;
  lastError?: string;
}

export interface ProducerSummary {
  producerId: string;
  topic: string;
  sent: number;
  acked: number;
  failed: number;
  ackedBy: Record<ClusterLabel, number>;
  /** First ack time per cluster (ms since epoch). */
  firstAckAt: Partial<Record<ClusterLabel, number>>;
  clusterChanges: ClusterChangeEvent[];
  clusterIds: Partial<Record<ClusterName, string>>;
  durationMs: number;
  /** Acks per second over the whole run. */
  ackRate: number;
  latencyMs: { p50?: number; p99?: number; max?: number };
  settings: FailoverSettings & { idempotent: boolean; acks: -1; ratePerSecond: number };
  ledgerFile?: string;
  /** True when stop() was called before count/duration was reached. */
  interrupted: boolean;
}

export interface ProducerEvents {
  ack: [AckEvent];
  failure: [FailureEvent];
  status: [StatusEvent];
  clusterChange: [ClusterChangeEvent];
}

