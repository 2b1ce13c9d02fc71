/**
 * What the failover producer and consumer share: their settings, the kafkajs clients they open through
 * Envoy (the long-lived one and the short-lived probes), the connect-and-retry loop that shows a status
 * line and honours stop(), their state with its status events, and their latency figures.
 */
import type { Kafka as KafkaClient } from 'kafkajs';
import { delay } from '../util/wait.js';
import { askOnce, createClient, describeError, logLineText, type ClientOptions, type KafkaLogLine, type ProbeOptions } from './client.js';
import { resolveSettings, retryOptions, type FailoverSettings } from './settings.js';
import { LatencyStats } from './stats.js';
import { partitionCount, UnknownTopicError } from './topic.js';

/** The states every client has (each adds its own). */
export type CoreState = 'connecting' | 'retrying' | 'stopped';

export interface ClientStatus<S extends string> {
  state: S;
  /** Human text, e.g. "retrying: Connection error: connect ECONNREFUSED 127.0.0.1:9092". */
  text: string;
  at: number;
}

export interface ClientCoreOptions<S extends string> {
  /** Bootstrap through Envoy. */
  bootstrap: string[];
  topic: string;
  /** The client's options: their FailoverSettings fields override the defaults. */
  options: object;
  /** kafkajs client id of the long-lived client; probes add a suffix. */
  clientId: string;
  /** Every state change, with its text (the client emits it as its `status` event). */
  onStatus: (status: ClientStatus<S>) => void;
}

/** The steps of one connection attempt (see ClientCore.connect). */
export interface ConnectSteps<T, P> {
  /** Sets up an attempt, e.g. creates its kafkajs client; its errors end the loop (they are not retried). */
  prepare?: () => P;
  /** Connects, the topic known to exist with `partitions` partitions; its errors are retried. */
  attempt: (partitions: number, prepared: P) => Promise<T>;
  /** Undoes a failed attempt before the next one. */
  cleanup?: () => Promise<void>;
}

/** `S`: every state of the client using it, CoreState included. */
export class ClientCore<S extends string> {
  readonly settings: FailoverSettings;
  readonly latency = new LatencyStats();
  state: S | CoreState = 'connecting';
  lastError?: string;
  private readonly stopController = new AbortController();
  private stopPromise?: Promise<void>;

  constructor(private readonly o: ClientCoreOptions<S | CoreState>) {
    this.settings = resolveSettings(o.options);
  }

  /** Ends the connect loop and every pause(); the client finishes what it has in hand. */
  stop(): void {
    this.stopController.abort();
  }

  get stopRequested(): boolean {
    return this.stopController.signal.aborted;
  }

  /** Waits `ms`, or until stop(). */
  pause(ms: number): Promise<void> {
    return delay(ms, this.stopController.signal).catch(() => undefined);
  }

  /** Resolves on stop() (one listener, however often it is awaited). */
  stopped(): Promise<void> {
    const signal = this.stopController.signal;
    this.stopPromise ??= new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    return this.stopPromise;
  }

  setState(state: S | CoreState, text: string): void {
    this.state = state;
    this.o.onStatus({ state, text, at: Date.now() });
  }

  /** The long-lived kafkajs client through Envoy, with the failover settings and retries. */
  createKafka(extra: Pick<ClientOptions, 'onLog' | 'socketFactory'> = {}): KafkaClient {
    return createClient({
      brokers: this.o.bootstrap,
      clientId: this.o.clientId,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
      retry: retryOptions(this.settings),
      ...extra,
    });
  }

  /** A short-lived client through Envoy that fails fast (no retries), named `<clientId>-<suffix>`. */
  probe(suffix: string): ProbeOptions {
    return {
      brokers: this.o.bootstrap,
      clientId: `${this.o.clientId}-${suffix}`,
      connectionTimeoutMs: this.settings.connectionTimeoutMs,
      requestTimeoutMs: this.settings.requestTimeoutMs,
    };
  }

  /**
   * Connects through Envoy, retrying until it works or stop(): each attempt checks the topic on a probe
   * client (which fails fast, so a status line can say why at once), then runs `steps.attempt`. A failure
   * becomes lastError and a status line, then `cleanup`, a second's pause and the next attempt; a missing
   * topic (UnknownTopicError) is final. Resolves with the attempt's result, or undefined once stopped.
   */
  async connect<T, P = undefined>(steps: ConnectSteps<T, P>): Promise<T | undefined> {
    const where = this.o.bootstrap.join(',');
    this.setState('connecting', `connecting to ${where}`);
    for (;;) {
      if (this.stopRequested) return undefined;
      const prepared = steps.prepare?.() as P;
      try {
        const partitions = await askOnce(this.probe('probe'), (admin) => partitionCount(admin, this.o.topic));
        return await steps.attempt(partitions, prepared);
      } catch (err) {
        if (err instanceof UnknownTopicError) throw err;
        this.lastError = describeError(err);
        await steps.cleanup?.();
        this.setState('connecting', `cannot reach Kafka through Envoy at ${where} (${this.lastError}); retrying`);
        await this.pause(1_000);
      }
    }
  }

  /** The cluster id Envoy's bootstrap listener leads to right now (asked on a fresh probe client), or undefined. */
  async askClusterId(): Promise<string | undefined> {
    try {
      return (await askOnce(this.probe('cluster-probe'), (admin) => admin.describeCluster())).clusterId || undefined;
    } catch {
      return undefined;
    }
  }

  /** A kafkajs error line becomes lastError; in state `active` it also turns the state to retrying. */
  noteKafkaLog(line: KafkaLogLine, active: S): void {
    if (line.level !== 'error') return;
    this.lastError = logLineText(line);
    if (this.state === active) this.setState('retrying', `retrying: ${this.lastError}`);
  }
}
