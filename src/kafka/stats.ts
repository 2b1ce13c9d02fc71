/** Pure bookkeeping shared by the producer and the consumer: latency percentiles, rates, sequence gaps. */

/** Latency samples; keeps every sample up to `limit`, then a uniform reservoir (percentiles stay honest). */
export class LatencySamples {
  private samples: number[] = [];
  private seen = 0;
  constructor(private readonly limit = 200_000) {}

  add(ms: number): void {
    this.seen++;
    if (this.samples.length < this.limit) {
      this.samples.push(ms);
      return;
    }
    const slot = Math.floor(Math.random() * this.seen);
    if (slot < this.limit) this.samples[slot] = ms;
  }

  get count(): number {
    return this.seen;
  }

  /** q in [0, 1]; undefined while empty. */
  percentile(q: number): number | undefined {
    return percentile(this.samples, q);
  }
}

/** Nearest-rank percentile of unsorted values. */
export function percentile(values: readonly number[], q: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank];
}

/** Events per second over a sliding window, plus latencies of that window for the live line. */
export class SlidingWindow {
  private events: { at: number; value: number }[] = [];
  constructor(private readonly windowMs = 5_000) {}

  add(at: number, value = 0): void {
    this.events.push({ at, value });
    this.trim(at);
  }

  private trim(now: number): void {
    const from = now - this.windowMs;
    let drop = 0;
    while (drop < this.events.length && this.events[drop]!.at < from) drop++;
    if (drop > 0) this.events.splice(0, drop);
  }

  ratePerSecond(now: number): number {
    this.trim(now);
    return (this.events.length * 1000) / this.windowMs;
  }

  percentile(now: number, q: number): number | undefined {
    this.trim(now);
    return percentile(
      this.events.map((e) => e.value),
      q,
    );
  }
}

/** Live latency figures: over the sliding window, rounded to 0.1. */
export interface LiveLatency {
  /** Events per second. */
  rate: number;
  p50Ms?: number;
  p99Ms?: number;
}

/**
 * A client's latency figures: every sample for the run's percentiles and maximum, the last `windowMs`
 * for the live rate and percentiles.
 */
export class LatencyStats {
  private readonly samples = new LatencySamples();
  private readonly window: SlidingWindow;
  private max = 0;

  constructor(windowMs = 5_000) {
    this.window = new SlidingWindow(windowMs);
  }

  add(at: number, ms: number): void {
    this.samples.add(ms);
    this.window.add(at, ms);
    if (ms > this.max) this.max = ms;
  }

  live(now: number): LiveLatency {
    return {
      rate: round1(this.window.ratePerSecond(now)) ?? 0,
      p50Ms: round1(this.window.percentile(now, 0.5)),
      p99Ms: round1(this.window.percentile(now, 0.99)),
    };
  }

  /** The whole run's p50, p99 and max (all undefined before the first sample). */
  summary(): { p50?: number; p99?: number; max?: number } {
    return {
      p50: round1(this.samples.percentile(0.5)),
      p99: round1(this.samples.percentile(0.99)),
      max: this.samples.count ? this.max : undefined,
    };
  }
}

export interface SequenceReport {
  received: number;
  distinct: number;
  lowest: number;
  highest: number;
  /** Sequence numbers never seen between lowest and highest. */
  gaps: number;
  /** Receipts of a sequence number already seen. */
  duplicates: number;
  /** First missing ranges, inclusive, for display. */
  gapRanges: [number, number][];
}

/** Per-producer sequence accounting: which numbers arrived, how often. */
export class SequenceTracker {
  private seen = new Set<number>();
  private lowest = Number.POSITIVE_INFINITY;
  private highest = Number.NEGATIVE_INFINITY;
  private received = 0;
  private duplicates = 0;

  /** Returns true when `seq` was already seen (a duplicate). */
  record(seq: number): boolean {
    this.received++;
    if (this.seen.has(seq)) {
      this.duplicates++;
      return true;
    }
    this.seen.add(seq);
    if (seq < this.lowest) this.lowest = seq;
    if (seq > this.highest) this.highest = seq;
    return false;
  }

  get gaps(): number {
    return this.seen.size === 0 ? 0 : this.highest - this.lowest + 1 - this.seen.size;
  }

  report(maxRanges = 10): SequenceReport {
    const gapRanges: [number, number][] = [];
    if (this.gaps > 0) {
      let start: number | undefined;
      for (let s = this.lowest; s <= this.highest && gapRanges.length < maxRanges; s++) {
        const missing = !this.seen.has(s);
        if (missing && start === undefined) start = s;
        if (!missing && start !== undefined) {
          gapRanges.push([start, s - 1]);
          start = undefined;
        }
      }
      if (start !== undefined && gapRanges.length < maxRanges) gapRanges.push([start, this.highest]);
    }
    return {
      received: this.received,
      distinct: this.seen.size,
      lowest: this.seen.size ? this.lowest : 0,
      highest: this.seen.size ? this.highest : -1,
      gaps: this.gaps,
      duplicates: this.duplicates,
      gapRanges,
    };
  }
}

/** Sequence accounting of every producer seen: one SequenceTracker each, and their totals. */
export class ProducerSequences {
  private readonly trackers = new Map<string, SequenceTracker>();

  /** Records `seq` of `producer`; returns true when it was already seen (a duplicate). */
  record(producer: string, seq: number): boolean {
    let tracker = this.trackers.get(producer);
    if (!tracker) this.trackers.set(producer, (tracker = new SequenceTracker()));
    return tracker.record(seq);
  }

  /** Gaps and duplicates summed over every producer. */
  totals(): { gaps: number; duplicates: number } {
    let gaps = 0;
    let duplicates = 0;
    for (const t of this.trackers.values()) {
      const r = t.report(0);
      gaps += r.gaps;
      duplicates += r.duplicates;
    }
    return { gaps, duplicates };
  }

  /** Each producer's report, by producer id. */
  reports(): Record<string, SequenceReport> {
    return Object.fromEntries([...this.trackers].map(([id, t]) => [id, t.report()]));
  }
}

export function round1(n: number | undefined): number | undefined {
  return n === undefined ? undefined : Math.round(n * 10) / 10;
}
