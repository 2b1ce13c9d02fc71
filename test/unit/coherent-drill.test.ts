/**
 * The drill under the `coherent` policy: scenario data (checked against the controller's own rule),
 * acknowledgements on the cluster Envoy no longer routes to, the report's new rows, and the Docker
 * runtime's timing windows. The per-broker scenarios are covered by drill-scenarios.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerName, CLUSTER_NAMES, defaultTopology, type ClusterName, type FailbackMode } from '../../src/config/topology.js';
import { decide, type DecisionState } from '../../src/controller/decide.js';
import { acksOnInactiveCluster, renderMarkdown, type DrillReport, type RoutingSample } from '../../src/drill/report.js';
import { buildScenario, CRASH_SCENARIOS, SCENARIO_NAMES } from '../../src/drill/scenarios.js';
import type { FaultAction } from '../../src/drill/faults.js';
import { formatWindow, predictTiming } from '../../src/envoy/timing.js';

const all = (n: number, c: ClusterName) => Array.from({ length: n }, (_, i) => brokerName(c, i));
const everywhere = (n: number, c: ClusterName) => ({ activeCluster: c, listeners: Array.from({ length: n }, () => c) });

/** Serving (running, not in recovery mode) after a fault action, as the runtimes do it. */
function simulate(serving: Map<string, boolean>, a: FaultAction): void {
  for (const name of a.brokers) {
    if (a.kind === 'stop') serving.set(name, false);
    else if (a.kind === 'recovery') serving.set(name, !a.enabled);
    else if (a.kind === 'restore') serving.set(name, true);
    // start / restart: runs again, in whatever recovery mode its config says (the scenarios do not use them)
  }
}

describe('buildScenario(…, coherent): recovery-mode with 3 brokers', () => {
  const s = buildScenario('recovery-mode', 3, 'coherent');
  const perBroker = buildScenario('recovery-mode', 3);

  it('the same actions, windows and PoC steps as per-broker', () => {
    expect(s.name).toBe('recovery-mode');
    expect(s.description).toContain('Coherent policy');
    expect(s.steps.map((x) => [x.name, x.action, x.window, x.poc])).toEqual(perBroker.steps.map((x) => [x.name, x.action, x.window, x.poc]));
  });

  it('primary, secondary, secondary, secondary, primary: every listener together, never a split', () => {
    expect(s.steps.map((x) => x.expect.activeCluster)).toEqual(['primary', 'secondary', 'secondary', 'secondary', 'primary']);
    for (const step of s.steps) expect(step.expect).toEqual(everywhere(3, step.expect.activeCluster as ClusterName));
  });

  it('holds where nothing moves (steps 1, 3, 4); the fault is step 2, the failback step 5', () => {
    expect(s.steps.map((x) => x.hold ?? false)).toEqual([true, false, true, true, false]);
    expect(s.steps.map((x) => x.marks)).toEqual([undefined, 'fault', undefined, undefined, 'failback']);
  });

  it('says why in words', () => {
    expect(s.steps[0]!.why).toContain('keeps 2/3 serving brokers (quorum 2)');
    expect(s.steps[1]!.why).toContain('below its quorum of 2');
    expect(s.steps[4]!.why).toContain('failover.failbackHold');
  });

  it('manual failback keeps the secondary at the last step, held, with no failback mark', () => {
    const m = buildScenario('recovery-mode', 3, 'coherent', { failback: 'manual' });
    expect(m.steps.map((x) => x.expect.activeCluster)).toEqual(['primary', 'secondary', 'secondary', 'secondary', 'secondary']);
    expect(m.steps.at(-1)!.hold).toBe(true);
    expect(m.steps.filter((x) => x.marks === 'failback')).toHaveLength(0);
    expect(m.steps.filter((x) => x.marks === 'fault')).toHaveLength(1);
  });

  it('a quorum of 3: the first stop already fails over', () => {
    const q = buildScenario('recovery-mode', 3, 'coherent', { quorum: 3 });
    expect(q.steps.map((x) => x.expect.activeCluster)).toEqual(['secondary', 'secondary', 'secondary', 'secondary', 'primary']);
    expect(q.steps.map((x) => x.marks)).toEqual(['fault', undefined, undefined, undefined, 'failback']);
  });
});

