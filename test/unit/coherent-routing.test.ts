/**
 * Reading Envoy's routing under the `coherent` policy (one single-host Envoy cluster per broker, the
 * listeners' targets in Envoy's listener config), and what the coherent rule expects.
 * The per-broker reading is covered by routing.test.ts and drill-scenarios.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { brokersOf, CLUSTER_NAMES, defaultTopology, type ClusterName, type Topology } from '../../src/config/topology.js';
import { expectedCoherentRouting, observedRouting, routingMatches, routingStatus } from '../../src/drill/expected.js';
import { envoyNext } from '../../src/drill/faults.js';
import {
  brokerClusterOf,
  coherentRouting,
  listenerIndex,
  listenerLabel,
  listenerTargetsFromConfigDump,
  routingFromClusters,
  type ControllerDecision,
  type RoutingSnapshot,
} from '../../src/envoy/routing.js';
import { renderListenerFile, type RenderTarget } from '../../src/render/envoy.js';
import type { BrokerStatus } from '../../src/runtime/types.js';

function topology(patch: Partial<Topology> = {}): Topology {
  const d = defaultTopology({});
  return { ...d, failover: { ...d.failover, policy: 'coherent' }, ...patch };
}

// ---------------------------------------------------------------------------------------------------
// hand-made Envoy documents, in the shapes Envoy's admin API answers with

interface HostSpec {
  healthy?: boolean;
  cx?: number;
  port?: number;
}

/** One host_statuses entry of GET /clusters?format=json. */
function host(name: string, { healthy = true, cx = 0, port = 9092 }: HostSpec = {}): unknown {
  return {
    address: { socket_address: { address: name, port_value: port } },
    hostname: name,
    stats: [{ name: 'cx_total', value: String(cx) }, { type: 'GAUGE', name: 'cx_active', ...(cx ? { value: String(cx) } : {}) }],
    health_status: healthy ? { eds_health_status: 'HEALTHY' } : { failed_active_health_check: true, eds_health_status: 'HEALTHY' },
    weight: 1,
  };
}

/**
 * GET /clusters?format=json of the coherent bootstrap: `<cluster>_broker_<i>` per broker (and the
 * `_host` set when `hostSet`), one host each. `down` fails a broker's checks in every set;
 * `downHost` only in the host-facing one.
 */
function clustersDoc(t: Topology, o: { down?: string[]; downHost?: string[]; cx?: Record<string, number>; hostSet?: boolean } = {}): unknown {
  const statuses = brokersOf(t).flatMap((b) => [
    { name: `${b.cluster}_broker_${b.index}`, host_statuses: [host(b.name, { healthy: !o.down?.includes(b.name), cx: o.cx?.[b.name] })] },
    ...(o.hostSet
      ? [{ name: `${b.cluster}_broker_${b.index}_host`, host_statuses: [host(b.name, { port: 19092, healthy: !o.down?.includes(b.name) && !o.downHost?.includes(b.name), cx: o.cx?.[`${b.name}_host`] })] }]
      : []),
  ]);
  return { cluster_statuses: statuses };
}

/** GET /config_dump?resource=dynamic_listeners with the listeners of a rendered listener file active. */
function dynamicListenersDump(t: Topology, target: RenderTarget, active: ClusterName | ((name: string) => ClusterName)): unknown {
  const pick = typeof active === 'function' ? active : () => active;
  const byCluster = Object.fromEntries(CLUSTER_NAMES.map((c) => [c, parse(renderListenerFile(t, target, c)).resources])) as Record<ClusterName, { name: string }[]>;
  return {
    configs: byCluster.primary.map(({ name }) => ({
      '@type': 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump.DynamicListener',
      name,
      active_state: { version_info: '', listener: byCluster[pick(name)].find((l) => l.name === name), last_updated: '2026-01-01T00:00:00Z' },
    })),
  };
}

/** The snapshot RoutingReader.read builds under coherent, from hand-made documents. */
function read(t: Topology, target: RenderTarget, o: Parameters<typeof clustersDoc>[1] & { active?: ClusterName | ((name: string) => ClusterName); quorum?: number } = {}): RoutingSnapshot {
  const base = routingFromClusters(clustersDoc(t, { ...o, hostSet: o.hostSet ?? (target === 'docker' && t.rewrite === 'advertised') }), t, 1_000);
  const targets = listenerTargetsFromConfigDump(dynamicListenersDump(t, target, o.active ?? 'primary'));
  return coherentRouting(base, targets, o.quorum ?? 2);
}

const routes = (s: RoutingSnapshot) => s.listeners.map((l) => [l.name, l.routesTo, l.routesToHost ?? null, l.degraded ?? false]);

// ---------------------------------------------------------------------------------------------------

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
