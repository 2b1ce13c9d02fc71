/**
 * Reading Envoy's routing under the `coherent` policy (one single-host Envoy cluster per broker, the
 * listeners' targets in Envoy's listener config). What the coherent rule expects is in
 * coherent-expected.test.ts; the per-broker reading is covered by routing.test.ts and drill-scenarios.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { observedRouting } from '../../src/envoy/routing-model.js';
import {
  brokerClusterOf,
  coherentRouting,
  listenerIndex,
  listenerLabel,
  listenerTargetsFromConfigDump,
  routingFromClusters,
} from '../../src/envoy/routing.js';
import { renderListenerFile } from '../../src/render/envoy.js';
import { clustersDoc, dynamicListenersDump, read, routes, topology } from './coherent-fixtures.js';

describe('names of the coherent layout', () => {
  it('brokerClusterOf: <cluster>_broker_<i>[_host] → cluster, position, set', () => {
    expect(brokerClusterOf('primary_broker_0')).toEqual({ cluster: 'primary', index: 0, host: false });
    expect(brokerClusterOf('secondary_broker_12_host')).toEqual({ cluster: 'secondary', index: 12, host: true });
    expect(brokerClusterOf('broker_0_cluster')).toBeUndefined();
    expect(brokerClusterOf('tertiary_broker_0')).toBeUndefined();
    expect(brokerClusterOf('')).toBeUndefined();
  });

  it('listenerIndex and listenerLabel know the listeners too', () => {
    expect(listenerIndex('broker_2_listener')).toBe(2);
    expect(listenerIndex('broker_2_host_listener')).toBe(2);
    expect(listenerIndex('broker_2_cluster')).toBe(2);
    expect(listenerIndex('primary_broker_2')).toBeUndefined();
    expect(listenerLabel('broker_1_listener')).toBe('listener 1');
    expect(listenerLabel('broker_1_host_listener')).toBe('listener 1 (host)');
  });
});

describe('listenerTargetsFromConfigDump', () => {
  it('dynamic listeners (resource=dynamic_listeners): each listener → the cluster of its tcp_proxy', () => {
    const t = topology({ rewrite: 'advertised' });
    expect(listenerTargetsFromConfigDump(dynamicListenersDump(t, 'docker', 'secondary'))).toEqual({
      broker_0_listener: 'secondary_broker_0',
      broker_1_listener: 'secondary_broker_1',
      broker_2_listener: 'secondary_broker_2',
      broker_0_host_listener: 'secondary_broker_0_host',
      broker_1_host_listener: 'secondary_broker_1_host',
      broker_2_host_listener: 'secondary_broker_2_host',
    });
  });

  it('reads the tcp_proxy behind the kafka_broker filter', () => {
    const t = topology({ rewrite: 'kafka-filter', brokers: 1 });
    expect(listenerTargetsFromConfigDump(dynamicListenersDump(t, 'docker', 'primary'))).toEqual({
      broker_0_listener: 'primary_broker_0',
      broker_0_host_listener: 'primary_broker_0',
    });
  });

  it('takes the active state, not a warming or draining one', () => {
    const t = topology({ brokers: 1 });
    const dump = dynamicListenersDump(t, 'local', 'primary') as { configs: Record<string, unknown>[] };
    const secondary = parse(renderListenerFile(t, 'local', 'secondary')).resources[0];
    dump.configs[0]!.warming_state = { listener: secondary };
    dump.configs[0]!.draining_state = { listener: secondary };
    expect(listenerTargetsFromConfigDump(dump)).toEqual({ broker_0_listener: 'primary_broker_0' });
    // a listener that is only warming has no target yet
    expect(listenerTargetsFromConfigDump({ configs: [{ name: 'broker_0_listener', warming_state: { listener: secondary } }] })).toEqual({});
  });

  it('the full config_dump (ListenersConfigDump) and static listeners (resource=static_listeners)', () => {
    const t = topology({ brokers: 2 });
    const [l0, l1] = parse(renderListenerFile(t, 'local', 'secondary')).resources;
    const full = {
      configs: [
        { '@type': 'type.googleapis.com/envoy.admin.v3.BootstrapConfigDump', bootstrap: {} },
        { '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump', static_listeners: [{ listener: l0 }], dynamic_listeners: [{ name: l1.name, active_state: { listener: l1 } }] },
      ],
    };
    expect(listenerTargetsFromConfigDump(full)).toEqual({ broker_0_listener: 'secondary_broker_0', broker_1_listener: 'secondary_broker_1' });
    expect(listenerTargetsFromConfigDump({ configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.StaticListener', listener: l1 }] })).toEqual({
      broker_1_listener: 'secondary_broker_1',
    });
  });

  it('anything else yields no targets, without throwing', () => {
    for (const doc of [undefined, null, 'x', {}, { configs: {} }, { configs: [null, 1, { active_state: { listener: { name: 'x' } } }] }]) {
      expect(listenerTargetsFromConfigDump(doc)).toEqual({});
    }
  });
});

describe('routingFromClusters tells the layouts apart', () => {
  it('single-host <cluster>_broker_<i> clusters are the coherent layout; connections are counted per Redpanda cluster', () => {
    const t = topology();
    const s = routingFromClusters(clustersDoc(t, { cx: { 'primary-broker-0': 2, 'primary-broker-2': 1, 'secondary-broker-1': 4 } }), t, 1);
    expect(s.policy).toBe('coherent');
    expect(s.connectionsByCluster).toEqual({ primary: 3, secondary: 4 });
    expect(s.clusters).toEqual([
      { name: 'primary', healthy: 3, total: 3 },
      { name: 'secondary', healthy: 3, total: 3 },
    ]);
  });

  it('the per-broker layout (captured fixture) is per-broker', () => {
    const DIR = join(import.meta.dirname, '..', 'fixtures', 'envoy');
    const f = JSON.parse(readFileSync(join(DIR, 'healthy.json'), 'utf8'));
    const s = routingFromClusters(f.clusters, JSON.parse(readFileSync(join(DIR, f.capture.topologyFile), 'utf8')), 1);
    expect(s.policy).toBe('per-broker');
    expect(s.connectionsByCluster).toEqual({ primary: 0, secondary: 0 });
  });
});

describe('coherentRouting', () => {
  it('everything healthy, the listener file on the primary: one listener per position, all on the primary', () => {
    const s = read(topology(), 'local');
    expect(s.policy).toBe('coherent');
    expect(s.activeCluster).toBe('primary');
    expect(routes(s)).toEqual([
      ['broker_0_listener', 'primary', 'primary-broker-0', false],
      ['broker_1_listener', 'primary', 'primary-broker-1', false],
      ['broker_2_listener', 'primary', 'primary-broker-2', false],
    ]);
    const l0 = s.listeners[0]!;
    expect(l0.index).toBe(0);
    expect(l0.loadByCluster).toEqual({ primary: 100 });
    expect(l0.loadByPriority).toEqual([100, 0]);
    expect(l0.panic).toBe(false);
    // both clusters' brokers at this position: the primary as priority 0, the secondary as 1
    expect(l0.hosts.map((h) => [h.host, h.cluster, h.priority, h.loadPercent])).toEqual([
      ['primary-broker-0', 'primary', 0, 100],
      ['secondary-broker-0', 'secondary', 1, 0],
    ]);
    expect(observedRouting(s)).toEqual({ activeCluster: 'primary', listeners: ['primary', 'primary', 'primary'] });
  });

  it('the listener file on the secondary: every listener there', () => {
    const s = read(topology(), 'local', { active: 'secondary', down: ['primary-broker-0', 'primary-broker-1'] });
    expect(s.activeCluster).toBe('secondary');
    expect(routes(s).map((r) => r.slice(1))).toEqual([
      ['secondary', 'secondary-broker-0', false],
      ['secondary', 'secondary-broker-1', false],
      ['secondary', 'secondary-broker-2', false],
    ]);
    expect(s.listeners[2]!.loadByPriority).toEqual([0, 100]);
  });

  it('a broker down: its listener is degraded but stays on its cluster (no split)', () => {
    const s = read(topology(), 'local', { down: ['primary-broker-0'] });
    expect(s.activeCluster).toBe('primary');
    expect(routes(s)).toEqual([
      ['broker_0_listener', 'primary', 'primary-broker-0', true],
      ['broker_1_listener', 'primary', 'primary-broker-1', false],
      ['broker_2_listener', 'primary', 'primary-broker-2', false],
    ]);
    const l0 = s.listeners[0]!;
    expect(l0.loadByCluster).toEqual({});
    expect(l0.loadByPriority).toEqual([0, 0]);
    expect(l0.hosts.every((h) => h.loadPercent === 0)).toBe(true);
    expect(s.clusters).toEqual([
      { name: 'primary', healthy: 2, total: 3 },
      { name: 'secondary', healthy: 3, total: 3 },
    ]);
  });

  it('activeCluster none when neither cluster has a quorum of healthy brokers', () => {
    const s = read(topology(), 'local', { down: ['primary-broker-0', 'primary-broker-1', 'secondary-broker-0', 'secondary-broker-2'] });
    expect(s.activeCluster).toBe('none');
    // the listeners still point where the controller left them
    expect(s.listeners.map((l) => l.routesTo)).toEqual(['primary', 'primary', 'primary']);
    // with quorum 1 each cluster still has one
    expect(read(topology(), 'local', { quorum: 1, down: ['primary-broker-0', 'primary-broker-1', 'secondary-broker-0', 'secondary-broker-2'] }).activeCluster).toBe('primary');
  });

  it('listeners on different clusters read as split; a listener without a target as none', () => {
    const split = read(topology(), 'local', { active: (name) => (name === 'broker_1_listener' ? 'secondary' : 'primary') });
    expect(split.activeCluster).toBe('split');
    expect(split.listeners.map((l) => l.routesTo)).toEqual(['primary', 'secondary', 'primary']);

    const t = topology();
    const base = routingFromClusters(clustersDoc(t), t, 1);
    const partial = coherentRouting(base, { broker_0_listener: 'primary_broker_0', broker_1_listener: 'primary_broker_1' }, 2);
    expect(partial.listeners.map((l) => l.routesTo)).toEqual(['primary', 'primary', 'none']);
    expect(partial.activeCluster).toBe('none');
    expect(coherentRouting(base, {}, 2).activeCluster).toBe('none');
  });
});

// coherentRouting, continued: the Docker target's two sets of Envoy clusters
describe('coherentRouting', () => {
  it('docker, advertised: the in-network and host-facing clusters of one broker merge into one host', () => {
    const t = topology({ rewrite: 'advertised' });
    const s = read(t, 'docker', {
      downHost: ['primary-broker-1'],
      cx: { 'primary-broker-0': 2, 'primary-broker-0_host': 3, 'secondary-broker-2_host': 1 },
    });
    expect(s.listeners.map((l) => l.name)).toEqual(['broker_0_listener', 'broker_1_listener', 'broker_2_listener']);
    for (const l of s.listeners) expect(l.hosts.map((h) => h.host)).toEqual([`primary-broker-${l.index}`, `secondary-broker-${l.index}`]);
    const p0 = s.listeners[0]!.hosts[0]!;
    expect(p0.activeConnections).toBe(5);
    expect(p0.healthy).toBe(true);
    // unhealthy in one set: unhealthy
    const p1 = s.listeners[1]!.hosts[0]!;
    expect([p1.healthy, p1.health, p1.flags]).toEqual([false, 'unhealthy', ['failed_active_hc']]);
    expect(s.listeners[1]!.degraded).toBe(true);
    expect(s.listeners[1]!.routesTo).toBe('primary');
    // each broker counted once
    expect(s.clusters).toEqual([
      { name: 'primary', healthy: 2, total: 3 },
      { name: 'secondary', healthy: 3, total: 3 },
    ]);
    expect(s.connectionsByCluster).toEqual({ primary: 5, secondary: 1 });
    expect(s.activeCluster).toBe('primary');
    // the merge does not touch the snapshot it started from
    const base = routingFromClusters(clustersDoc(t, { downHost: ['primary-broker-1'], hostSet: true }), t, 1);
    const before = JSON.stringify(base);
    coherentRouting(base, listenerTargetsFromConfigDump(dynamicListenersDump(t, 'docker', 'primary')), 2);
    expect(JSON.stringify(base)).toBe(before);
  });
});
