/**
 * The failover controller as a long-running service: polls Envoy's admin /clusters, runs the pure rule
 * (decide.ts) on what it sees, applies the result by replacing Envoy's LDS file with the chosen
 * pre-rendered listener file, and answers a small HTTP API. I/O throughout; the logic it applies lives
 * in decide.ts and health.ts.
 *
 * Everything that changes the decision (a poll, a planned switch, start-up) runs one at a time on a
 * promise chain; GET /v1/decision answers with the view published after the last finished step, so
 * it never waits for a slow poll and never sees half an update.
 *
 * Start-up is fail-static: Envoy keeps routing by the file on disk whatever happens to the controller.
 *  - `lds.file` holds one choice's bytes: the controller was restarted; it carries on from that cluster
 *    ("resumed: ...") and touches nothing until the rule says otherwise.
 *  - `lds.file` is missing: the primary choice is written at once.
 *  - `lds.file` holds something else (an older render, a hand edit): logged, taken as primary, and not
 *    rewritten before the first decision made on real health data; that decision's cluster is then
 *    written. So a controller that cannot reach Envoy never changes what Envoy routes to.
 * After that, every poll checks the file still holds the active cluster's choice (re-reading the
 * choice, so a re-render is picked up) and rewrites it when not.
 *
 * Envoy unreachable or its document malformed: the decision stays, `envoyReachable` turns false (one
 * event per change), and the failback hold starts over once data comes back.
 */
import { appendFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLUSTER_NAMES, type ClusterName, type ControllerConfig } from './config.js';
import { decide, forgetFailbackHold, planSwitch, quorumText, type Decision, type DecisionState } from './decide.js';
import { assessClusters, type BrokerHealth, type ClustersHealth } from './health.js';
import { atomicWrite, ensureChoice, identifyChoice, readChoices, readIfExists } from './lds.js';

export type EventKind = 'start' | 'decision' | 'switch' | 'envoy-unreachable' | 'envoy-reachable' | 'error';

export interface ControllerEvent {
  /** Epoch ms. */
  at: number;
  kind: EventKind;
  from?: ClusterName;
  to?: ClusterName;
  reason: string;
}

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

export interface ControllerOptions {
  /** One line of log (default: stderr with an ISO timestamp). */
  log?: (line: string) => void;
  now?: () => number;
  /** How long one admin request may take. */
  requestTimeoutMs?: number;
}

const EVENTS_KEPT = 50;
const iso = (ms: number) => new Date(ms).toISOString();

function defaultLog(line: string): void {
  process.stderr.write(`${new Date().toISOString()} controller: ${line}\n`);
}

