/**
 * What the coherent rule expects (expectedCoherentRouting, routingStatus and envoyNext under the
 * `coherent` policy), checked against the snapshots coherentRouting reads from hand-made Envoy documents.
 */
import { describe, expect, it } from 'vitest';
import { brokersOf, type ClusterName } from '../../src/config/topology.js';
import { expectedCoherentRouting, observedRouting, routingMatches, routingStatus } from '../../src/envoy/routing-model.js';
import { envoyNext } from '../../src/drill/faults.js';
import type { ControllerDecision } from '../../src/envoy/routing.js';
import type { BrokerStatus } from '../../src/runtime/types.js';
import { read, topology } from './coherent-fixtures.js';

describe('expectedCoherentRouting', () => {
  const serving = (down: string[]) => (name: string) => !down.includes(name);

  it('the primary while it has a quorum of serving brokers, else the secondary, else none', () => {
    expect(expectedCoherentRouting(3, 2, serving([]))).toEqual({ activeCluster: 'primary', listeners: ['primary', 'primary', 'primary'] });
    expect(expectedCoherentRouting(3, 2, serving(['primary-broker-0']))).toEqual({ activeCluster: 'primary', listeners: ['primary', 'primary', 'primary'] });
    expect(expectedCoherentRouting(3, 2, serving(['primary-broker-0', 'primary-broker-1']))).toEqual({ activeCluster: 'secondary', listeners: ['secondary', 'secondary', 'secondary'] });
    expect(expectedCoherentRouting(3, 2, serving(['primary-broker-0', 'primary-broker-1', 'secondary-broker-0', 'secondary-broker-1'])).activeCluster).toBe('none');
    expect(expectedCoherentRouting(3, 3, serving(['primary-broker-0'])).activeCluster).toBe('secondary');
    expect(expectedCoherentRouting(1, 1, serving(['primary-broker-0']))).toEqual({ activeCluster: 'secondary', listeners: ['secondary'] });
  });

  it("the controller's decision wins over the rule (e.g. manual failback keeps the secondary)", () => {
    expect(expectedCoherentRouting(3, 2, serving([]), 'secondary')).toEqual({ activeCluster: 'secondary', listeners: ['secondary', 'secondary', 'secondary'] });
    expect(expectedCoherentRouting(2, 2, serving([]), 'primary')).toEqual({ activeCluster: 'primary', listeners: ['primary', 'primary'] });
  });

  it('what coherentRouting reads for one broker down matches it (no split)', () => {
    const s = read(topology(), 'local', { down: ['primary-broker-2'] });
    expect(routingMatches(observedRouting(s), expectedCoherentRouting(3, 2, serving(['primary-broker-2'])))).toBe(true);
  });
});

