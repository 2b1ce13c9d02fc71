import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrokerSpec, ClusterName } from '../../src/controller/config.js';
import { assessClusters, hostProblems, MalformedClustersError } from '../../src/controller/health.js';

/** A captured GET /clusters?format=json document (the fixtures wrap it with how it was captured). */
const fixture = (name: string): unknown =>
  (JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/envoy', `${name}.json`), 'utf8')) as { clusters: unknown }).clusters;

/** The captured rig: per-position Envoy clusters broker_<i>_cluster holding both clusters' broker i. */
const perPosition: Record<ClusterName, BrokerSpec[]> = {
  primary: [0, 1, 2].map((i) => ({ broker: `primary-broker-${i}`, envoyClusters: [`broker_${i}_cluster`] })),
  secondary: [0, 1, 2].map((i) => ({ broker: `secondary-broker-${i}`, envoyClusters: [`broker_${i}_cluster`] })),
};

const counts = (doc: unknown, clusters = perPosition) => {
  const h = assessClusters(doc, clusters);
  return { healthy: h.healthy, total: h.total };
};

describe('assessClusters on captured Envoy documents', () => {
  it('healthy: every broker of both clusters healthy', () => {
    const h = assessClusters(fixture('healthy'), perPosition);
    expect(h.healthy).toEqual({ primary: 3, secondary: 3 });
    expect(h.total).toEqual({ primary: 3, secondary: 3 });
    expect(h.connections).toEqual({ primary: 0, secondary: 0 }); // cx_active without a value: 0
    expect(h.brokers.every((b) => b.healthy && b.problems.length === 0)).toBe(true);
    expect(h.brokers.map((b) => b.broker)).toEqual([
      'primary-broker-0',
      'primary-broker-1',
      'primary-broker-2',
      'secondary-broker-0',
      'secondary-broker-1',
      'secondary-broker-2',
    ]);
  });

  it('one primary broker failing its health check (refused, hung, split): primary 2/3', () => {
    for (const name of ['sandbox-primary-0-refused', 'primary-0-hung', 'split-primary-0-down']) {
      const h = assessClusters(fixture(name), perPosition);
      expect(h.healthy, name).toEqual({ primary: 2, secondary: 3 });
      const b0 = h.brokers.find((b) => b.broker === 'primary-broker-0')!;
      expect(b0.healthy).toBe(false);
      expect(b0.problems).toEqual(['broker_0_cluster: failed_active_health_check']);
    }
  });

  it('all primary brokers down: primary 0/3, secondary 3/3', () => {
    expect(counts(fixture('all-primary-down'))).toEqual({ healthy: { primary: 0, secondary: 3 }, total: { primary: 3, secondary: 3 } });
    expect(counts(fixture('recovery-primary-503')).healthy).toEqual({ primary: 0, secondary: 3 });
  });

  it('both clusters down: nobody healthy', () => {
    for (const name of ['both-down', 'panic50-both-down', 'panic50-primary-recovery-secondary-down']) {
      expect(counts(fixture(name)).healthy, name).toEqual({ primary: 0, secondary: 0 });
    }
  });

  it('a broker mapped to an Envoy cluster that does not exist, or that does not hold it, is unhealthy', () => {
    const clusters: Record<ClusterName, BrokerSpec[]> = {
      primary: [
        { broker: 'primary-broker-0', envoyClusters: ['broker_0_cluster', 'no_such_cluster'] },
        { broker: 'primary-broker-1', envoyClusters: ['broker_2_cluster'] },
      ],
      secondary: [{ broker: 'secondary-broker-0', envoyClusters: ['broker_0_cluster'] }],
    };
    const h = assessClusters(fixture('healthy'), clusters);
    expect(h.healthy).toEqual({ primary: 0, secondary: 1 });
    expect(h.brokers[0]!.problems).toEqual(['no_such_cluster: no such Envoy cluster']);
    expect(h.brokers[1]!.problems).toEqual(['broker_2_cluster: not a host of it']);
  });
});

/** A host status as Envoy's proto3 JSON writes it. */
function host(hostname: string, health: Record<string, unknown> = { eds_health_status: 'HEALTHY' }, cxActive?: string) {
  return {
    address: { socket_address: { address: '10.0.0.1', port_value: 9092 } },
    hostname,
    health_status: health,
    stats: [{ name: 'cx_total', value: '12' }, cxActive === undefined ? { type: 'GAUGE', name: 'cx_active' } : { type: 'GAUGE', name: 'cx_active', value: cxActive }],
  };
}
const cluster = (name: string, ...hosts: unknown[]) => ({ name, host_statuses: hosts });

/** The coherent policy's shape: one single-host Envoy cluster per broker. */
const perBroker: Record<ClusterName, BrokerSpec[]> = {
  primary: [0, 1, 2].map((i) => ({ broker: `primary-broker-${i}`, envoyClusters: [`primary_broker_${i}`] })),
  secondary: [0, 1, 2].map((i) => ({ broker: `secondary-broker-${i}`, envoyClusters: [`secondary_broker_${i}`] })),
};
const singleHostDoc = (overrides: Record<string, ReturnType<typeof host>> = {}) => ({
  cluster_statuses: (['primary', 'secondary'] as const).flatMap((c) =>
    [0, 1, 2].map((i) => cluster(`${c}_broker_${i}`, overrides[`${c}-broker-${i}`] ?? host(`${c}-broker-${i}`))),
  ),
});

describe('assessClusters on single-host clusters', () => {
  it('all healthy', () => {
    expect(counts(singleHostDoc(), perBroker).healthy).toEqual({ primary: 3, secondary: 3 });
  });

  it.each([
    ['failed_active_health_check', { failed_active_health_check: true, eds_health_status: 'HEALTHY' }],
    ['failed_outlier_check', { failed_outlier_check: true }],
    ['pending_active_hc', { pending_active_hc: true, eds_health_status: 'HEALTHY' }],
    ['excluded_via_immediate_hc_fail', { excluded_via_immediate_hc_fail: true }],
    ['eds_health_status UNHEALTHY', { eds_health_status: 'UNHEALTHY' }],
    ['eds_health_status DRAINING', { eds_health_status: 'DRAINING' }],
    ['eds_health_status DEGRADED', { eds_health_status: 'DEGRADED' }],
  ])('%s makes a broker unhealthy', (problem, health) => {
    const h = assessClusters(singleHostDoc({ 'primary-broker-1': host('primary-broker-1', health) }), perBroker);
    expect(h.healthy).toEqual({ primary: 2, secondary: 3 });
    expect(h.brokers[1]!.problems).toEqual([`primary_broker_1: ${problem}`]);
  });

  it('absent eds_health_status and false flags are healthy (proto3 leaves them out or writes false)', () => {
    const h = assessClusters(
      singleHostDoc({
        'primary-broker-0': host('primary-broker-0', {}),
        'primary-broker-1': host('primary-broker-1', { failed_active_health_check: false, pending_active_hc: false }),
      }),
      perBroker,
    );
    expect(h.healthy.primary).toBe(3);
  });

  it('flags the controller does not act on (active_hc_timeout alone, degraded) do not count', () => {
    expect(hostProblems({ active_hc_timeout: true, failed_active_degraded_check: true, eds_health_status: 'HEALTHY' })).toEqual([]);
  });

  it('sums cx_active per Redpanda cluster (uint64 strings, absent = 0)', () => {
    const h = assessClusters(
      singleHostDoc({
        'primary-broker-0': host('primary-broker-0', undefined, '3'),
        'primary-broker-2': host('primary-broker-2', undefined, '4'),
        'secondary-broker-1': host('secondary-broker-1', { failed_active_health_check: true }, '1'),
      }),
      perBroker,
    );
    expect(h.connections).toEqual({ primary: 7, secondary: 1 }); // an unhealthy host's connections still count
    expect(h.brokers.find((b) => b.broker === 'primary-broker-2')!.connections).toBe(4);
  });

  it('a broker in several Envoy clusters must be healthy in every one; connections count in each', () => {
    const clusters: Record<ClusterName, BrokerSpec[]> = {
      primary: [{ broker: 'primary-broker-0', envoyClusters: ['a', 'b'] }],
      secondary: [{ broker: 'secondary-broker-0', envoyClusters: ['a', 'b'] }],
    };
    const doc = {
      cluster_statuses: [
        cluster('a', host('primary-broker-0', undefined, '2'), host('secondary-broker-0', undefined, '5')),
        cluster('b', host('primary-broker-0', { failed_outlier_check: true }, '1'), host('secondary-broker-0')),
      ],
    };
    const h = assessClusters(doc, clusters);
    expect(h.healthy).toEqual({ primary: 0, secondary: 1 });
    expect(h.brokers[0]!.problems).toEqual(['b: failed_outlier_check']);
    expect(h.connections).toEqual({ primary: 3, secondary: 5 });
  });

  it('finds a host without a hostname by its socket address (STRICT_DNS name)', () => {
    const doc = {
      cluster_statuses: [
        { name: 'x', host_statuses: [{ address: { socket_address: { address: 'primary-broker-0', port_value: 9092 } }, health_status: {} }] },
      ],
    };
    const clusters: Record<ClusterName, BrokerSpec[]> = {
      primary: [{ broker: 'primary-broker-0', envoyClusters: ['x'] }],
      secondary: [{ broker: 'secondary-broker-0', envoyClusters: ['x'] }],
    };
    expect(counts(doc, clusters).healthy).toEqual({ primary: 1, secondary: 0 });
  });

  it('a cluster without host_statuses (proto3: empty list left out) holds no broker', () => {
    const doc = { cluster_statuses: [{ name: 'primary_broker_0' }] };
    const h = assessClusters(doc, perBroker);
    expect(h.brokers[0]!.problems).toEqual(['primary_broker_0: not a host of it']);
  });
});

describe('malformed documents throw instead of reading as "every broker down"', () => {
  it.each([
    ['null', null],
    ['an array', []],
    ['no cluster_statuses', {}],
    ['cluster_statuses not an array', { cluster_statuses: {} }],
    ['a cluster without name', { cluster_statuses: [{ host_statuses: [] }] }],
    ['host_statuses not an array of objects', { cluster_statuses: [{ name: 'a', host_statuses: [1] }] }],
  ])('%s', (_, doc) => {
    expect(() => assessClusters(doc, perBroker)).toThrow(MalformedClustersError);
  });
});