function errorText(err: unknown): string {
  const e = err as Error & { cause?: { message?: string; code?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return `${e?.message ?? String(err)}${cause && !String(e?.message).includes(cause) ? ` (${cause})` : ''}`;
}

export class Controller {
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private readonly requestTimeoutMs: number;
  private readonly stopper = new AbortController();
  private server?: Server;
  private chain: Promise<unknown> = Promise.resolve();
  private loopDone?: Promise<void>;
  private eventsWrite: Promise<unknown> = Promise.resolve();
  private eventsFileFailed = false;

  private state?: DecisionState;
  private decision?: Decision;
  /** lds.file matched neither choice at start: write it after the first decision on real data. */
  private unsynced = false;
  private health?: ClustersHealth;
  private reachable?: boolean;
  private lastPollAt?: number;
  private lastError?: string;
  private readonly events: ControllerEvent[] = [];
  /** The view as of the last finished step (so a reader never sees half a step). */
  private published?: DecisionView;

  constructor(
    readonly config: ControllerConfig,
    opts: ControllerOptions = {},
  ) {
    this.log = opts.log ?? defaultLog;
    this.now = opts.now ?? Date.now;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 1_000;
  }

  /** Binds the HTTP API, takes over from the listener file, and starts polling. */
  async start(): Promise<void> {
    // Bind first: a second controller on the same port must fail before touching the listener file.
    const server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.listen.port, this.config.listen.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    try {
      await this.serial(() => this.takeOver());
    } catch (err) {
      await this.closeServer();
      throw err;
    }
    this.loopDone = this.loop();
  }

  /** Stops polling and the HTTP API; waits for the step under way. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await this.closeServer();
    await this.loopDone;
    await this.chain.catch(() => undefined);
    await this.eventsWrite;
  }

  /** Where the HTTP API listens. */
  address(): AddressInfo {
    return this.server!.address() as AddressInfo;
  }

  /** One poll: read Envoy, decide, apply. */
  poll(): Promise<void> {
    return this.serial(() => this.step());
  }

  /** The POST /v1/switch logic: a fresh poll, then the planned switchover judged on it. */
  requestSwitch(to: ClusterName): Promise<SwitchResult> {
    return this.serial(async () => {
      await this.step();
      const state = this.state!;
      if (!this.reachable || !this.health) {
        return { status: 409, body: { error: `no health data from Envoy (unreachable): cannot confirm ${to} has quorum` } };
      }
      const now = this.now();
      const outcome = planSwitch(state, to, this.health, now, this.config);
      if (outcome.kind === 'refused') return { status: 409, body: { error: outcome.reason } };
      if (outcome.kind === 'already-active') {
        if (!state.pinned) this.event({ at: now, kind: 'switch', from: to, to, reason: outcome.note });
        this.commit(outcome.decision);
        return { status: 200, body: { ...this.view(), note: outcome.note } };
      }
      try {
        await ensureChoice(this.config.lds.file, this.config.lds.choices, to);
      } catch (err) {
        const error = `switch to ${to} failed: cannot write ${this.config.lds.file}: ${errorText(err)}`;
        this.event({ at: now, kind: 'error', reason: error });
        return { status: 500, body: { error } };
      }
      this.unsynced = false;
      this.lastError = undefined;
      this.commit(outcome.decision);
      this.event({ at: now, kind: 'switch', from: state.active, to, reason: outcome.decision.reason });
      return { status: 200, body: this.view() };
    });
  }

  /** GET /v1/decision. */
  view(): DecisionView {
    const state = this.state!;
    const d = this.decision;
    const h = this.health;
    const zero = () => ({ primary: 0, secondary: 0 });
    const pending = d?.pendingFailbackSince;
    return {
      policy: 'coherent',
      active: state.active,
      activeCluster: d?.activeCluster ?? state.active,
      since: iso(state.since),
      reason: d?.reason ?? state.reason,
      pinned: state.pinned,
      quorum: this.config.quorum,
      failback: this.config.failback,
      failbackHoldMs: this.config.failbackHoldMs,
      pendingFailbackSince: pending === undefined ? null : iso(pending),
      healthy: h ? { ...h.healthy } : zero(),
      total: h ? { ...h.total } : { primary: this.config.clusters.primary.length, secondary: this.config.clusters.secondary.length },
      connections: h ? { ...h.connections } : zero(),
      envoyReachable: this.reachable === true,
      lastPollAt: this.lastPollAt === undefined ? null : iso(this.lastPollAt),
      brokers: h?.brokers ?? [],
      events: [...this.events],
    };
  }

  /** Runs `fn` after every step before it; then publishes the view GET /v1/decision answers with. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn).finally(() => {
      if (this.state) this.published = this.view();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async loop(): Promise<void> {
    const signal = this.stopper.signal;
    while (!signal.aborted) {
      try {
        await this.poll();
      } catch (err) {
        this.fail(`poll failed: ${errorText(err)}`);
      }
      try {
        await sleep(this.config.pollMs, undefined, { signal });
      } catch {
        return;
      }
    }
  }

  private async takeOver(): Promise<void> {
    const { file, choices: paths } = this.config.lds;
    const choices = await readChoices(paths).catch((err) => {
      throw new Error(`cannot read the listener choices: ${errorText(err)}`);
    });
    const now = this.now();
    const found = identifyChoice(await readIfExists(file), choices);
    let reason: string;
    if (found === 'primary' || found === 'secondary') {
      reason = `resumed: ${file} holds the ${found} choice, so Envoy routes to ${found}`;
    } else if (found === 'missing') {
      await atomicWrite(file, choices.primary);
      reason = `no listener file yet: wrote the primary choice to ${file}`;
    } else {
      this.unsynced = true;
      reason = `${file} holds neither choice: taken as primary, rewritten after the first decision on Envoy's health data`;
    }
    const active = found === 'secondary' ? 'secondary' : 'primary';
    this.state = { active, since: now, reason, pinned: false };
    this.event({ at: now, kind: found === 'other' ? 'error' : 'start', to: active, reason });
  }

  private async fetchClusters(): Promise<unknown> {
    const signal = AbortSignal.any([AbortSignal.timeout(this.requestTimeoutMs), this.stopper.signal]);
    const res = await fetch(`${this.config.adminUrl}/clusters?format=json`, { signal });
    const text = await res.text();
    if (!res.ok) throw new Error(`Envoy admin answered HTTP ${res.status} to /clusters`);
    try {
      return JSON.parse(text);
    } catch {
      throw new Error('malformed /clusters document: not JSON');
    }
  }

  private async step(): Promise<void> {
    const at = this.now();
    let health: ClustersHealth;
    try {
      health = assessClusters(await this.fetchClusters(), this.config.clusters);
    } catch (err) {
      if (this.stopper.signal.aborted) return;
      this.lastPollAt = at;
      if (this.reachable !== false) {
        this.event({ at, kind: 'envoy-unreachable', reason: `keeping ${this.state!.active}: ${errorText(err)}` });
      }
      this.reachable = false;
      this.state = forgetFailbackHold(this.state!);
      if (this.decision) this.decision = { ...this.decision, state: this.state, pendingFailbackSince: undefined };
      if (!this.unsynced) await this.reconcile(at);
      return;
    }
    if (this.reachable !== true) {
      this.event({ at, kind: 'envoy-reachable', reason: `Envoy admin answers: primary ${health.healthy.primary}/${health.total.primary}, secondary ${health.healthy.secondary}/${health.total.secondary} healthy` });
    }
    this.reachable = true;
    this.health = health;
    // Set with the data it stands for: a reader never sees a new poll time next to the previous poll's data.
    this.lastPollAt = at;

    const before = this.state!;
    const previous = this.decision?.activeCluster ?? before.active;
    const d = decide(before, health, at, this.config);
    if (d.switched) {
      try {
        await ensureChoice(this.config.lds.file, this.config.lds.choices, d.switched.to);
      } catch (err) {
        // Envoy still routes to the old cluster: keep saying so, and try again next poll.
        this.fail(`failover to ${d.switched.to} not applied: cannot write ${this.config.lds.file}: ${errorText(err)}`);
        const since = d.state.primaryHealthySince;
        this.state = since === undefined ? forgetFailbackHold(before) : { ...before, primaryHealthySince: since };
        return;
      }
      this.unsynced = false;
      this.lastError = undefined;
      this.commit(d);
      this.event({ at, kind: 'decision', from: d.switched.from, to: d.switched.to, reason: d.switched.reason });
      return;
    }
    this.commit(d);
    if (d.activeCluster !== previous) {
      const reason =
        d.activeCluster === 'none' ? d.reason : `${d.activeCluster} has quorum again: ${quorumText(d.activeCluster, health, this.config.quorum)}`;
      this.event({ at, kind: 'decision', to: d.state.active, reason });
    }
    await this.reconcile(at);
  }

  /** Makes the listener file hold the active cluster's choice (a no-op when it does). */
  private async reconcile(at: number): Promise<void> {
    const active = this.state!.active;
    try {
      const wrote = await ensureChoice(this.config.lds.file, this.config.lds.choices, active);
      if (wrote) {
        const reason = this.unsynced
          ? `first decision on Envoy's health data: wrote the ${active} choice to ${this.config.lds.file}`
          : `${this.config.lds.file} no longer held the ${active} choice (rewritten or re-rendered): wrote it again`;
        this.event({ at, kind: 'decision', to: active, reason });
      }
      this.unsynced = false;
      this.lastError = undefined;
    } catch (err) {
      this.fail(`cannot make ${this.config.lds.file} hold the ${active} choice: ${errorText(err)}`);
    }
  }

  private commit(d: Decision): void {
    this.state = d.state;
    this.decision = d;
  }

  /** An 'error' event, once until something succeeds or the message changes. */
  private fail(reason: string): void {
    if (this.lastError === reason) return;
    this.lastError = reason;
    this.event({ at: this.now(), kind: 'error', reason });
  }

  private event(e: ControllerEvent): void {
    this.events.push(e);
    if (this.events.length > EVENTS_KEPT) this.events.splice(0, this.events.length - EVENTS_KEPT);
    const move = e.from && e.to ? ` ${e.from} → ${e.to}` : e.to ? ` (${e.to})` : '';
    this.log(`${e.kind}${move}: ${e.reason}`);
    const file = this.config.eventsFile;
    if (file) {
      const line = `${JSON.stringify(e)}\n`;
      this.eventsWrite = this.eventsWrite.then(() =>
        appendFile(file, line).then(
          () => {
            this.eventsFileFailed = false;
          },
          (err: unknown) => {
            if (!this.eventsFileFailed) this.log(`cannot append to ${file}: ${errorText(err)}`);
            this.eventsFileFailed = true;
          },
        ),
      );
    }
  }

  private async closeServer(): Promise<void> {
    const server = this.server;
    if (!server?.listening) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    const url = new URL(req.url ?? '/', 'http://controller');
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
      res.writeHead(status, {
        'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
        'cache-control': 'no-store',
        ...headers,
      });
      res.end(text);
    };
    try {
      const route = `${url.pathname}`;
      const allowed: Record<string, string> = { '/healthz': 'GET', '/v1/decision': 'GET', '/v1/switch': 'POST' };
      const method = allowed[route];
      if (!method) return send(404, { error: `no such path: ${route} (try GET /v1/decision, POST /v1/switch?to=primary|secondary, GET /healthz)` });
      if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
        return send(405, { error: `${route} takes ${method}` }, { allow: method });
      }
      if (route === '/healthz') return send(200, 'ok\n');
      if (route === '/v1/decision') return this.published ? send(200, this.published) : send(503, { error: 'starting' });
      if (!this.state) return send(503, { error: 'starting' });
      const to = url.searchParams.get('to');
      if (to === null || !(CLUSTER_NAMES as readonly string[]).includes(to)) {
        return send(400, { error: `to must be primary or secondary, got ${to === null ? 'nothing' : JSON.stringify(to)}` });
      }
      const result = await this.requestSwitch(to as ClusterName);
      return send(result.status, result.body);
    } catch (err) {
      if (!res.headersSent) send(500, { error: errorText(err) });
      else res.destroy();
    }
  }
}
