/**
 * The replicator: keeps the secondary a copy of the primary with MirrorMaker 2 while the primary is
 * active, and moves the copy's direction at a failover and a failback. Every change runs one at a time.
 *
 *  - start: the flow of the saved phase (forward on a first start, from the primary's beginning).
 *  - promote (the controller calls it before it switches the listeners to the secondary): stops the
 *    forward flow, so nothing copied from the primary lands after the clients' first write, and records
 *    the secondary's end offsets: the point its own writes start from.
 *  - reverse (before a failback): copies what was written to the secondary since the promotion back to
 *    the primary, starting exactly there (MM2's position is written for it first).
 *  - failback (the controller calls it with the listeners closed, so nobody writes): waits until the
 *    primary has everything (lag 0 on every partition) and one more group-offset sync, stops the reverse
 *    flow, and starts the forward flow at the primary's end: what came back from the secondary is not
 *    copied there again.
 * Lag is read from both clusters every `lagPollMs`: per partition, records written to the source since
 * the flow started minus records the flow wrote to the target (only the flow writes there).
 */
import type { ReplicatorConfig } from './config.js';
import { Mm2Process } from './mm2-process.js';
import { FORWARD, REVERSE, type Flow } from './mm2-properties.js';
import { endOffsets, lagOf, seedFlowStart, totalOf, type Offsets } from './offsets.js';
import { loadState, saveState, type ReplicatorState } from './state.js';

export interface LagReading {
  at: number;
  byTopic: Offsets;
  total: number;
}

export interface ReplicationView {
  phase: ReplicatorState['phase'] | 'starting';
  since: number;
  flow?: string;
  mm2: { pid?: number; restarts: number };
  lag?: LagReading;
  lagError?: string;
  promotion?: ReplicatorState['promotion'];
  cycles: number;
  events: { at: number; text: string }[];
}

