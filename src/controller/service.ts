/**
 * The failover controller as a long-running service: polls Envoy's admin /clusters, runs the pure rule
 * (decide.ts) on what it sees, applies the result by replacing Envoy's LDS file with the chosen
 * pre-rendered listener file, and answers a small HTTP API (http-api.ts). I/O throughout; the logic it
 * applies lives in decide.ts and health.ts, what it answers is built in view.ts, its events are kept by
 * events.ts.
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
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ClusterName, ControllerConfig } from './config.js';
import { decide, forgetFailbackHold, planSwitch, quorumText, type Decision, type DecisionState } from './decide.js';
import { defaultLog, errorText, EventLog } from './events.js';
import { assessClusters, type ClustersHealth } from './health.js';
import { closeApi, listenApi } from './http-api.js';
import { atomicWrite, ensureChoice, identifyChoice, readChoices, readIfExists } from './lds.js';
import { failbackSteps, promote } from './replication.js';
import { readFile } from 'node:fs/promises';
import { decisionView, type DecisionView, type SwitchResult } from './view.js';

export type { ControllerEvent, EventKind } from './events.js';
export type { DecisionView, SwitchResult } from './view.js';

export interface ControllerOptions {
  /** One line of log (default: stderr with an ISO timestamp). */
  log?: (line: string) => void;
  now?: () => number;
  /** How long one admin request may take. */
  requestTimeoutMs?: number;
}

export class Controller {
  private readonly now: () => number;
  private readonly requestTimeoutMs: number;
  private readonly stopper = new AbortController();
  private server?: Server;
  private chain: Promise<unknown> = Promise.resolve();
  private loopDone?: Promise<void>;

  private state?: DecisionState;
  private decision?: Decision;
  /** lds.file matched neither choice at start: write it after the first decision on real data. */
  private unsynced = false;
  private health?: ClustersHealth;
  private reachable?: boolean;
  private lastPollAt?: number;
  private lastError?: string;
  private readonly events: EventLog;
  /** The view as of the last finished step (so a reader never sees half a step). */
  private published?: DecisionView;

  constructor(
    readonly config: ControllerConfig,
    opts: ControllerOptions = {},
  ) {
    this.events = new EventLog(opts.log ?? defaultLog, config.eventsFile);
    this.now = opts.now ?? Date.now;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 1_000;
  }

  /** Binds the HTTP API, takes over from the listener file, and starts polling. */
  async start(): Promise<void> {
    // Bind first: a second controller on the same port must fail before touching the listener file.
    this.server = await listenApi(
      { published: () => this.published, ready: () => this.state !== undefined, requestSwitch: (to) => this.requestSwitch(to) },
      this.config.listen.port,
      this.config.listen.address,
    );
    try {
      await this.serial(() => this.takeOver());
    } catch (err) {
      await closeApi(this.server);
      throw err;
    }
    this.loopDone = this.loop();
  }

