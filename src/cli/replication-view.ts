/**
 * The replicator (replication.mode: shadow) as `status` and `routing` show it. Its GET /v1/replication
 * (src/replication/replicator.ts, ReplicationView) is read here, never rejecting: a replicator that does
 * not answer, or answers something else, is a reading with an `error` to show (and what `--json` prints).
 * The rendering is pure: `replicationSection` is the whole section of `status` (phase and flow, lag per
 * topic and partition, MirrorMaker 2's restarts, the promotion, the last events); `replicationSummary`
 * the routing screen's line, read at most every REPLICATION_POLL_MS by a `ReplicationPoller` (not on
 * every routing poll: a lag reading costs the replicator nothing, but it only changes every lagPollMs).
 */
import type { ChalkInstance } from 'chalk';
import type { Topology } from '../config/topology.js';
import type { ReplicationView } from '../replication/replicator.js';
import type { PartStatus } from '../runtime/types.js';
import { restartsText } from '../runtime/status-report.js';

export type { ReplicationView };

/** What was read: the replicator's view, or why there is none. */
export type ReplicationReading = ReplicationView | { error: string };

/** Least time between two reads by the routing monitor. */
export const REPLICATION_POLL_MS = 2_000;

/** The replicator's API next to that Envoy (same host, replication.replicatorPort), when the demo replicates. */
export function replicatorUrlFor(adminUrl: string, topology: Topology | undefined): string | undefined {
  if (topology?.replication.mode !== 'shadow') return undefined;
  const u = new URL(adminUrl);
  return `${u.protocol}//${u.hostname}:${topology.replication.replicatorPort}`;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Checks an answer of GET /v1/replication; throws, naming what is wrong, when it is not a replication view. */
export function parseReplicationView(body: unknown, url: string): ReplicationView {
  const wrong = (what: string) => new Error(`the replicator at ${url} answered something that is not a replication view (${what})`);
  if (!isRecord(body)) throw wrong('not a JSON object');
  if (typeof body.phase !== 'string') throw wrong('no phase');
  if (typeof body.since !== 'number' || typeof body.cycles !== 'number') throw wrong('no since or cycles');
  if (!isRecord(body.mm2) || typeof body.mm2.restarts !== 'number') throw wrong('no mm2.restarts');
  if (!Array.isArray(body.events)) throw wrong('no events');
  if (body.lag !== undefined) {
    const lag = body.lag;
    if (!isRecord(lag) || typeof lag.total !== 'number' || !isRecord(lag.byTopic)) throw wrong('lag without total or byTopic');
    for (const [topic, parts] of Object.entries(lag.byTopic)) {
      if (!Array.isArray(parts) || !parts.every((n) => typeof n === 'number')) throw wrong(`lag of ${topic} is not a number per partition`);
    }
  }
  return body as unknown as ReplicationView;
}

/** GET {url}/v1/replication; never rejects. */
export async function readReplication(url: string, timeoutMs = 1_500): Promise<ReplicationReading> {
  try {
    const res = await fetch(`${url}/v1/replication`, { signal: AbortSignal.timeout(timeoutMs) });
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) return { error: `the replicator at ${url} answered HTTP ${res.status}${isRecord(body) && typeof body.error === 'string' ? `: ${body.error}` : ''}` };
    return parseReplicationView(body, url);
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.message.startsWith('the replicator at')) return { error: e.message };
    return { error: `the replicator at ${url} did not answer (${e.cause?.code ?? e.cause?.message ?? e.message})` };
  }
}

/**
 * Reads the replicator when poked, at most every `minMs` and one read at a time; `onRead` gets each
 * reading (the routing monitor redraws with it). `read` never rejects (readReplication).
 */
export class ReplicationPoller {
  private startedAt = Number.NEGATIVE_INFINITY;
  private running = false;
  reading?: ReplicationReading;

