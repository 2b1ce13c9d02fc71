import { describe, expect, it } from 'vitest';
import { priorityLoad, type PriorityLevel } from '../../src/envoy/priority-load.js';

const level = (hosts: number, healthy: number, degraded = 0, excluded = 0): PriorityLevel => ({ hosts, healthy, degraded, excluded });

describe('priorityLoad (Envoy load_balancing/priority)', () => {
  // The table in Envoy's "Priority levels" docs: P0 health (hosts × 1.4, capped) → load P0 / P1 (P1 all healthy).
  it.each([
    [100, 100, 0],
    [72, 100, 0],
    [71, 99, 1],
    [50, 70, 30],
    [25, 35, 65],
    [0, 0, 100],
  ])('P0 %i%% healthy, P1 healthy → %i%% / %i%%', (healthyPercent, p0, p1) => {
    const load = priorityLoad([level(100, healthyPercent), level(100, 100)], { panicThresholdPercent: 0 });
    expect(load.healthy).toEqual([p0, p1]);
    expect(load.degraded).toEqual([0, 0]);
    expect(load.panic).toEqual([false, false]);
  });

  it('honours a different overprovisioning factor', () => {
    // 1.0: no headroom, 90 % healthy gets 90 % of the load
    expect(priorityLoad([level(10, 9), level(10, 10)], { overprovisioningFactor: 1 }).healthy).toEqual([90, 10]);
  });

  // Envoy's "Degraded endpoints" table: P0 healthy/degraded/unhealthy → traffic to P0 healthy / degraded.
  it.each([
    [71, 29, 99, 1],
    [25, 65, 35, 65],
    [5, 0, 100, 0], // only priority, below panic threshold is not in play here (threshold 0): all load to P0 healthy
  ])('P0 %i%% healthy %i%% degraded → %i%% healthy / %i%% degraded', (h, d, toHealthy, toDegraded) => {
    const load = priorityLoad([level(100, h, d)], { panicThresholdPercent: 0 });
    expect([load.healthy[0], load.degraded[0]]).toEqual([toHealthy, toDegraded]);
  });

  it('scales by normalized total availability and gives the rounding remainder to the first healthy priority', () => {
    // Envoy's source comment: health 10/20/10, degraded 20/10/0 → healthy 16/28/14, degraded 28/14/0
    const load = priorityLoad([level(14, 1, 2), level(14, 2, 1), level(14, 1, 0)], { panicThresholdPercent: 0 });
    expect(load.health).toEqual([10, 20, 10]);
    expect(load.degradedAvailability).toEqual([20, 10, 0]);
    expect(load.normalizedTotalAvailability).toBe(70);
    expect(load.healthy).toEqual([16, 28, 14]);
    expect(load.degraded).toEqual([28, 14, 0]);
  });

  it('leaves excluded hosts out of the denominator (Envoy docs, "Excluded endpoints")', () => {
    // P0 {healthy, excluded, excluded}, P1 {healthy, healthy}: all traffic stays on P0
    expect(priorityLoad([level(3, 1, 0, 2), level(2, 2)]).healthy).toEqual([100, 0]);
  });

  it('panic threshold 0 and nothing available: no upstream (Envoy parks 100 on P0)', () => {
    const load = priorityLoad([level(1, 0), level(1, 0)], { panicThresholdPercent: 0 });
    expect(load.noUpstream).toBe(true);
    expect(load.healthy).toEqual([100, 0]);
    expect(load.totalPanic).toBe(false);
  });

  it('total panic spreads load by host count, health ignored', () => {
    const load = priorityLoad([level(1, 0), level(1, 0)], { panicThresholdPercent: 50 });
    expect(load.totalPanic).toBe(true);
    expect(load.panic).toEqual([true, true]);
    expect(load.healthy).toEqual([50, 50]);
    expect(load.noUpstream).toBe(false);
    // 1 + 2 hosts: 33 / 66, remainder to the first non-empty priority
    expect(priorityLoad([level(1, 0), level(2, 0)], { panicThresholdPercent: 50 }).healthy).toEqual([34, 66]);
  });

  it('never panics while normalized availability is 100, even with a weak priority', () => {
    const load = priorityLoad([level(3, 1), level(3, 3)], { panicThresholdPercent: 50 });
    expect(load.panic).toEqual([false, false]);
    expect(load.healthy).toEqual([46, 54]);
  });

  it('panics per priority when availability is short: both weak levels → total panic by host count', () => {
    const load = priorityLoad([level(3, 1), level(3, 1)], { panicThresholdPercent: 50 });
    expect(load.normalizedTotalAvailability).toBe(92);
    expect(load.totalPanic).toBe(true);
    expect(load.healthy).toEqual([50, 50]);
  });

  it('uses Envoy default panic threshold 50 when none is given', () => {
    expect(priorityLoad([level(1, 0), level(1, 0)]).totalPanic).toBe(true);
  });
});
