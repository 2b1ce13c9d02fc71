/** bench:clients' spread rule (scripts/spread-rule.mjs): when a median over the (Envoy, direct) pairs means something. */
import { describe, expect, it } from 'vitest';
import { judge, spread, SPREAD_BOUNDS } from '../../scripts/spread-rule.mjs';

const figures = (throughput: number[], latency: number[]) => ({
  throughput: { ratio: spread(throughput) },
  atRate: { ratePerSecond: 200, p50: { ratio: spread(latency) }, p99: { ratio: spread(latency) }, p999: { ratio: spread(latency) } },
});

describe('bench:clients spread rule', () => {
  it('median, quartiles (nearest rank) and min–max', () => {
    expect(spread([0.9, 1.1, 0.7, 1.0, 0.95])).toEqual({ median: 0.95, min: 0.7, max: 1.1, q1: 0.9, q3: 1.0 });
    expect(spread([4, 1, 3, 2]).median).toBe(2.5);
  });

  it('passes pairs that agree, even with one outlier at each end', () => {
    expect(judge(figures([0.5, 0.95, 0.97, 1.0, 1.02, 1.6], [0.2, 1.0, 1.1, 1.2, 1.3, 9]))).toEqual({ ok: true, reasons: [] });
  });

  it("fails, naming the figure and why, when the middle half disagrees (the issue's 0.61 vs 1.03)", () => {
    const v = judge(figures([0.61, 0.61, 0.8, 1.03, 1.03], [1, 1, 1, 1, 1]));
    expect(v.ok).toBe(false);
    expect(v.reasons).toHaveLength(1);
    expect(v.reasons[0]).toMatch(/^throughput ratio .*0\.61–1\.03 \(Q3\/Q1 1\.69 > 1\.2/);
    expect(judge(figures([1, 1, 1, 1, 1], [0.5, 0.5, 1, 2, 2])).reasons).toHaveLength(3);
    expect(SPREAD_BOUNDS).toEqual({ throughput: 1.2, latency: 1.5 });
  });
});
