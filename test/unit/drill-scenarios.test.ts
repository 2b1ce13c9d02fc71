import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokersOf, defaultTopology, type Topology } from '../../src/config/topology.js';
import { lbSettingsFromConfigDump, routingFromClusters } from '../../src/envoy/routing.js';
import { describeRouting, expectedRouting, observedRouting, routingMatches, routingStatus } from '../../src/envoy/routing-model.js';
import { envoyNext, resolveBroker, resolveBrokersOrCluster, type FaultAction } from '../../src/drill/faults.js';
import { buildScenario, CRASH_SCENARIOS, SCENARIO_NAMES } from '../../src/drill/scenarios.js';
import type { BrokerStatus } from '../../src/runtime/types.js';
import { UserError } from '../../src/util/errors.js';

/** What each fault action does to the brokers' running / recovery-mode state (as the runtimes do it). */
function simulate(states: Map<string, { running: boolean; recoveryMode: boolean }>, a: FaultAction): void {
  for (const name of a.brokers) {
    const s = states.get(name)!;
    if (a.kind === 'stop') s.running = false;
    else if (a.kind === 'start' || a.kind === 'restart') s.running = true;
    else if (a.kind === 'recovery') Object.assign(s, { running: true, recoveryMode: a.enabled });
    else Object.assign(s, { running: true, recoveryMode: false });
  }
}

function healthy(t: Topology) {
  return new Map(brokersOf(t).map((b) => [b.name, { running: true, recoveryMode: false }]));
}

describe('scenario data agrees with the routing model', () => {
  const failovers = SCENARIO_NAMES.filter((name) => !CRASH_SCENARIOS.includes(name));
  const cases = failovers.flatMap((name) => [1, 2, 3, 5].filter((n) => name !== 'recovery-mode' || n >= 3).map((n) => [name, n] as const));

  it.each(cases)('%s with %i brokers: each step expects what the brokers it leaves serving produce, and ends on primary', (name, n) => {
    const t = { ...defaultTopology(), brokers: n };
    const states = healthy(t);
    const scenario = buildScenario(name, n);
    expect(scenario.steps.length).toBeGreaterThan(1);
    for (const step of scenario.steps) {
      simulate(states, step.action);
      const model = expectedRouting(n, (b) => !!states.get(b)?.running && !states.get(b)?.recoveryMode);
      expect(step.expect, step.name).toEqual(model);
      for (const b of step.action.brokers) expect(() => resolveBroker(t, b)).not.toThrow();
    }
    expect(scenario.steps.at(-1)!.expect.activeCluster).toBe('primary');
    expect(scenario.steps.filter((s) => s.marks === 'fault')).toHaveLength(1);
    expect(scenario.steps.filter((s) => s.marks === 'failback')).toHaveLength(1);
  });

  it.each(['proxy-restart', 'broker-crash'] as const)('%s: one crash step that ends on primary under either policy, nothing to fail over or back', (name) => {
    for (const policy of ['per-broker', 'coherent'] as const) {
      const s = buildScenario(name, 3, policy);
      expect(s.steps).toHaveLength(1);
      const step = s.steps[0]!;
      expect(step.action).toEqual({ kind: 'crash', part: name === 'proxy-restart' ? 'envoy' : 'leader', brokers: [] });
      expect(step.expect).toEqual({ activeCluster: 'primary', listeners: ['primary', 'primary', 'primary'] });
      expect(step.window).toBe('crash');
      expect(step.marks).toBeUndefined();
    }
    expect(buildScenario('broker-crash', 3, 'coherent').steps[0]!.why).toMatch(/keeps a quorum/);
    expect(buildScenario('broker-crash', 3, 'per-broker').steps[0]!.why).toMatch(/Per-broker routing may move/);
  });

  it('recovery-mode shows the split the PoC hides, then everything on secondary held while in recovery mode', () => {
    const s = buildScenario('recovery-mode', 3);
    expect(s.steps.map((x) => x.expect.activeCluster)).toEqual(['split', 'split', 'secondary', 'secondary', 'primary']);
    expect(s.steps[0]!.expect.listeners).toEqual(['secondary', 'primary', 'primary']);
    // PoC steps 7–8 (last broker into recovery mode) and 9–10 (the others back, in recovery mode) apart
    expect(s.steps.map((x) => x.poc)).toEqual(['5', '6', '7–8', '9–10', '11–12']);
    expect(s.steps[3]!.hold).toBe(true);
    expect(s.steps.map((x) => x.window)).toEqual(['stopped', 'stopped', 'recovery', 'recovery', 'recovered']);
  });

  it('unknown scenario and too few brokers are user errors naming the fix', () => {
    expect(() => buildScenario('nope', 3)).toThrow(UserError);
    expect(() => buildScenario('nope', 3)).toThrow(/unknown scenario "nope"/);
    try {
      buildScenario('nope', 3);
    } catch (e) {
      expect((e as UserError).hint).toContain('recovery-mode, cluster-outage, broker-loss');
    }
    expect(() => buildScenario('recovery-mode', 2)).toThrow(/3 or more brokers/);
  });
});

