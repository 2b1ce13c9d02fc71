/**
 * One interface for every way of running the demo. Monitor, clients and drill talk only to this,
 * so they work the same on the Docker runtime and the local (processes) runtime.
 */
import type { ClusterName, Topology } from '../config/topology.js';

export type RuntimeKind = 'docker' | 'local';
export const RUNTIME_KINDS: readonly RuntimeKind[] = ['docker', 'local'];

/** Progress reporting for long waits: the CLI turns these into an ora spinner. */
export interface Progress {
  /** A new phase started ("waiting for primary-broker-1 to answer metadata"). */
  step(text: string): void;
  /** The current phase finished well. */
  done(text?: string): void;
  /** A note that is not a phase ("created topic test-topic on primary"). */
  info(text: string): void;
}

export const silentProgress: Progress = { step() {}, done() {}, info() {} };

export interface StartOptions {
  progress?: Progress;
  /** Aborting (Ctrl+C) stops whatever was started so far and rejects. */
  signal?: AbortSignal;
}

export interface BrokerStatus {
  name: string;
  cluster: ClusterName;
  index: number;
  running: boolean;
  /** `redpanda.recovery_mode_enabled` in that broker's redpanda.yaml. */
  recoveryMode: boolean;
  /** Process id (local) or container id (docker), when running. */
  id?: string;
}

export interface RuntimeStatus {
  kind: RuntimeKind;
  /** Envoy process/container running. */
  envoyRunning: boolean;
  brokers: BrokerStatus[];
}

/** Addresses clients on this machine use. */
export interface Endpoints {
  /** Envoy admin API base URL, e.g. http://127.0.0.1:9901 */
  envoyAdminUrl: string;
  /** Bootstrap through Envoy, e.g. ["127.0.0.1:9092"]. */
  bootstrap: string[];
  /** Bootstrap straight to one cluster's brokers, bypassing Envoy (topic setup, ledger checks). */
  direct: Record<ClusterName, string[]>;
}

export interface Runtime {
  readonly kind: RuntimeKind;
  readonly topology: Topology;
  endpoints(): Endpoints;
  /** Render, install if needed, start everything, wait until ready, create topics. */
  start(options?: StartOptions): Promise<void>;
  /** Stop everything this runtime started. Safe to call twice. */
  stop(options?: { progress?: Progress; removeData?: boolean }): Promise<void>;
  status(): Promise<RuntimeStatus>;
  stopBroker(name: string): Promise<void>;
  startBroker(name: string): Promise<void>;
  restartBroker(name: string): Promise<void>;
  /** Edit the broker's redpanda.yaml (recovery_mode_enabled) and restart it, running or not. */
  setRecoveryMode(name: string, enabled: boolean): Promise<void>;
}