describe('buildScenario(…, coherent): cluster-outage and broker-loss with 3 brokers', () => {
  it('cluster-outage: every listener to the secondary (fault), back to the primary (failback)', () => {
    const s = buildScenario('cluster-outage', 3, 'coherent');
    expect(s.steps.map((x) => [x.expect, x.marks, x.hold ?? false])).toEqual([
      [everywhere(3, 'secondary'), 'fault', false],
      [everywhere(3, 'primary'), 'failback', false],
    ]);
  });

  it('cluster-outage, manual failback: stays on the secondary', () => {
    const s = buildScenario('cluster-outage', 3, 'coherent', { failback: 'manual' });
    expect(s.steps.map((x) => [x.expect.activeCluster, x.marks, x.hold ?? false])).toEqual([
      ['secondary', 'fault', false],
      ['secondary', undefined, true],
    ]);
  });

  it('cluster-outage under replication: manual failback, then `switch primary` brings every listener back', () => {
    const s = buildScenario('cluster-outage', 3, 'coherent', { failback: 'manual', switchBack: true });
    expect(s.steps.map((x) => [x.name, x.action.kind, x.expect.activeCluster, x.marks, x.hold ?? false])).toEqual([
      ['stop every primary broker', 'stop', 'secondary', 'fault', false],
      ['start every primary broker', 'restore', 'secondary', undefined, true],
      ['switch primary (failback)', 'switch', 'primary', 'failback', false],
    ]);
    // Only where the scenario ends on the secondary with every primary broker back.
    expect(buildScenario('broker-loss', 3, 'coherent', { failback: 'manual', switchBack: true }).steps.map((x) => x.action.kind)).toEqual(['stop', 'restore']);
  });

  it('broker-loss: one broker is no failover, every listener stays on the primary both steps', () => {
    const s = buildScenario('broker-loss', 3, 'coherent');
    expect(s.steps.map((x) => [x.expect, x.marks, x.hold ?? false])).toEqual([
      [everywhere(3, 'primary'), undefined, true],
      [everywhere(3, 'primary'), undefined, true],
    ]);
    expect(s.steps[0]!.why).toContain('none go to the other cluster');
  });

  it('broker-loss with quorum 3 (every broker): the one stop fails over', () => {
    const s = buildScenario('broker-loss', 3, 'coherent', { quorum: 3 });
    expect(s.steps.map((x) => [x.expect.activeCluster, x.marks])).toEqual([
      ['secondary', 'fault'],
      ['primary', 'failback'],
    ]);
  });

  it('per-broker stays the default', () => {
    expect(buildScenario('broker-loss', 3).steps[0]!.expect.activeCluster).toBe('split');
    expect(buildScenario('broker-loss', 3, 'per-broker')).toEqual(buildScenario('broker-loss', 3));
  });
});

describe("coherent scenario data agrees with the controller's rule (src/controller/decide.ts)", () => {
  const cases = SCENARIO_NAMES.filter((name) => !CRASH_SCENARIOS.includes(name)).flatMap((name) =>
    [1, 2, 3, 5]
      .filter((n) => name !== 'recovery-mode' || n >= 3)
      .flatMap((n) => (['auto', 'manual'] as const).flatMap((failback) => [0, n].map((quorum) => [name, n, failback, quorum] as const))),
  );

  it.each(cases)('%s, %i brokers, %s failback, quorum %i (0 = majority)', (name, n, failback: FailbackMode, q) => {
    const quorum = q || Math.floor(n / 2) + 1;
    const s = buildScenario(name, n, 'coherent', { failback, ...(q ? { quorum: q } : {}) });
    const serving = new Map(CLUSTER_NAMES.flatMap((c) => all(n, c).map((b) => [b, true] as const)));
    let state: DecisionState = { active: 'primary', since: 0, reason: 'started', pinned: false };
    let now = 0;
    for (const step of s.steps) {
      simulate(serving, step.action);
      const counts = {
        healthy: { primary: all(n, 'primary').filter((b) => serving.get(b)).length, secondary: all(n, 'secondary').filter((b) => serving.get(b)).length },
        total: { primary: n, secondary: n },
      };
      // two polls a hold apart: a failback hold that started at the first has passed at the second
      const before = state.active;
      state = decide(state, counts, (now += 1_000), { quorum, failback, failbackHoldMs: 10_000 }).state;
      const d = decide(state, counts, (now += 10_000), { quorum, failback, failbackHoldMs: 10_000 });
      state = d.state;
      expect(d.activeCluster, step.name).not.toBe('none');
      expect(step.expect, step.name).toEqual(everywhere(n, state.active));
      expect(step.hold ?? false, step.name).toBe(state.active === before);
      if (state.active === before) expect(step.marks, step.name).toBeUndefined();
      else expect(step.marks, step.name).toBe(state.active === 'secondary' ? 'fault' : 'failback');
    }
    expect(s.steps.filter((x) => x.marks === 'fault').length).toBeLessThanOrEqual(1);
    expect(s.steps.filter((x) => x.marks === 'failback').length).toBeLessThanOrEqual(1);
  });
});

