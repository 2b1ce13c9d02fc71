/**
 * The runtime of a game day (`drill --clusters FILE --admin URL`): users' own clusters, behind an Envoy
 * (and, under the coherent policy, a failover controller) they deployed from `render --clusters`.
 * This tool never touches those clusters itself: a broker stop or start runs the user's step command
 * (./hooks.ts) or asks the person at the terminal to do it, then waits until the broker's health check
 * (the same one Envoy runs, ./probe.ts) says it stopped or serves again: that is when the fault took
 * effect, the moment the drill measures from. Status is those probes; there is nothing to start, stop,
 * crash or put into recovery mode here.
 */
import { execa } from 'execa';
import type { ExternalSetup } from '../../config/clusters.js';
import { brokerName, CLUSTER_NAMES, type ClusterName, type Topology } from '../../config/topology.js';
import { UserError } from '../../util/errors.js';
import { httpOk } from '../../util/net.js';
import { delay, waitFor } from '../../util/wait.js';
import type { BrokerChange, BrokerStatus, CrashResult, Endpoints, Runtime, RuntimeStatus } from '../types.js';
import { hookArgv, hookFor, type HookAction, type HookBroker, type StepHook } from './hooks.js';
import { brokerServes } from './probe.js';

export interface ExternalRuntimeOptions {
  setup: ExternalSetup;
  /** Envoy's admin API. */
  adminUrl: string;
  /** The failover controller's API (coherent policy). */
  controllerUrl?: string;
  /** Bootstrap through Envoy. */
  bootstrap: string[];
  hooks: readonly StepHook[];
  /** The topic the drill produces to (it must exist on both clusters). */
  topic: string;
  /** Asks the person at the terminal to do something and press Enter; absent without a terminal. */
  ask?: (question: string) => Promise<void>;
  /** How long a stop or start may take to show in the broker's health check. Default 300 s. */
  effectTimeoutMs?: number;
  signal?: AbortSignal;
}

const NOT_HERE = 'a game day only stops and starts brokers (through --step-cmd or by hand); use a scenario made of those: cluster-outage, broker-loss';

/** Each cluster's brokers where they advertise themselves (directAddress, else address): reads without Envoy. */
export function directOf(setup: ExternalSetup): Record<ClusterName, string[]> {
  return Object.fromEntries(CLUSTER_NAMES.map((c) => [c, setup.clusters[c].brokers.map((b) => `${b.direct?.host ?? b.host}:${b.direct?.port ?? b.port}`)])) as Record<ClusterName, string[]>;
}

/** Where clients reach the users' Envoy: envoy.advertisedHost, listener i on listenerPort + i (what the brokers advertise). */
export function envoyBootstrapOf(setup: ExternalSetup): string[] {
  const t = setup.topology;
  return Array.from({ length: t.brokers }, (_, i) => `${t.envoy.advertisedHost}:${t.envoy.listenerPort + i}`);
}

export class ExternalRuntime implements Runtime {
  readonly kind = 'external' as const;
  readonly topology: Topology;
  private readonly brokers: HookBroker[];
  /** One question at a time at the terminal. */
  private asking: Promise<void> = Promise.resolve();

  constructor(private readonly o: ExternalRuntimeOptions) {
    const t = o.setup.topology;
    this.topology = { ...t, topics: [{ ...(t.topics[0] ?? { partitions: 3, replicationFactor: 3 }), name: o.topic }] };
    this.brokers = CLUSTER_NAMES.flatMap((cluster) => o.setup.clusters[cluster].brokers.map((b, index) => ({ name: brokerName(cluster, index), cluster, index, id: b.id, host: b.host, port: b.port })));
  }

  endpoints(): Endpoints {
    const direct = directOf(this.o.setup);
    return { envoyAdminUrl: this.o.adminUrl, ...(this.o.controllerUrl ? { controllerUrl: this.o.controllerUrl } : {}), bootstrap: this.o.bootstrap, direct };
  }

  private broker(name: string): HookBroker {
    const b = this.brokers.find((x) => x.name === name);
    if (!b) throw new UserError(`no broker "${name}" in the clusters file`, `brokers: ${this.brokers.map((x) => x.name).join(', ')}`);
    return b;
  }

  private serves(b: HookBroker): Promise<boolean> {
    const cluster = this.o.setup.clusters[b.cluster];
    return brokerServes(cluster.brokers[b.index]!, cluster.check, this.topology.healthCheck.timeoutMs);
  }

