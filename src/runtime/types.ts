/**
 * One interface for every way of running the demo. Monitor, clients and drill talk only to this,
 * so they work the same on the Docker runtime and the local (processes) runtime.
 */
import type { ClusterName, Topology } from '../config/topology.js';

/** 'external': users' own clusters on a game day (./external/index.ts), never started or stopped here. */
export type RuntimeKind = 'docker' | 'local' | 'external';
/** The runtimes `start --runtime` offers. */
export const RUNTIME_KINDS = ['docker', 'local'] as const;

export { silentProgress, type Progress } from '../util/progress.js';
import type { Progress } from '../util/progress.js';

/** What a runtime is created with. */
export interface RuntimeContext {
  /** Working folder: rendered configs and .failover-demo/ state live here. */
  projectDir: string;
}

export interface StartOptions {
  progress?: Progress;
  /** Aborting (Ctrl+C) stops whatever was started so far and rejects. */
  signal?: AbortSignal;
  /** `start --fresh`: discard the brokers' data from earlier runs first (start only). */
  fresh?: boolean;
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

/**
 * One supervised part of the demo (Envoy, the controller, a broker) as its supervisor sees it: the local
 * runtime's supervisor process, or Docker's restart policy.
 */
export interface PartStatus {
  /** 'envoy', 'controller' or a broker's name. */
  name: string;
  running: boolean;
  /** Restarts after a crash since the part was started (a stop on purpose is never restarted). */
  restarts: number;
  /** How its last run ended, once one has: "killed by SIGKILL", "exited with code 1". */
  lastExit?: string;
  /** ISO time of that end. */
  lastExitAt?: string;
  /** The supervisor gave up after repeated crashes: why, and the last lines of the part's log. */
  gaveUp?: { reason: string; logTail: string };
}

/** What `crash` did, with times (epoch ms) from the runtime's own view. */
export interface CrashResult {
  part: string;
  /** What was killed, for people: "Envoy (pid 4242)", "primary-broker-0's JVM (pid 777)". */
  killed: string;
  /** SIGKILL sent. */
  killedAt: number;
  /** Its supervisor had started it again (process/container running). */
  restartedAt?: number;
  /** It served again: Envoy's admin API answers LIVE; a broker's Kafka API and Schema Registry answer. */
  servingAt?: number;
  /** Restart count after the crash (one more than before). */
  restarts?: number;
}

export interface RuntimeStatus {
  kind: RuntimeKind;
  /** Every supervised part: restarts and how the last run ended. */
  parts: PartStatus[];
  /** Envoy process/container running. */
  envoyRunning: boolean;
  /** coherent policy: the failover controller's process/container running (undefined under per-broker). */
  controllerRunning?: boolean;
  brokers: BrokerStatus[];
}

/** Addresses clients on this machine use. */
export interface Endpoints {
  /** Envoy admin API base URL, e.g. http://127.0.0.1:9901 */
  envoyAdminUrl: string;
  /** The failover controller's status API (coherent policy), e.g. http://127.0.0.1:9902 */
  controllerUrl?: string;
  /** The replicator's API (replication: shadow). */
  replicatorUrl?: string;
  /** Bootstrap through Envoy, e.g. ["127.0.0.1:9092"]. */
  bootstrap: string[];
  /** Bootstrap straight to one cluster's brokers, bypassing Envoy (topic setup, ledger checks). */
  direct: Record<ClusterName, string[]>;
}

/**
 * What a broker operation did, with times (epoch ms) taken from the runtime's own view, so a drill can
 * start its clock when the fault took effect rather than when the command was issued.
 */
export interface BrokerChange {
  name: string;
  /** The broker's (old) process had exited: stop, restart, recovery-mode restart. */
  stoppedAt?: number;
  /** Its new process was up and its own state known (start, restart). */
  startedAt?: number;
  /** It was seen ready (Kafka API up); absent when readiness was not possible or not waited for. */
  readyAt?: number;
  /** Its Schema Registry (what Envoy health-checks) stopped answering (see ../runtime/serving.ts). */
  servingEndedAt?: number;
  /** Its Schema Registry answered again (not in recovery mode, and only where readiness was waited for). */
  servingAt?: number;
  /** Why readiness was or was not waited for (see ./broker-readiness.ts). */
  note?: string;
}

export interface BrokerStartOptions {
  /** Brokers started by the same action: they count towards their cluster's quorum. */
  alongside?: readonly string[];
}

export interface Runtime {
  readonly kind: RuntimeKind;
  readonly topology: Topology;
  endpoints(): Endpoints;
  /** Render, install if needed, start everything, wait until ready, create topics. */
  start(options?: StartOptions): Promise<void>;
  /**
   * A demo was started and not stopped: start whatever part of it is not running (a stopped broker, a
   * part whose supervisor gave up), without re-rendering, then wait until ready as `start` does. Returns
   * the parts it started; [] when everything was running (and the wait passed).
   */
  resume(options?: StartOptions): Promise<string[]>;
  /**
   * Kills a part ('envoy', 'controller' or a broker name) with SIGKILL as a crash would — a broker's
   * JVM, not its wrapper — and waits (up to `timeoutMs`, default 120 s) for its supervisor to bring it
   * back and for it to serve again. Throws a UserError if it does not come back.
   */
  crash(part: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<CrashResult>;
  /** Stop everything this runtime started. Safe to call twice. */
  stop(options?: { progress?: Progress; removeData?: boolean }): Promise<void>;
  status(): Promise<RuntimeStatus>;
  stopBroker(name: string): Promise<BrokerChange>;
  /** Starts a stopped broker; waits for readiness when its cluster can have a quorum (see broker-readiness.ts). */
  startBroker(name: string, options?: BrokerStartOptions): Promise<BrokerChange>;
  restartBroker(name: string, options?: BrokerStartOptions): Promise<BrokerChange>;
  /** Edit the broker's redpanda.yaml (recovery_mode_enabled) and restart it, running or not. */
  setRecoveryMode(name: string, enabled: boolean, options?: BrokerStartOptions): Promise<BrokerChange>;
}
