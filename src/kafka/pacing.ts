/**
 * The producer's send schedule: how many messages are due at a given rate, in batches, without bursting
 * to catch up after it was held back (a failover's back-pressure).
 */
export class SendSchedule {
  /** How long the producer waits between two looks at the schedule (0 when unthrottled). */
  readonly tickMs: number;
  private start: number;
  private scheduled = 0;

  /** `rate`: messages per second, 0 = unthrottled (a full batch whenever asked). */
  constructor(
    private readonly rate: number,
    private readonly batchSize: number,
    now = Date.now(),
  ) {
    this.start = now;
    this.tickMs = rate > 0 ? Math.max(2, Math.min(20, Math.floor(1000 / rate))) : 0;
  }

  /** Messages due at `now` beyond those already taken, at most one batch (0 or less: none yet). */
  due(now: number): number {
    if (this.rate <= 0) return this.batchSize;
    let target = Math.floor(((now - this.start) * this.rate) / 1000) + 1;
    // Fell more than a second behind (back-pressure during a failover): do not burst to catch up.
    if (target - this.scheduled > this.rate) {
      this.start = now;
      this.scheduled = 0;
      target = 1;
    }
    return Math.min(target - this.scheduled, this.batchSize);
  }

  /** `n` due messages were handed to the client. */
  take(n: number): void {
    this.scheduled += n;
  }
}
