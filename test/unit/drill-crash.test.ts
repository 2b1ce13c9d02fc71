/** The crash drills' measurements (src/drill/crash.ts) and their report section: pure functions. */
import { describe, expect, it } from 'vitest';
import { crashMeasures, recoveryAfter } from '../../src/drill/crash.js';

describe('recoveryAfter', () => {
  const events = [
    { at: 900, partition: 0 },
    { at: 1_100, partition: 1 },
    { at: 1_500, partition: 0 },
    { at: 2_400, partition: 2 },
  ];
  it('is the latest of each partition first event after the kill', () => {
    expect(recoveryAfter(events, 1_000, [0, 1, 2])).toBe(1_400);
    expect(recoveryAfter(events, 1_000, [0, 1])).toBe(500);
  });
  it('is null when a partition had nothing after the kill, or there are no partitions', () => {
    expect(recoveryAfter(events, 1_000, [0, 1, 2, 3])).toBeNull();
    expect(recoveryAfter(events, 3_000, [0])).toBeNull();
    expect(recoveryAfter(events, 1_000, [])).toBeNull();
  });
});

describe('crashMeasures', () => {
  const result = { part: 'primary-broker-1', killed: "primary-broker-1's JVM (pid 7)", killedAt: 10_000, restartedAt: 10_600, servingAt: 14_000, restarts: 1 };
  const acks = [
    { at: 9_990, partition: 0 },
    { at: 10_050, partition: 1 },
    { at: 13_000, partition: 0 },
  ];
  it('times everything from the kill, counts the failed sends until the producer recovered', () => {
    const m = crashMeasures(
      { result, ledPartitions: [0], leaderMovedAt: 12_500 },
      { acks, received: [{ at: 13_200, partition: 0 }, { at: 10_100, partition: 1 }], failures: [{ at: 9_000, count: 5 }, { at: 11_000, count: 2 }, { at: 20_000, count: 9 }], partitions: [0, 1] },
    );
    expect(m).toEqual({
      part: 'primary-broker-1',
      killed: "primary-broker-1's JVM (pid 7)",
      restarts: 1,
      backMs: 600,
      servingMs: 4_000,
      producerRecoveryMs: 3_000,
      consumerRecoveryMs: 3_200,
      failedSends: 2,
      ledPartitions: [0],
      leaderElectionMs: 2_500,
    });
  });
  it('a leadership that never moved is null; Envoy has no partitions of its own', () => {
    expect(crashMeasures({ result, ledPartitions: [0] }, { acks, received: [], failures: [], partitions: [0] }).leaderElectionMs).toBeNull();
    const envoy = crashMeasures({ result: { ...result, part: 'envoy', killed: 'Envoy (pid 9)' } }, { acks, received: [], failures: [], partitions: [0] });
    expect(envoy).not.toHaveProperty('leaderElectionMs');
    expect(envoy.consumerRecoveryMs).toBeNull();
  });
});
