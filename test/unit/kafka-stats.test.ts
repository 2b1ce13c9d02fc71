import { describe, expect, it } from 'vitest';
import { LatencySamples, SequenceTracker, SlidingWindow, percentile } from '../../src/kafka/stats.js';
import { decodeMessage, encodeMessage } from '../../src/kafka/message.js';

describe('SequenceTracker', () => {
  it('counts gaps between the lowest and highest sequence seen, and duplicates', () => {
    const t = new SequenceTracker();
    for (const s of [0, 1, 2, 5, 6, 2, 9, 1]) t.record(s);
    const r = t.report();
    expect(r).toMatchObject({ received: 8, distinct: 6, lowest: 0, highest: 9, gaps: 4, duplicates: 2 });
    expect(r.gapRanges).toEqual([
      [3, 4],
      [7, 8],
    ]);
  });

  it('has no gaps for a complete run received out of order', () => {
    const t = new SequenceTracker();
    for (const s of [4, 2, 3, 0, 1]) expect(t.record(s)).toBe(false);
    expect(t.report()).toMatchObject({ gaps: 0, duplicates: 0, lowest: 0, highest: 4 });
  });

  it('reports an empty tracker without gaps', () => {
    expect(new SequenceTracker().report()).toMatchObject({ received: 0, gaps: 0, highest: -1 });
  });
});

describe('latency percentiles', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(values, 0.5)).toBe(50);
    expect(percentile(values, 0.99)).toBe(99);
    expect(percentile(values, 1)).toBe(100);
    expect(percentile([], 0.5)).toBeUndefined();
  });

  it('keeps a bounded reservoir that still answers', () => {
    const s = new LatencySamples(10);
    for (let i = 0; i < 1000; i++) s.add(5);
    expect(s.count).toBe(1000);
    expect(s.percentile(0.99)).toBe(5);
  });

  it('computes a rate over its window only', () => {
    const w = new SlidingWindow(1000);
    for (let i = 0; i < 10; i++) w.add(1000 + i * 10, i);
    expect(w.ratePerSecond(1500)).toBe(10);
    expect(w.ratePerSecond(2500)).toBe(0);
  });
});

describe('probe message', () => {
  it('round-trips and pads to the asked size', () => {
    const m = { producer: 'p-1', seq: 42, sentAt: 1_700_000_000_000 };
    expect(decodeMessage(Buffer.from(encodeMessage(m)))).toEqual(m);
    const padded = encodeMessage(m, 200);
    expect(padded.length).toBe(200);
    expect(decodeMessage(padded)).toEqual(m);
  });

  it('ignores records that are not probe messages', () => {
    expect(decodeMessage(null)).toBeUndefined();
    expect(decodeMessage('hello')).toBeUndefined();
    expect(decodeMessage('{"producer":"x","seq":"1","sentAt":1}')).toBeUndefined();
  });
});

describe('live lines', () => {
  it('show acked-by per cluster and the state when not producing', async () => {
    const { producerLine, consumerLine } = await import('../../src/cli/client-format.js');
    const line = producerLine({
      producerId: 'p', state: 'retrying', sent: 10, acked: 8, failed: 0, inFlight: 2, rate: 4, p50Ms: 3, p99Ms: 40,
      ackedBy: { primary: 5, secondary: 3, unknown: 0 }, lastCluster: 'secondary', lastError: 'Closed connection',
    });
    expect(line).toContain('acked by primary 5 / secondary 3');
    expect(line).toContain('in-flight 2');
    expect(line).toContain('[retrying: Closed connection]');
    const c = consumerLine({ groupId: 'g', state: 'consuming', cluster: 'primary', received: 7, rate: 1, gaps: 2, duplicates: 1, clusterSwitches: 1 });
    expect(c).toContain('gaps 2  duplicates 1  cluster primary  switches 1');
    expect(c).not.toContain('[');
  });
});
