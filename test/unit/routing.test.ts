import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Topology } from '../../src/config/topology.js';
import { startedAtFromServerInfo } from '../../src/envoy/restart.js';
import {
  decodeHealthStatus,
  lbSettingsFromConfigDump,
  MalformedClustersError,
  newConnections,
  routingFromClusters,
  routingTransitions,
  type ControllerDecision,
  type RoutingSnapshot,
} from '../../src/envoy/routing.js';

// Fixtures: real Envoy documents captured by scripts/capture-envoy-fixtures.mjs (command inside each file).
const DIR = join(import.meta.dirname, '..', 'fixtures', 'envoy');
const json = (file: string) => JSON.parse(readFileSync(join(DIR, file), 'utf8'));
interface Fixture { capture: { state: string; topologyFile: string }; clusters: unknown }
const fixture = (state: string): Fixture => json(`${state}.json`);
const topologyOf = (f: Fixture): Topology => json(f.capture.topologyFile);
const lbOf = (f: Fixture) => lbSettingsFromConfigDump(json(`config-dump.${f.capture.topologyFile.replace(/^topology\.|\.json$/g, '')}.json`).configDump);

function snapshot(state: string, opts: { topology?: boolean; lb?: boolean } = { topology: true, lb: true }, at = 1_000): RoutingSnapshot {
  const f = fixture(state);
  return routingFromClusters(f.clusters, opts.topology ? topologyOf(f) : undefined, at, opts.lb ? { lb: lbOf(f) } : {});
}
const routes = (s: RoutingSnapshot) => s.listeners.map((l) => [l.name, l.routesTo, l.routesToHost ?? null]);
const byName = (s: RoutingSnapshot, name: string) => s.listeners.find((l) => l.name === name)!;