describe('expected routing vs routing read from real Envoy documents', () => {
  // Captured by scripts/capture-envoy-fixtures.mjs (helper C), see the command inside each file.
  const DIR = join(import.meta.dirname, '..', 'fixtures', 'envoy');
  const json = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8'));
  const observe = (state: string) => {
    const f = json(`${state}.json`);
    const lb = lbSettingsFromConfigDump(json(`config-dump.${f.capture.topologyFile.replace(/^topology\.|\.json$/g, '')}.json`).configDump);
    return observedRouting(routingFromClusters(f.clusters, json(f.capture.topologyFile), 1, { lb }));
  };

  it('healthy matches all-primary', () => {
    expect(routingMatches(observe('healthy'), expectedRouting(3, () => true))).toBe(true);
  });

  it('primary-broker-0 stopped matches the broker-loss fault step and not all-primary', () => {
    const obs = observe('split-primary-0-down');
    expect(obs).toEqual({ activeCluster: 'split', listeners: ['secondary', 'primary', 'primary'] });
    expect(routingMatches(obs, buildScenario('broker-loss', 3).steps[0]!.expect)).toBe(true);
    expect(routingMatches(obs, expectedRouting(3, () => true))).toBe(false);
  });

  it('all primary brokers down matches the cluster-outage fault step', () => {
    expect(routingMatches(observe('all-primary-down'), buildScenario('cluster-outage', 3).steps[0]!.expect)).toBe(true);
  });

  it('both clusters down reads as none', () => {
    expect(observe('both-down')).toEqual({ activeCluster: 'none', listeners: ['none', 'none', 'none'] });
  });
});

describe('describeRouting', () => {
  it('names the listeners of a split', () => {
    expect(describeRouting({ activeCluster: 'split', listeners: ['secondary', 'primary', 'primary'] })).toBe('split (listener 0 → secondary; listeners 1, 2 → primary)');
    expect(describeRouting({ activeCluster: 'primary', listeners: ['primary', 'primary'] })).toBe('primary');
  });
});

describe('fault targets and what Envoy should do next', () => {
  // per-broker: the routing the PoC's layout gives (test/unit/coherent-routing.test.ts has the coherent lines)
  const t: Topology = { ...defaultTopology(), failover: { ...defaultTopology().failover, policy: 'per-broker' } };

  it('unknown names list the valid brokers and clusters', () => {
    expect(() => resolveBroker(t, 'primary-broker-7')).toThrow(/no broker named "primary-broker-7"/);
    try {
      resolveBrokersOrCluster(t, 'tertiary');
      expect.unreachable();
    } catch (e) {
      expect((e as UserError).hint).toContain('primary-broker-0');
      expect((e as UserError).hint).toContain('clusters: primary, secondary');
    }
    expect(resolveBrokersOrCluster(t, 'secondary').map((b) => b.name)).toEqual(['secondary-broker-0', 'secondary-broker-1', 'secondary-broker-2']);
  });

  const status = (down: string[], recovery: string[] = []): BrokerStatus[] =>
    brokersOf(t).map((b) => ({ name: b.name, cluster: b.cluster, index: b.index, running: !down.includes(b.name), recoveryMode: recovery.includes(b.name) }));

  it('stopping one primary broker: the refused window, then a split', () => {
    const { lines, expected } = envoyNext(t, 'local', status([]), status(['primary-broker-0']), 'stopped');
    expect(lines[0]).toContain('primary-broker-0 unhealthy in 6.0–10.5 s');
    expect(lines.join('\n')).toContain('from primary to split (listener 0 → secondary; listeners 1, 2 → primary)');
    expect(expected.activeCluster).toBe('split');
  });

  it('recovery mode with the 503 stand-in: the non-200 window', () => {
    const t503 = { ...t, local: { ...t.local, recoveryBehaviour: 'http-503' as const } };
    const { lines } = envoyNext(t503, 'local', status([]), status([], ['primary-broker-2']), 'recovery');
    expect(lines[0]).toContain('0.0–3.5 s');
  });

  it('starting it again: the recovered window, back to primary', () => {
    const { lines, expected } = envoyNext(t, 'local', status(['primary-broker-0']), status([]), 'stopped');
    expect(lines[0]).toContain('healthy in 3.0–7.0 s');
    expect(expected.activeCluster).toBe('primary');
  });

  it('stopping a secondary broker changes no routing', () => {
    const { lines } = envoyNext(t, 'local', status([]), status(['secondary-broker-1']), 'stopped');
    expect(lines.at(-1)).toBe('Routing should stay: primary.');
  });
});

describe('routingStatus (for `status`)', () => {
  const DIR = join(import.meta.dirname, '..', 'fixtures', 'envoy');
  const json = (f: string) => JSON.parse(readFileSync(join(DIR, f), 'utf8'));
  const t = defaultTopology();
  const brokers = (down: string[]) => brokersOf(t).map((b) => ({ name: b.name, running: !down.includes(b.name), recoveryMode: false }));
  const snap = (state: string) => {
    const f = json(`${state}.json`);
    return routingFromClusters(f.clusters, json(f.capture.topologyFile), 1, { lb: lbSettingsFromConfigDump(json('config-dump.rig.json').configDump) });
  };

  it('settled when Envoy already routes as the broker states say', () => {
    const s = routingStatus(snap('split-primary-0-down'), brokers(['primary-broker-0']), 3);
    expect(s.activeCluster).toBe('split');
    expect(s.listeners.map((l) => l.routesTo)).toEqual(['secondary', 'primary', 'primary']);
    expect(s.settled).toBe(true);
  });

  it('not settled while Envoy has not noticed a stopped broker yet', () => {
    const s = routingStatus(snap('healthy'), brokers(['primary-broker-0']), 3);
    expect(s.settled).toBe(false);
    expect(describeRouting(s.expected)).toBe('split (listener 0 → secondary; listeners 1, 2 → primary)');
  });
});