export class Replicator {
  private state!: ReplicatorState;
  private mm2?: Mm2Process;
  private restarts = 0;
  private lag?: LagReading;
  private lagError?: string;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly events: { at: number; text: string }[] = [];
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    readonly c: ReplicatorConfig,
    private readonly log: (line: string) => void = (l) => process.stderr.write(`[replicator ${new Date().toISOString()}] ${l}\n`),
  ) {}

  private note(text: string): void {
    this.events.push({ at: Date.now(), text });
    if (this.events.length > 50) this.events.shift();
    this.log(text);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private save(patch: Partial<ReplicatorState>): void {
    this.state = { ...this.state, ...patch, since: patch.phase ? Date.now() : this.state.since };
    saveState(this.c.workDir, this.state);
  }

  async start(): Promise<void> {
    const saved = loadState(this.c.workDir);
    if (saved) {
      this.state = saved;
      this.note(`resumed: ${saved.phase}`);
    } else {
      const target = await this.waitForTopics();
      this.state = { phase: 'forward', since: Date.now(), cycles: 0, base: { source: zeroLike(target), target } };
      saveState(this.c.workDir, this.state);
      this.note('first start: copying the primary to the secondary from its beginning');
    }
    const flow = this.flowOf();
    if (flow) this.run(flow);
    this.timer = setInterval(() => void this.readLag(), this.c.lagPollMs);
  }

  /** The topics exist on both clusters (the runtime creates them after starting the replicator). */
  private async waitForTopics(): Promise<Offsets> {
    const deadline = Date.now() + 300_000;
    for (let said = false; ; said = true) {
      try {
        await this.ends('primary');
        return await this.ends('secondary');
      } catch (err) {
        if (this.stopped || Date.now() > deadline) throw new Error(`the topics ${this.c.topics.join(', ')} never answered on both clusters: ${(err as Error).message}`);
        if (!said) this.note(`waiting for ${this.c.topics.join(', ')} on both clusters (${(err as Error).message})`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.chain.catch(() => undefined);
    await this.mm2?.stop();
  }

  private flowOf(): Flow | undefined {
    return this.state.phase === 'forward' ? FORWARD : this.state.phase === 'reverse' ? REVERSE : undefined;
  }

  private ends(cluster: 'primary' | 'secondary', timeoutMs = 3_000): Promise<Offsets> {
    return endOffsets(this.c.clusters[cluster].bootstrap, this.c.topics, timeoutMs);
  }

  private run(flow: Flow): void {
    const mm2 = new Mm2Process(this.c, flow, (l) => this.log(l), (code) => {
      if (this.stopped || this.mm2 !== mm2) return;
      this.restarts++;
      this.note(`MirrorMaker 2 ended on its own (code ${code}); starting it again in 2 s`);
      setTimeout(() => {
        if (!this.stopped && this.mm2 === mm2) this.run(flow);
      }, 2_000);
    });
    this.mm2 = mm2;
    mm2.start();
  }

  private async halt(graceMs = 5_000): Promise<void> {
    const mm2 = this.mm2;
    this.mm2 = undefined;
    await mm2?.stop(graceMs);
  }

  private async readLag(): Promise<LagReading | undefined> {
    const flow = this.flowOf();
    const base = this.state.base;
    if (!flow || !base) return undefined;
    try {
      const [source, target] = await Promise.all([this.ends(flow.source, 2_000), this.ends(flow.target, 2_000)]);
      // The direction changed while reading (a promotion, a failback): this reading is of the old flow.
      if (this.state.base !== base) return undefined;
      const byTopic = lagOf(source, target, base.source, base.target);
      this.lag = { at: Date.now(), byTopic, total: totalOf(byTopic) };
      this.lagError = undefined;
      return this.lag;
    } catch (err) {
      this.lagError = (err as Error).message;
      return undefined;
    }
  }

  /** Stops the forward flow and records where the secondary's own writes begin. */
  promote(): Promise<ReplicatorState['promotion']> {
    return this.serial(async () => {
      if (this.state.phase === 'promoted') return this.state.promotion;
      if (this.state.phase === 'reverse') {
        // A failback that did not happen: the secondary stays promoted from where it was.
        await this.halt(0);
        this.save({ phase: 'promoted', base: undefined });
        this.note('reverse flow stopped: the secondary stays active');
        return this.state.promotion;
      }
      // Killed at once: every record it copied is acknowledged already, and a failover should not wait.
      await this.halt(0);
      const secondaryEnd = await this.ends('secondary', 5_000);
      const promotion = { at: Date.now(), secondaryEnd };
      this.lag = undefined;
      this.save({ phase: 'promoted', promotion, base: undefined });
      this.note(`secondary promoted: forward flow stopped at ${totalOf(secondaryEnd)} records on the secondary`);
      return promotion;
    });
  }

  /** Starts copying what the secondary took since the promotion back to the primary. */
  reverse(): Promise<ReplicationView> {
    return this.serial(async () => {
      if (this.state.phase === 'reverse') return this.view();
      if (this.state.phase !== 'promoted' || !this.state.promotion) throw new Error('the secondary is not promoted: nothing to copy back');
      const start = this.state.promotion.secondaryEnd;
      // The primary may have just come back: its partitions get leaders within seconds.
      const target = await retrying(() => this.ends('primary', 5_000), 30_000);
      await retrying(() => seedFlowStart(this.c.clusters.primary.bootstrap, this.c.clusters.primary.replicationFactor, REVERSE, start), 30_000);
      this.lag = undefined;
      this.save({ phase: 'reverse', base: { source: start, target } });
      this.note(`reverse flow: copying the secondary's writes since the promotion back to the primary`);
      this.run(REVERSE);
      return this.view();
    });
  }

  /** With writers fenced: waits for lag 0, then turns the copy back to primary -> secondary. */
  failback(timeoutMs: number): Promise<ReplicationView> {
    return this.serial(async () => {
      if (this.state.phase === 'forward') return this.view();
      if (this.state.phase !== 'reverse') throw new Error('no reverse flow runs: call reverse first (the primary must catch up before a failback)');
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const lag = await this.readLag();
        if (lag && lag.total === 0) break;
        if (Date.now() > deadline) throw new Error(`the primary did not catch up within ${timeoutMs} ms (lag ${lag?.total ?? 'unknown'}${this.lagError ? `: ${this.lagError}` : ''})`);
        await new Promise((r) => setTimeout(r, 100));
      }
      // One more sync interval (and a margin), so the groups' last positions reach the primary too.
      await new Promise((r) => setTimeout(r, this.c.syncIntervalMs + 500));
      await this.halt();
      const [primaryEnd, secondaryEnd] = await Promise.all([this.ends('primary', 5_000), this.ends('secondary', 5_000)]);
      await retrying(() => seedFlowStart(this.c.clusters.secondary.bootstrap, this.c.clusters.secondary.replicationFactor, FORWARD, primaryEnd), 30_000);
      this.lag = undefined;
      this.save({ phase: 'forward', base: { source: primaryEnd, target: secondaryEnd }, promotion: undefined, cycles: this.state.cycles + 1 });
      this.note('failback: the primary has every record; copying primary -> secondary again from its end');
      this.run(FORWARD);
      return this.view();
    });
  }

  view(): ReplicationView {
    if (!this.state) return { phase: 'starting', since: 0, mm2: { restarts: 0 }, cycles: 0, events: [...this.events] };
    const flow = this.flowOf();
    return {
      phase: this.state.phase,
      since: this.state.since,
      ...(flow ? { flow: `${flow.source} -> ${flow.target}` } : {}),
      mm2: { pid: this.mm2?.pid, restarts: this.restarts },
      ...(this.lag ? { lag: this.lag } : {}),
      ...(this.lagError ? { lagError: this.lagError } : {}),
      ...(this.state.promotion ? { promotion: this.state.promotion } : {}),
      cycles: this.state.cycles,
      events: [...this.events],
    };
  }
}

/** `fn` again every second until it succeeds or `withinMs` has passed (then its last error). */
async function retrying<T>(fn: () => Promise<T>, withinMs: number): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}

function zeroLike(o: Offsets): Offsets {
  return Object.fromEntries(Object.entries(o).map(([t, ends]) => [t, ends.map(() => 0)]));
}