describe('routingFromClusters on captured Envoy documents', () => {
  it('healthy: every listener on its primary broker, n/N per cluster', () => {
    const s = snapshot('healthy');
    expect(s.activeCluster).toBe('primary');
    expect(routes(s)).toEqual([
      ['broker_0_cluster', 'primary', 'primary-broker-0'],
      ['broker_1_cluster', 'primary', 'primary-broker-1'],
      ['broker_2_cluster', 'primary', 'primary-broker-2'],
    ]);
    expect(s.clusters).toEqual([
      { name: 'primary', healthy: 3, total: 3 },
      { name: 'secondary', healthy: 3, total: 3 },
    ]);
    const l0 = byName(s, 'broker_0_cluster');
    expect(l0.loadByPriority).toEqual([100, 0]);
    expect(l0.hosts.map((h) => [h.host, h.cluster, h.priority, h.healthy, h.flags, h.activeConnections])).toEqual([
      ['primary-broker-0', 'primary', 0, true, [], 0],
      ['secondary-broker-0', 'secondary', 1, true, [], 0],
    ]);
    expect(s.at).toBe(1_000);
  });

  it('one primary broker down: that listener alone fails over → split', () => {
    const s = snapshot('split-primary-0-down');
    expect(s.activeCluster).toBe('split');
    expect(routes(s)).toEqual([
      ['broker_0_cluster', 'secondary', 'secondary-broker-0'],
      ['broker_1_cluster', 'primary', 'primary-broker-1'],
      ['broker_2_cluster', 'primary', 'primary-broker-2'],
    ]);
    const down = byName(s, 'broker_0_cluster').hosts[0]!;
    expect([down.host, down.healthy, down.flags]).toEqual(['primary-broker-0', false, ['failed_active_hc']]);
    expect(byName(s, 'broker_0_cluster').loadByPriority).toEqual([0, 100]);
    expect(s.clusters[0]).toEqual({ name: 'primary', healthy: 2, total: 3 });
  });

  it('a hung Schema Registry shows the timeout flag', () => {
    const h = byName(snapshot('primary-0-hung'), 'broker_0_cluster').hosts[0]!;
    expect(h.flags).toEqual(expect.arrayContaining(['failed_active_hc', 'active_hc_timeout']));
    expect(h.health).toBe('unhealthy');
  });

  it('all primary brokers down → secondary', () => {
    const s = snapshot('all-primary-down');
    expect(s.activeCluster).toBe('secondary');
    expect(s.listeners.every((l) => l.routesTo === 'secondary')).toBe(true);
    expect(s.clusters[0]).toEqual({ name: 'primary', healthy: 0, total: 3 });
  });

  it('recovery mode (Schema Registry 503) moves routing like a stop', () => {
    const s = snapshot('recovery-primary-503');
    expect(s.activeCluster).toBe('secondary');
    expect(s.listeners.flatMap((l) => l.hosts.filter((h) => h.cluster === 'primary').map((h) => h.flags))).toEqual([
      ['failed_active_hc'], ['failed_active_hc'], ['failed_active_hc'],
    ]);
  });

  it('both clusters down with panic disabled → none, no host gets load', () => {
    const s = snapshot('both-down');
    expect(s.activeCluster).toBe('none');
    expect(s.listeners.every((l) => l.routesTo === 'none' && !l.panic)).toBe(true);
    expect(s.listeners.flatMap((l) => l.hosts.map((h) => h.loadPercent))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(byName(s, 'broker_0_cluster').lb.panicThresholdPercent).toBe(0);
  });

  it('panic threshold 50, everything unhealthy: total panic, Envoy spreads 50/50 over unhealthy hosts', () => {
    const s = snapshot('panic50-both-down');
    expect(s.activeCluster).toBe('none');
    const l0 = byName(s, 'broker_0_cluster');
    expect(l0.lb.panicThresholdPercent).toBe(50);
    expect(l0.panic).toBe(true);
    expect(l0.loadByPriority).toEqual([50, 50]);
    expect(l0.loadByCluster).toEqual({ primary: 50, secondary: 50 });
    expect(l0.routesTo).toBe('none');
  });

  it('reads the panic threshold from the config dump; without it falls back to the topology, then Envoy default 50', () => {
    expect(lbOf(fixture('panic50-both-down'))).toMatchObject({ broker_0_cluster: { panicThresholdPercent: 50, overprovisioningFactor: 1.4 } });
    expect(lbOf(fixture('both-down'))).toMatchObject({ broker_0_cluster: { panicThresholdPercent: 0 } });
    const noTopology = snapshot('both-down', { topology: false, lb: false });
    expect(byName(noTopology, 'broker_0_cluster').lb.panicThresholdPercent).toBe(50);
    expect(byName(noTopology, 'broker_0_cluster').panic).toBe(true);
  });

  it('works without a topology: clusters from host names, same routing', () => {
    const s = snapshot('split-primary-0-down', { topology: false, lb: true });
    expect(s.activeCluster).toBe('split');
    expect(s.clusters).toEqual([
      { name: 'primary', healthy: 2, total: 3 },
      { name: 'secondary', healthy: 3, total: 3 },
    ]);
  });

  it('unknown hosts and clusters are still shown (cluster "unknown", priority 0 = preferred)', () => {
    const f = fixture('healthy');
    const doc = structuredClone(f.clusters) as { cluster_statuses: { name: string; host_statuses: { hostname?: string }[] }[] };
    for (const c of doc.cluster_statuses) {
      c.name = `upstream_${c.name}`;
      for (const h of c.host_statuses) delete h.hostname;
    }
    const s = routingFromClusters(doc, undefined, 5);
    expect(s.listeners.map((l) => l.name)).toEqual(['upstream_broker_0_cluster', 'upstream_broker_1_cluster', 'upstream_broker_2_cluster']);
    expect(s.listeners[0]!.hosts[0]!.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(s.listeners[0]!.routesTo).toBe('unknown');
    expect(s.activeCluster).toBe('primary');
    expect(s.clusters).toEqual([{ name: 'unknown', healthy: 6, total: 6 }]);
  });

  it('maps hosts without a hostname to brokers by local port when the topology is known', () => {
    const f = fixture('healthy');
    const doc = structuredClone(f.clusters) as { cluster_statuses: { host_statuses: { hostname?: string }[] }[] };
    for (const c of doc.cluster_statuses) for (const h of c.host_statuses) delete h.hostname;
    const s = routingFromClusters(doc, topologyOf(f), 5);
    expect(s.listeners[0]!.hosts.map((h) => [h.host, h.cluster])).toEqual([
      ['primary-broker-0', 'primary'],
      ['secondary-broker-0', 'secondary'],
    ]);
  });

  it('rejects malformed documents with a MalformedClustersError', () => {
    expect(() => routingFromClusters('nope')).toThrow(MalformedClustersError);
    expect(() => routingFromClusters({ cluster_statuses: {} })).toThrow(/cluster_statuses is not an array/);
    expect(() => routingFromClusters({ cluster_statuses: [{ host_statuses: [] }] })).toThrow(/no name/);
    expect(routingFromClusters({}).activeCluster).toBe('none'); // Envoy with no clusters at all
  });
});

describe('decodeHealthStatus', () => {
  it('decodes every flag Envoy reports and derives health like Envoy', () => {
    expect(decodeHealthStatus({ failed_outlier_check: true, eds_health_status: 'HEALTHY' })).toEqual({ flags: ['failed_outlier_check'], health: 'unhealthy', excluded: false });
    expect(decodeHealthStatus({ failed_active_degraded_check: true })).toMatchObject({ flags: ['degraded_active_hc'], health: 'degraded' });
    expect(decodeHealthStatus({ eds_health_status: 'DRAINING' })).toMatchObject({ flags: ['eds_draining'], health: 'unhealthy', excluded: true });
    expect(decodeHealthStatus({ eds_health_status: 'DEGRADED' })).toMatchObject({ health: 'degraded' });
    expect(decodeHealthStatus({ pending_active_hc: true, failed_active_health_check: true })).toMatchObject({ health: 'unhealthy', excluded: true });
    expect(decodeHealthStatus({ excluded_via_immediate_hc_fail: true, pending_dynamic_removal: true })).toMatchObject({
      flags: ['excluded_via_immediate_hc_fail', 'pending_dynamic_removal'], health: 'healthy', excluded: true,
    });
    expect(decodeHealthStatus({ some_future_flag: true }).flags).toEqual(['some_future_flag']);
  });
});

describe('routingTransitions', () => {
  it('logs each listener that fails over, with the cause, and the overall state change', () => {
    const healthy = snapshot('healthy', undefined, 1_000);
    const split = snapshot('split-primary-0-down', undefined, 2_000);
    const secondary = snapshot('all-primary-down', undefined, 3_000);
    expect(routingTransitions(undefined, healthy)).toEqual([{ at: 1_000, kind: 'state', message: 'routing: primary (3 listeners)' }]);
    expect(routingTransitions(healthy, split)).toEqual([
      { at: 2_000, kind: 'routing', listener: 'broker_0_cluster', message: 'listener 0: primary-broker-0 failed active health check → routing to secondary-broker-0' },
      { at: 2_000, kind: 'state', message: 'routing: primary → split (listener 0 → secondary; listeners 1, 2 → primary)' },
    ]);
    const back = routingTransitions(secondary, { ...healthy, at: 4_000 });
    expect(back.map((e) => e.message)).toEqual([
      'listener 0: primary-broker-0 healthy again → routing to primary-broker-0',
      'listener 1: primary-broker-1 healthy again → routing to primary-broker-1',
      'listener 2: primary-broker-2 healthy again → routing to primary-broker-2',
      'routing: secondary → primary',
    ]);
    expect(routingTransitions(healthy, { ...healthy, at: 9 })).toEqual([]);
  });

  it('logs host changes that do not move routing, and loss of every upstream', () => {
    const secondary = snapshot('all-primary-down');
    const none = snapshot('both-down');
    const events = routingTransitions(secondary, none);
    expect(events[0]!.message).toBe('listener 0: secondary-broker-0 failed active health check → no healthy upstream');
    expect(events.at(-1)!.message).toBe('routing: secondary → none');
    const hung = routingTransitions(snapshot('sandbox-primary-0-refused'), snapshot('primary-0-hung'));
    expect(hung.map((e) => e.message)).toEqual([
      'listener 0: primary-broker-0 failed active health check (timeout) (still routing to secondary-broker-0)',
    ]);
  });
});

describe("routingTransitions: the controller's replication steps", () => {
  const base = snapshot('healthy');
  type ControllerEvent = NonNullable<ControllerDecision['events']>[number];
  const decision = (events: ControllerEvent[], activeCluster: 'primary' | 'secondary' = 'primary', since = '2026-01-01T00:00:00.000Z'): ControllerDecision => ({
    reachable: true, policy: 'coherent', active: activeCluster, activeCluster, since, reason: 'primary lost its quorum', quorum: 2, failback: 'auto',
    pendingFailbackSince: null, healthy: { primary: 3, secondary: 3 }, total: { primary: 3, secondary: 3 }, envoyReachable: true, events,
  });
  const read = (at: number, d: RoutingSnapshot['decision']): RoutingSnapshot => ({ ...base, at, policy: 'coherent', decision: d });
  const started: ControllerEvent = { at: 500, kind: 'start', reason: 'started' };
  const promoted: ControllerEvent = { at: 2_000, kind: 'replication', reason: 'secondary promoted: the copy into it stopped before the switch' };
  const switched: ControllerEvent = { at: 2_000, kind: 'decision', from: 'primary', to: 'secondary', reason: 'primary lost its quorum' };

  it('each new replication event once, at the controller time, before the decision it led to', () => {
    const before = read(1_000, decision([started]));
    const after = read(3_000, decision([started, promoted, switched], 'secondary', '2026-01-01T00:00:02.000Z'));
    expect(routingTransitions(before, after)).toEqual([
      { at: 2_000, kind: 'state', message: 'replication: secondary promoted: the copy into it stopped before the switch' },
      { at: 3_000, kind: 'state', message: 'decision: secondary — primary lost its quorum' },
    ]);
    expect(routingTransitions(after, { ...after, at: 4_000 })).toEqual([]);
  });

  it('after the controller did not answer: only the events since the last read, not its whole history', () => {
    const old: ControllerEvent = { at: 200, kind: 'replication', reason: 'an old step' };
    const down = read(1_000, { reachable: false, error: 'ECONNREFUSED' });
    const fenced: ControllerEvent = { at: 1_500, kind: 'replication', reason: 'failback: listeners closed (writers fenced) until the primary has every record' };
    expect(routingTransitions(down, read(2_000, decision([old, fenced]))).map((e) => e.message)).toEqual([
      'failover controller: back',
      'replication: failback: listeners closed (writers fenced) until the primary has every record',
    ]);
  });
});

describe('routingTransitions: Envoy restarts', () => {
  // A process that started at 1_000 read at 43_000, the next one started at 43_000 and read at 44_000.
  const healthy = snapshot('healthy');
  const run = (at: number, envoyStartedAt?: number): RoutingSnapshot => ({ ...healthy, at, ...(envoyStartedAt === undefined ? {} : { envoyStartedAt }) });

  it('a different start time is a restart, logged before anything else, even with no failed read in between', () => {
    expect(routingTransitions(run(43_000, 1_000), run(44_000, 43_000))).toEqual([
      { at: 44_000, kind: 'state', message: 'Envoy restarted (up 1 s; previous process ran 42 s)' },
    ]);
    const split = { ...snapshot('split-primary-0-down', undefined, 44_000), envoyStartedAt: 43_000 };
    expect(routingTransitions(run(43_000, 1_000), split).map((e) => e.message)).toEqual([
      'Envoy restarted (up 1 s; previous process ran 42 s)',
      'listener 0: primary-broker-0 failed active health check → routing to secondary-broker-0',
      'routing: primary → split (listener 0 → secondary; listeners 1, 2 → primary)',
    ]);
  });

  it('no event from whole-second rounding (estimates of one process differ by up to ~1 s), nor without both start times', () => {
    expect(routingTransitions(run(43_000, 1_000), run(44_000, 1_999))).toEqual([]);
    expect(routingTransitions(run(43_000, 1_999), run(44_000, 1_000))).toEqual([]);
    expect(routingTransitions(run(43_000, 1_000), run(44_000, 2_500))).toEqual([]);
    expect(routingTransitions(run(43_000, 1_000), run(44_000, 2_501)).map((e) => e.message)).toEqual(['Envoy restarted (up 41 s; previous process ran 42 s)']);
    expect(routingTransitions(run(43_000), run(44_000, 43_000))).toEqual([]);
    expect(routingTransitions(run(43_000, 1_000), run(44_000))).toEqual([]);
  });

  it('after failed reads: how long the admin API did not answer, from the first failed read', () => {
    const outage = { since: 43_700, failedReads: 3 };
    expect(routingTransitions(run(43_000, 1_000), run(46_000, 45_000), outage).map((e) => e.message)).toEqual([
      'Envoy restarted (up 1 s; previous process ran 42 s; admin API unreachable for 2.3 s, 3 failed reads)',
    ]);
    expect(routingTransitions(run(43_000, 1_000), run(46_000, 1_000), { since: 45_500, failedReads: 1 })).toEqual([
      { at: 46_000, kind: 'state', message: 'Envoy admin API answering again after 0.5 s (1 failed read; same process, up 45 s)' },
    ]);
    expect(routingTransitions(run(43_000), run(46_000), outage).map((e) => e.message)).toEqual(['Envoy admin API answering again after 2.3 s (3 failed reads)']);
  });

  it('counts no new connections across a restart (cx_total starts again from 0)', () => {
    const at = (n: number) => structuredClone(healthy).listeners.map((l) => ({ ...l, hosts: l.hosts.map((h) => ({ ...h, totalConnections: n })) }));
    const before = { ...run(43_000, 1_000), listeners: at(5) };
    expect([...newConnections(before, { ...run(44_000, 1_000), listeners: at(7) }).values()]).toContain(2);
    expect(newConnections(before, { ...run(44_000, 43_000), listeners: at(7) }).size).toBe(0);
  });
});

describe('startedAtFromServerInfo', () => {
  it("is the read time minus /server_info's uptime_current_epoch", () => {
    expect(startedAtFromServerInfo({ state: 'LIVE', uptime_current_epoch: '12s', uptime_all_epochs: '12s' }, 100_000)).toBe(88_000);
    expect(startedAtFromServerInfo({ uptime_current_epoch: '0s' }, 100_000)).toBe(100_000);
    expect(startedAtFromServerInfo({ uptime_current_epoch: '1.500s' }, 100_000)).toBe(98_500);
    for (const doc of [{}, { uptime_current_epoch: 12 }, { uptime_current_epoch: '12m' }, null, 'x']) {
      expect(startedAtFromServerInfo(doc, 100_000)).toBeUndefined();
    }
  });
});
