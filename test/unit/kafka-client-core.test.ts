/**
 * The pieces the failover producer and consumer share (src/kafka/client-core.ts and its helpers): settings,
 * send schedule, latency figures, per-cluster and per-producer tallies, the ledger line, and the connect
 * loop's status lines and stop().
 */
import { describe, expect, it } from 'vitest';
import { ClientCore, type ClientStatus } from '../../src/kafka/client-core.js';
import { ClusterTally } from '../../src/kafka/clusters.js';
import { ledgerLine, parseLedgerLine, type LedgerEntry } from '../../src/kafka/ledger.js';
import { SendSchedule } from '../../src/kafka/pacing.js';
import { DEFAULT_FAILOVER_SETTINGS, resolveSettings } from '../../src/kafka/settings.js';
import { LatencyStats, ProducerSequences } from '../../src/kafka/stats.js';

describe('resolveSettings', () => {
  it('takes the settings fields of a client options object, undefined ones keep their default', () => {
    const s = resolveSettings({ topic: 't', retries: 3, requestTimeoutMs: undefined, ratePerSecond: 5 });
    expect(s).toEqual({ ...DEFAULT_FAILOVER_SETTINGS, retries: 3 });
  });
});

describe('SendSchedule', () => {
  it('is due one message at once, then rate per second, capped at a batch', () => {
    const s = new SendSchedule(100, 500, 0);
    expect(s.tickMs).toBe(10);
    expect(s.due(0)).toBe(1);
    s.take(1);
    expect(s.due(0)).toBe(0);
    expect(s.due(500)).toBe(50);
    s.take(50);
    expect(s.due(990)).toBe(49);
  });

  it('does not burst to catch up after it fell more than a second behind', () => {
    const s = new SendSchedule(10, 500, 0);
    s.take(s.due(0));
    expect(s.due(5_000)).toBe(1);
  });

  it('unthrottled: a full batch whenever asked', () => {
    const s = new SendSchedule(0, 200, 0);
    expect(s.tickMs).toBe(0);
    expect(s.due(0)).toBe(200);
  });
});

describe('LatencyStats', () => {
  it('has no figures before a sample, then live and whole-run ones', () => {
    const l = new LatencyStats(1_000);
    expect(l.summary()).toEqual({ p50: undefined, p99: undefined, max: undefined });
    expect(l.live(0)).toEqual({ rate: 0, p50Ms: undefined, p99Ms: undefined });
    l.add(0, 100);
    l.add(1_500, 10);
    l.add(1_600, 20);
    expect(l.live(1_600)).toEqual({ rate: 2, p50Ms: 10, p99Ms: 20 });
    expect(l.summary()).toEqual({ p50: 20, p99: 100, max: 100 });
  });
});

describe('ClusterTally', () => {
  it('counts per cluster, keeps the first time of each, and reports each change of cluster', () => {
    const t = new ClusterTally();
    expect(t.add('primary', 1)).toBeUndefined();
    expect(t.add('primary', 2)).toBeUndefined();
    expect(t.add('secondary', 3)).toEqual({ at: 3, from: 'primary', to: 'secondary' });
    expect(t.counts).toEqual({ primary: 2, secondary: 1, unknown: 0 });
    expect(t.firstAt).toEqual({ primary: 1, secondary: 3 });
    expect(t.changes).toHaveLength(1);
    expect(t.last).toBe('secondary');
  });
});

describe('ProducerSequences', () => {
  it('tracks each producer on its own and sums gaps and duplicates', () => {
    const p = new ProducerSequences();
    for (const seq of [0, 1, 3]) p.record('a', seq);
    expect(p.record('b', 0)).toBe(false);
    expect(p.record('b', 0)).toBe(true);
    expect(p.totals()).toEqual({ gaps: 1, duplicates: 1 });
    expect(Object.keys(p.reports())).toEqual(['a', 'b']);
    expect(p.reports().a!.gapRanges).toEqual([[2, 2]]);
  });
});

describe('ledger line', () => {
  it('is one JSON line per entry, read back as written', () => {
    const entry: LedgerEntry = { producer: 'p', seq: 7, topic: 't', cluster: 'primary', clusterId: 'c1', partition: 1, offset: '42', at: 5 };
    const line = ledgerLine(entry);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.trim()).not.toContain('\n');
    expect(parseLedgerLine(line.trim())).toEqual(entry);
  });
});

describe('ClientCore.connect', () => {
  it('says why it cannot connect, retries, and ends with undefined on stop()', async () => {
    const statuses: ClientStatus<string>[] = [];
    const core: ClientCore<'connecting' | 'retrying' | 'stopped'> = new ClientCore({
      bootstrap: ['127.0.0.1:1'],
      topic: 't',
      options: { connectionTimeoutMs: 200, requestTimeoutMs: 200 },
      clientId: 'client-core-test',
      onStatus: (s) => {
        statuses.push(s);
        if (s.text.startsWith('cannot reach')) core.stop();
      },
    });
    let attempts = 0;
    const result = await core.connect({ attempt: async () => ++attempts });
    expect(result).toBeUndefined();
    expect(attempts).toBe(0);
    expect(statuses[0]).toMatchObject({ state: 'connecting', text: 'connecting to 127.0.0.1:1' });
    expect(statuses[1]?.text).toMatch(/^cannot reach Kafka through Envoy at 127\.0\.0\.1:1 \(.+\); retrying$/);
    expect(core.lastError).toBeTruthy();
  });
});
