import { describe, expect, it } from 'vitest';
import { brokersOf, defaultTopology, localPorts } from '../../src/config/topology.js';

describe('topology defaults', () => {
  it('has the PoC layout: two clusters of three brokers', () => {
    const t = defaultTopology();
    expect(brokersOf(t).map((b) => b.name)).toEqual([
      'primary-broker-0', 'primary-broker-1', 'primary-broker-2',
      'secondary-broker-0', 'secondary-broker-1', 'secondary-broker-2',
    ]);
  });
  it('gives every local broker distinct ports', () => {
    const t = defaultTopology();
    const ports = brokersOf(t).flatMap((b) => Object.values(localPorts(t, b)));
    expect(new Set(ports).size).toBe(ports.length);
  });
});