  constructor(
    private readonly url: string,
    private readonly onRead: (r: ReplicationReading) => void,
    private readonly read: (url: string) => Promise<ReplicationReading> = readReplication,
    private readonly minMs = REPLICATION_POLL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts a read unless one runs or the last one started less than `minMs` ago. */
  poke(): void {
    const t = this.now();
    if (this.running || t - this.startedAt < this.minMs) return;
    this.running = true;
    this.startedAt = t;
    void this.read(this.url).then((r) => {
      this.running = false;
      this.reading = r;
      this.onRead(r);
    });
  }
}

/** HH:MM:SS, local time. */
function hms(ms: number): string {
  const d = new Date(ms);
  return [d.getHours(), d.getMinutes(), d.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

function ago(ms: number, now: number): string {
  const s = Math.max(0, now - ms) / 1000;
  return s < 60 ? `${s.toFixed(1)} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : `${(s / 3600).toFixed(1)} h ago`;
}

const records = (n: number) => `${n} record${n === 1 ? '' : 's'}`;

/** What each phase means for the clusters, in words. */
export const PHASE_TEXT: Record<string, string> = {
  starting: 'starting: MirrorMaker 2 does not run yet',
  forward: 'the secondary copies the primary',
  promoted: 'secondary promoted: nothing copies; writes since the promotion stay on the secondary until a failback',
  reverse: "failback under way: the secondary's writes since the promotion are copied back to the primary",
};

function phaseLine(v: ReplicationView, c: ChalkInstance): string {
  const colour = v.phase === 'forward' ? c.green : v.phase === 'starting' ? c.dim : c.yellow;
  const flow = v.flow ? ` (${v.flow})` : '';
  const since = v.since > 0 ? c.dim(` since ${hms(v.since)}`) : '';
  return `${colour.bold(v.phase)}${flow}: ${PHASE_TEXT[v.phase] ?? v.phase}${since}`;
}

/** "test-topic 12 [5 4 3]", per topic. */
function topicLag(byTopic: Record<string, number[]>): string[] {
  return Object.entries(byTopic).map(([topic, parts]) => `${topic} ${parts.reduce((a, b) => a + b, 0)} [${parts.join(' ')}]`);
}

/** Lag as one phrase: total, and when it was read; why it could not be; or that no copy runs. */
function lagPhrase(v: ReplicationView, c: ChalkInstance, now: number): string {
  if (v.lagError) return c.yellow(`lag not read: ${v.lagError}`);
  if (!v.lag) return c.dim(v.flow ? 'lag not read yet' : 'no lag: no copy runs');
  const text = `lag ${records(v.lag.total)}`;
  return `${v.lag.total === 0 ? c.green(text) : c.yellow(text)}${c.dim(` (read ${ago(v.lag.at, now)})`)}`;
}

/** The routing screen's replication line: phase, flow and lag per topic [per partition], MirrorMaker 2's restarts. */
export function replicationSummary(r: ReplicationReading, c: ChalkInstance, now: number): string {
  if ('error' in r) return `${c.bold('Replication')} ${c.red(`replicator not answering: ${r.error}`)}`;
  const byTopic = r.lag && Object.keys(r.lag.byTopic).length > 0 ? ` · ${topicLag(r.lag.byTopic).join(', ')}` : '';
  const restarts = r.mm2.restarts > 0 ? c.yellow(` · MirrorMaker 2 restarts ${r.mm2.restarts}`) : '';
  const flow = r.flow ? ` ${r.flow}` : '';
  return `${c.bold('Replication')} ${r.phase}${flow} · ${lagPhrase(r, c, now)}${byTopic}${restarts}`;
}

export interface ReplicationSectionInput {
  url: string;
  reading: ReplicationReading;
  /** The replicator as its supervisor sees it (running, restarts), when the runtime reports parts. */
  part?: PartStatus;
}

/** The replicator process: running, its address and its supervisor's restarts. */
function processLine(input: ReplicationSectionInput, c: ChalkInstance): string {
  const p = input.part;
  const state = p === undefined ? '' : p.running ? `${c.green('running')}  ` : `${c.red('stopped')}  `;
  const cell = restartsText(p);
  const restarts = cell.text === '0' || cell.text === '?' ? '' : `  restarts ${cell.tone === 'bad' ? c.red(cell.text) : c.yellow(cell.text)}`;
  return `${c.bold('Replication')} ${state}${input.url}${restarts}`;
}

/** `status`'s replication section, a line each (the last `maxEvents` of the replicator's events last). */
export function replicationSection(input: ReplicationSectionInput, c: ChalkInstance, now: number, maxEvents = 5): string[] {
  const lines = [processLine(input, c)];
  const r = input.reading;
  if ('error' in r) {
    lines.push(`  ${c.red(r.error)}`, c.dim('  the runtime restarts a crashed replicator; its log says why it stopped'));
    return lines;
  }
  lines.push(`  phase     ${phaseLine(r, c)}`);
  lines.push(`  lag       ${lagPhrase(r, c, now)}`);
  for (const [topic, parts] of Object.entries(r.lag?.byTopic ?? {})) {
    const total = parts.reduce((a, b) => a + b, 0);
    const perPartition = parts.map((n, i) => `p${i} ${n}`).join(', ');
    lines.push(`            ${topic}: ${total === 0 ? c.green(records(total)) : c.yellow(records(total))}${c.dim(` (${perPartition || 'no partitions'})`)}`);
  }
  const mm2 = `${r.mm2.pid !== undefined ? `pid ${r.mm2.pid}` : 'not running'}, restarts ${r.mm2.restarts}`;
  lines.push(`  MM2       ${r.mm2.restarts > 0 ? c.yellow(mm2) : mm2}`);
  if (r.promotion) {
    const end = Object.values(r.promotion.secondaryEnd).flat().reduce((a, b) => a + b, 0);
    lines.push(`  promoted  ${hms(r.promotion.at)} ${c.dim(`(${ago(r.promotion.at, now)}; the secondary held ${records(end)}: its own writes start there)`)}`);
  }
  lines.push(`  cycles    ${r.cycles} ${c.dim('(failover and failback cycles completed)')}`);
  const recent = r.events.slice(-maxEvents);
  if (recent.length > 0) lines.push(`  events`, ...recent.map((e) => `    ${c.dim(hms(e.at))}  ${e.text}`));
  return lines;
}
