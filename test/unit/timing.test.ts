import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultTopology, type HealthCheckSettings } from '../../src/config/topology.js';
import { formatWindow, outlierDetectionNote, predictTiming, recoveryModeCase, type TimingPrediction } from '../../src/envoy/timing.js';

const defaults = defaultTopology().healthCheck;

describe('predictTiming at the PoC defaults (interval 3s, jitter 0.5s, timeout 2s, thresholds 3/2)', () => {
  const p = predictTiming(defaults);

  it('killed broker: three refused checks, the later two unhealthy_edge_interval apart', () => {
    expect(p.refused).toMatchObject({ earliestMs: 6000, latestMs: 10_500 });
    expect(p.refused.explanation).toContain('2×3000 = 6000 ms');
    expect(p.refused.explanation).toContain('3500 + 2×3500 = 10500 ms');
  });

  it('hung broker: three timeouts add 3×2s on top', () => {
    expect(p.hung).toMatchObject({ earliestMs: 12_000, latestMs: 16_500 });
    expect(p.hung.explanation).toContain('3×2000');
  });

  it('a non-200 answer marks at the first check', () => {
    expect(p.errorStatus).toMatchObject({ earliestMs: 0, latestMs: 3500 });
  });

  it('recovery: two passing checks, first within unhealthy_interval, then healthy_edge_interval', () => {
    expect(p.recovered).toMatchObject({ earliestMs: 3000, latestMs: 7000 });
    expect(p.recovered.explanation).toContain('healthy_edge_interval');
  });
});

describe('predictTiming picks the interval Envoy really uses', () => {
  const distinct: HealthCheckSettings = {
    ...defaults,
    timeoutMs: 500,
    intervalMs: 1000,
    intervalJitterMs: 0,
    unhealthyThreshold: 3,
    healthyThreshold: 3,
    noTrafficIntervalMs: 4000,
    unhealthyIntervalMs: 1600,
    unhealthyEdgeIntervalMs: 2200,
    healthyEdgeIntervalMs: 700,
  };

  it('with traffic: interval before the first failure, unhealthy_edge_interval between pending failures', () => {
    expect(predictTiming(distinct).refused).toMatchObject({ earliestMs: 2 * 2200, latestMs: 1000 + 2 * 2200 });
  });

  it('with traffic: unhealthy_interval before the first pass, healthy_edge_interval between pending passes', () => {
    expect(predictTiming(distinct).recovered).toMatchObject({ earliestMs: 2 * 700, latestMs: 1600 + 2 * 700 });
  });

  it('without traffic every wait is no_traffic_interval', () => {
    const p = predictTiming(distinct, { traffic: false });
    expect(p.traffic).toBe(false);
    expect(p.refused).toMatchObject({ earliestMs: 8000, latestMs: 12_000 });
    expect(p.recovered).toMatchObject({ earliestMs: 8000, latestMs: 12_000 });
    expect(p.refused.explanation).toContain('no_traffic_interval');
  });

  it('jitter widens only the latest edge, once per wait', () => {
    const p = predictTiming({ ...distinct, intervalJitterMs: 100 });
    expect(p.refused).toMatchObject({ earliestMs: 4400, latestMs: 1100 + 2 * 2300 });
  });

  it('threshold 1: marked at the first failing check', () => {
    const p = predictTiming({ ...distinct, unhealthyThreshold: 1, healthyThreshold: 1 });
    expect(p.refused).toMatchObject({ earliestMs: 0, latestMs: 1000 });
    expect(p.hung).toMatchObject({ earliestMs: 500, latestMs: 1500 });
    expect(p.recovered).toMatchObject({ earliestMs: 0, latestMs: 1600 });
  });
});

describe('predictTiming against measurements of the real Envoy', () => {
  // Captured by `node scripts/bench-timing.mjs --rounds 3 --fixture test/fixtures/envoy-timing-samples.json`
  // (real Envoy, loopback responder killed / hung / answering 503, random fault phase).
  const captured = JSON.parse(readFileSync(new URL('../fixtures/envoy-timing-samples.json', import.meta.url), 'utf8')) as {
    envoyVersion: string;
    traffic: boolean;
    healthCheck: HealthCheckSettings;
    samples: { case: keyof Omit<TimingPrediction, 'traffic'>; ms: number }[];
  };
  const p = predictTiming(captured.healthCheck, { traffic: captured.traffic });
  // The bench polls /clusters every 10 ms; allow for that and for scheduling.
  const slackMs = 50;

  it.each(captured.samples.map((x, i) => [i, x.case, x.ms] as const))('sample %i (%s, %i ms) falls in the predicted window', (_i, name, ms) => {
    expect(ms).toBeGreaterThanOrEqual(p[name].earliestMs - slackMs);
    expect(ms).toBeLessThanOrEqual(p[name].latestMs + slackMs);
  });

  it('covers every case', () => {
    expect(new Set(captured.samples.map((x) => x.case))).toEqual(new Set(['refused', 'hung', 'errorStatus', 'recovered']));
  });
});

describe('helpers', () => {
  it('recovery mode is detected like a refusal unless the stand-in answers 503', () => {
    expect(recoveryModeCase('refuse')).toBe('refused');
    expect(recoveryModeCase(undefined)).toBe('refused');
    expect(recoveryModeCase('http-503')).toBe('errorStatus');
  });

  it('formats windows in seconds', () => {
    expect(formatWindow({ earliestMs: 6000, latestMs: 10_500 })).toBe('6.0–10.5 s');
  });
});

describe('outlier detection note', () => {
  it('names the consecutive-failure count and ejection time from the settings', () => {
    const note = outlierDetectionNote(defaultTopology().outlierDetection);
    expect(note).toContain('after 3 consecutive failed connections');
    expect(note).toContain('30.0 s');
  });
});