describe('routingStatus under coherent', () => {
  const t = topology();
  const brokers = (down: string[]) => brokersOf(t).map((b) => ({ name: b.name, running: !down.includes(b.name), recoveryMode: false }));
  const decision = (activeCluster: ClusterName | 'none'): ControllerDecision => ({
    reachable: true,
    policy: 'coherent',
    active: activeCluster === 'none' ? 'primary' : activeCluster,
    activeCluster,
    since: '2026-01-01T00:00:00.000Z',
    reason: 'test',
    quorum: 2,
    failback: 'manual',
    pendingFailbackSince: null,
    healthy: { primary: 3, secondary: 3 },
    total: { primary: 3, secondary: 3 },
    envoyReachable: true,
  });

  it('one primary broker stopped: settled on the primary once Envoy marks it (no split expected)', () => {
    const s = routingStatus(read(t, 'local', { down: ['primary-broker-0'] }), brokers(['primary-broker-0']), 3);
    expect(s.expected).toEqual({ activeCluster: 'primary', listeners: ['primary', 'primary', 'primary'] });
    expect(s.settled).toBe(true);
    expect(s.listeners.map((l) => [l.name, l.routesTo])).toEqual([
      ['broker_0_listener', 'primary'],
      ['broker_1_listener', 'primary'],
      ['broker_2_listener', 'primary'],
    ]);
  });

  it('the primary below quorum: not settled until the controller has moved every listener', () => {
    const down = ['primary-broker-0', 'primary-broker-1'];
    expect(routingStatus(read(t, 'local', { down }), brokers(down), 3).settled).toBe(false);
    const moved = routingStatus(read(t, 'local', { down, active: 'secondary' }), brokers(down), 3);
    expect(moved.expected.activeCluster).toBe('secondary');
    expect(moved.settled).toBe(true);
  });

  it("the controller's decision, when reachable, is what is expected", () => {
    const onSecondary = read(t, 'local', { active: 'secondary' });
    expect(routingStatus({ ...onSecondary, decision: decision('secondary') }, brokers([]), 3).settled).toBe(true);
    // unreachable: back to the rule (everything serves → the primary)
    const s = routingStatus({ ...onSecondary, decision: { reachable: false, error: 'ECONNREFUSED' } }, brokers([]), 3);
    expect(s.expected.activeCluster).toBe('primary');
    expect(s.settled).toBe(false);
  });

  it('the quorum parameter is used', () => {
    const down = ['primary-broker-0'];
    expect(routingStatus(read(t, 'local', { down, quorum: 3 }), brokers(down), 3, 3).expected.activeCluster).toBe('secondary');
  });
});

describe('envoyNext under coherent', () => {
  const t = topology();
  const status = (down: string[], recovery: string[] = []): BrokerStatus[] =>
    brokersOf(t).map((b) => ({ name: b.name, cluster: b.cluster, index: b.index, running: !down.includes(b.name), recoveryMode: recovery.includes(b.name) }));

  it('one primary broker stopped: marked in the refused window, every listener stays on the primary', () => {
    const { lines, expected } = envoyNext(t, 'local', status([]), status(['primary-broker-0']), 'stopped');
    expect(lines[0]).toContain('primary-broker-0 unhealthy in 6.0–10.5 s');
    expect(lines).toContain('Coherent policy: primary 2/3 serving, secondary 3/3, quorum 2.');
    expect(lines.at(-1)).toMatch(/^Every listener should route to the primary cluster/);
    expect(expected).toEqual({ activeCluster: 'primary', listeners: ['primary', 'primary', 'primary'] });
  });

  it('the primary below quorum: every listener to the secondary (Docker: the vanished window)', () => {
    const { lines, expected } = envoyNext(t, 'docker', status(['primary-broker-0']), status(['primary-broker-0', 'primary-broker-1']), 'stopped');
    expect(lines[0]).toContain('primary-broker-1 unhealthy in 6.0–16.5 s');
    expect(lines.at(-1)).toMatch(/^Every listener should route to the secondary cluster/);
    expect(expected).toEqual({ activeCluster: 'secondary', listeners: ['secondary', 'secondary', 'secondary'] });
  });

  it('neither cluster with a quorum: none, and says so', () => {
    const { lines, expected } = envoyNext(t, 'local', status(['primary-broker-0', 'primary-broker-1', 'secondary-broker-0']), status(['primary-broker-0', 'primary-broker-1', 'secondary-broker-0', 'secondary-broker-1']), 'stopped');
    expect(expected.activeCluster).toBe('none');
    expect(lines.at(-1)).toContain('Neither cluster has a quorum');
  });

  it('every primary broker back: auto failback after the hold; manual failback stays on the secondary', () => {
    const was = status(['primary-broker-0', 'primary-broker-1']);
    const auto = envoyNext(t, 'local', was, status([]), 'stopped');
    expect(auto.expected.activeCluster).toBe('primary');
    expect(auto.lines.at(-1)).toContain('a failback waits 10.0 s of every primary broker healthy');
    const manual = envoyNext({ ...t, failover: { ...t.failover, failback: 'manual' } }, 'local', was, status([]), 'stopped');
    expect(manual.expected.activeCluster).toBe('secondary');
  });
});