  /** Stops polling and the HTTP API; waits for the step under way. */
  async stop(): Promise<void> {
    this.stopper.abort();
    await closeApi(this.server);
    await this.loopDone;
    await this.chain.catch(() => undefined);
    await this.events.flushed();
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
        if (!state.pinned) this.events.add({ at: now, kind: 'switch', from: to, to, reason: outcome.note });
        this.commit(outcome.decision);
        return { status: 200, body: { ...this.view(), note: outcome.note } };
      }
      if (to === 'secondary') await this.promoteSecondary(now);
      else {
        const refused = await this.failbackWithReplication();
        if (refused) return { status: 409, body: { error: refused } };
      }
      try {
        await ensureChoice(this.config.lds.file, this.config.lds.choices, to);
      } catch (err) {
        const error = `switch to ${to} failed: cannot write ${this.config.lds.file}: ${errorText(err)}`;
        this.events.add({ at: now, kind: 'error', reason: error });
        return { status: 500, body: { error } };
      }
      this.unsynced = false;
      this.lastError = undefined;
      this.commit(outcome.decision);
      this.events.add({ at: now, kind: 'switch', from: state.active, to, reason: outcome.decision.reason });
      return { status: 200, body: this.view() };
    });
  }

  /** GET /v1/decision. */
  view(): DecisionView {
    const { config, state, decision, health, reachable, lastPollAt } = this;
    return decisionView({ config, state: state!, decision, health, reachable, lastPollAt, events: this.events.list() });
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
    const current = await readIfExists(file);
    const hook = this.config.replication;
    if (hook && current?.equals(await readFile(hook.fenced))) {
      // Stopped during a failback, with writers fenced: give the clients the secondary back.
      await atomicWrite(file, choices.secondary);
      this.state = { active: 'secondary', since: this.now(), reason: 'resumed during a failback: listeners fenced, secondary restored', pinned: false };
      this.events.add({ at: this.now(), kind: 'start', to: 'secondary', reason: this.state.reason });
      return;
    }
    const found = identifyChoice(current, choices);
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
    this.state = { active, since: now, reason, pinned: false, activeHadQuorum: false };
    this.events.add({ at: now, kind: found === 'other' ? 'error' : 'start', to: active, reason });
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
        this.events.add({ at, kind: 'envoy-unreachable', reason: `keeping ${this.state!.active}: ${errorText(err)}` });
      }
      this.reachable = false;
      this.state = forgetFailbackHold(this.state!);
      if (this.decision) this.decision = { ...this.decision, state: this.state, pendingFailbackSince: undefined };
      if (!this.unsynced) await this.reconcile(at);
      return;
    }
    if (this.reachable !== true) {
      this.events.add({ at, kind: 'envoy-reachable', reason: `Envoy admin answers: primary ${health.healthy.primary}/${health.total.primary}, secondary ${health.healthy.secondary}/${health.total.secondary} healthy` });
    }
    this.reachable = true;
    this.health = health;
    // Set with the data it stands for: a reader never sees a new poll time next to the previous poll's data.
    this.lastPollAt = at;

    const before = this.state!;
    const previous = this.decision?.activeCluster ?? before.active;
    const d = decide(before, health, at, this.config);
    if (d.switched) {
      if (d.switched.to === 'secondary') await this.promoteSecondary(at);
      else if (this.config.replication) {
        this.events.add({ at, kind: 'replication', reason: "the secondary lost its quorum: back to primary without the failback's catch-up (writes since the promotion stay on the secondary)" });
      }
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
      this.events.add({ at, kind: 'decision', from: d.switched.from, to: d.switched.to, reason: d.switched.reason });
      return;
    }
    this.commit(d);
    if (d.activeCluster !== previous) {
      const reason =
        d.activeCluster === 'none' ? d.reason : `${d.activeCluster} has quorum again: ${quorumText(d.activeCluster, health, this.config.quorum)}`;
      this.events.add({ at, kind: 'decision', to: d.state.active, reason });
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
        this.events.add({ at, kind: 'decision', to: active, reason });
      }
      this.unsynced = false;
      this.lastError = undefined;
    } catch (err) {
      this.fail(`cannot make ${this.config.lds.file} hold the ${active} choice: ${errorText(err)}`);
    }
  }

  /** replication: stop the copy into the secondary before clients reach it (the switch goes ahead either way). */
  private async promoteSecondary(at: number): Promise<void> {
    const hook = this.config.replication;
    if (!hook) return;
    const r = await promote(hook);
    this.events.add({ at, kind: r.ok ? 'replication' : 'error', reason: r.ok ? 'secondary promoted: the copy into it stopped before the switch' : `promotion failed, switching anyway: ${r.error}` });
  }

  /** replication: the primary catches up with writers fenced; an error text when the failback must not happen. */
  private async failbackWithReplication(): Promise<string | undefined> {
    const hook = this.config.replication;
    if (!hook) return undefined;
    const { file, choices } = this.config.lds;
    return failbackSteps(hook, {
      fence: async () => atomicWrite(file, await readFile(hook.fenced)),
      unfence: async () => void (await ensureChoice(file, choices, 'secondary')),
      note: (reason) => this.events.add({ at: this.now(), kind: 'replication', reason }),
    });
  }

  private commit(d: Decision): void {
    this.state = d.state;
    this.decision = d;
  }

  /** An 'error' event, once until something succeeds or the message changes. */
  private fail(reason: string): void {
    if (this.lastError === reason) return;
    this.lastError = reason;
    this.events.add({ at: this.now(), kind: 'error', reason });
  }

}