  async status(): Promise<RuntimeStatus> {
    const up = async (url?: string) => (url ? httpOk(url) : undefined);
    const [envoyRunning, controllerRunning, serving] = await Promise.all([
      up(`${this.o.adminUrl}/ready`),
      up(this.o.controllerUrl ? `${this.o.controllerUrl}/healthz` : undefined),
      Promise.all(this.brokers.map((b) => this.serves(b))),
    ]);
    const brokers: BrokerStatus[] = this.brokers.map((b, i) => ({ name: b.name, cluster: b.cluster, index: b.index, running: serving[i]!, recoveryMode: false }));
    return { kind: 'external', parts: [], envoyRunning: envoyRunning === true, ...(controllerRunning === undefined ? {} : { controllerRunning }), brokers };
  }

  /**
   * Runs the step's command (or asks for it by hand) while asking the broker's health check every 100 ms
   * from the moment it is issued, and waits until the check agrees: the fault took effect at that check
   * (a failed one from when it was sent, a passed one from its answer), however long the command runs on.
   */
  private async change(name: string, action: HookAction): Promise<BrokerChange> {
    const b = this.broker(name);
    const want = action === 'start';
    const issuedAt = Date.now();
    let effectAt: number | undefined;
    let watching = true;
    const watcher = (async () => {
      while (watching && effectAt === undefined) {
        const sent = Date.now();
        if ((await this.serves(b)) === want) effectAt = want ? Date.now() : sent;
        else await delay(100);
      }
    })();
    try {
      await this.perform(b, action);
      await waitFor(() => effectAt !== undefined, { timeoutMs: this.o.effectTimeoutMs ?? 300_000, intervalMs: 50, what: `${name} to ${want ? 'pass' : 'fail'} its health check`, signal: this.o.signal });
    } finally {
      watching = false;
      await watcher;
    }
    return want ? { name, startedAt: issuedAt, servingAt: effectAt! } : { name, stoppedAt: effectAt!, servingEndedAt: effectAt! };
  }

  /** The step itself: the user's command for it, else a question at the terminal. */
  private async perform(b: HookBroker, action: HookAction): Promise<void> {
    const hook = hookFor(this.o.hooks, action, b);
    if (hook) {
      const argv = hookArgv(hook, b);
      const r = await execa(argv[0]!, argv.slice(1), { reject: false, timeout: 300_000, cancelSignal: this.o.signal, stdin: 'ignore' });
      if (r.exitCode !== 0) {
        throw new UserError(`the step command for "${action} ${b.name}" failed (exit ${r.exitCode ?? r.signal}): ${argv.join(' ')}\n${String(r.stderr || r.stdout).trim().split('\n').slice(-5).join('\n')}`, `fix the --step-cmd "${hook.text}"`);
      }
    } else if (this.o.ask) {
      const ask = this.o.ask;
      const turn = this.asking.then(() => ask(`${action} ${b.name} (${b.host}:${b.port}) now, then press Enter`));
      this.asking = turn.catch(() => undefined);
      await turn;
    } else {
      throw new UserError(`no step command to ${action} ${b.name}, and no terminal to ask someone to`, `give one: --step-cmd "${action} ${b.cluster}=COMMAND" ({broker}, {host}, {port}, {id}, {index} are replaced)`);
    }
  }

  stopBroker(name: string): Promise<BrokerChange> {
    return this.change(name, 'stop');
  }

  startBroker(name: string): Promise<BrokerChange> {
    return this.change(name, 'start');
  }

  async restartBroker(name: string): Promise<BrokerChange> {
    const stopped = await this.change(name, 'stop');
    return { ...(await this.change(name, 'start')), stoppedAt: stopped.stoppedAt, servingEndedAt: stopped.servingEndedAt };
  }

  setRecoveryMode(): Promise<BrokerChange> {
    return Promise.reject(new UserError('recovery mode is not available on your own clusters', NOT_HERE));
  }

  crash(): Promise<CrashResult> {
    return Promise.reject(new UserError('a crash is not available on your own clusters', NOT_HERE));
  }

  start(): Promise<void> {
    return Promise.reject(new UserError('your own clusters are not started by this tool', 'deploy Envoy with `failover-demo render --clusters FILE`'));
  }

  resume(): Promise<string[]> {
    return this.start().then(() => []);
  }

  async stop(): Promise<void> {}
}