describe('acksOnInactiveCluster', () => {
  const routing: RoutingSample[] = [
    { at: 0, activeCluster: 'primary', listeners: ['primary', 'primary'] },
    { at: 10_000, activeCluster: 'secondary', listeners: ['secondary', 'secondary'] },
    // another sample of the same state (e.g. a host's flags changed): the switch is still at 10 s
    { at: 20_000, activeCluster: 'secondary', listeners: ['secondary', 'secondary'] },
    { at: 30_000, activeCluster: 'split', listeners: ['primary', 'secondary'] },
    { at: 40_000, activeCluster: 'primary', listeners: ['primary', 'primary'] },
    { at: 50_000, activeCluster: 'none', listeners: ['none', 'none'] },
  ];
  const ack = (at: number, cluster: string) => ({ at, cluster });

  it('acks on the cluster every listener routes to are not counted', () => {
    expect(acksOnInactiveCluster([ack(5_000, 'primary'), ack(11_000, 'secondary'), ack(45_000, 'primary')], routing, 2_000)).toBe(0);
  });

  it('acks on the old cluster within the grace after a switch are in flight, not counted', () => {
    expect(acksOnInactiveCluster([ack(10_000, 'primary'), ack(11_999, 'primary'), ack(12_000, 'primary'), ack(41_000, 'secondary')], routing, 2_000)).toBe(0);
  });

  it('acks on the old cluster after the grace are counted (clients left behind)', () => {
    expect(acksOnInactiveCluster([ack(12_001, 'primary'), ack(15_000, 'primary'), ack(43_000, 'secondary')], routing, 2_000)).toBe(3);
    // counted from the switch, not from the latest sample of the same state
    expect(acksOnInactiveCluster([ack(20_500, 'primary')], routing, 2_000)).toBe(1);
    expect(acksOnInactiveCluster([ack(20_500, 'primary')], routing, 15_000)).toBe(0);
  });

  it('split and none states, unknown clusters and acks before the first sample are not counted', () => {
    expect(acksOnInactiveCluster([ack(35_000, 'primary'), ack(35_000, 'secondary'), ack(55_000, 'primary'), ack(55_000, 'secondary')], routing, 2_000)).toBe(0);
    expect(acksOnInactiveCluster([ack(15_000, 'unknown'), ack(-1, 'secondary')], routing, 2_000)).toBe(0);
    expect(acksOnInactiveCluster([ack(15_000, 'primary')], [], 2_000)).toBe(0);
  });

  it('grace 0: every ack on the other cluster after the switch counts', () => {
    expect(acksOnInactiveCluster([ack(10_000, 'primary'), ack(10_001, 'primary')], routing, 0)).toBe(1);
  });
});

describe("the report's coherent rows", () => {
  const captured = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'drill', 'report.broker-loss.json'), 'utf8')) as { report: DrillReport };

  it('client failback, acks on the inactive cluster and the late clients, when measured', () => {
    const r: DrillReport = {
      ...captured.report,
      policy: 'coherent',
      clientFailbackMs: 1_234,
      acksOnInactiveCluster: 0,
      lateClients: { producerAckedBy: { primary: 10, secondary: 0 }, consumerCluster: 'primary', runningProducerCluster: 'primary' },
    };
    const md = renderMarkdown(r);
    expect(md).toContain('| client failback (primary serving again → first ack on primary) |');
    expect(md).toMatch(/\| acks on the cluster Envoy no longer routes to \(clients left behind\) \| 0 \| 0 \|/);
    expect(md).toContain("producer acked on primary, consumer on primary; the drill's producer acked last on primary");
  });

  it('left out for a report without them (written before the policy existed)', () => {
    const md = renderMarkdown(captured.report);
    expect(md).not.toContain('client failback');
    expect(md).not.toContain('clients left behind');
    expect(md).not.toContain('clients started after the last step');
  });
});

describe('predictTiming: the Docker runtime windows at the PoC settings', () => {
  const p = predictTiming(defaultTopology().healthCheck);

  it('a stopped container: from all refused (6.0 s) to all timed out (16.5 s)', () => {
    expect(p.vanished).toMatchObject({ earliestMs: 6_000, latestMs: 16_500 });
    expect(p.vanished.earliestMs).toBe(p.refused.earliestMs);
    expect(p.vanished.latestMs).toBe(p.hung.latestMs);
    expect(formatWindow(p.vanished)).toBe('6.0–16.5 s');
  });

  it('a container started again: DNS refresh (5 s) plus one check (3.5 s), from 0', () => {
    expect(p.returned).toMatchObject({ earliestMs: 0, latestMs: 8_500 });
    expect(p.returned.explanation).toContain('5000');
    expect(formatWindow(p.returned)).toBe('0.0–8.5 s');
  });
});
