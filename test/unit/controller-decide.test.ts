import { describe, expect, it } from 'vitest';
import {
  decide,
  forgetFailbackHold,
  planSwitch,
  type DecideConfig,
  type DecisionState,
  type HealthCounts,
} from '../../src/controller/decide.js';

const auto: DecideConfig = { quorum: 2, failback: 'auto', failbackHoldMs: 10_000 };
const manual: DecideConfig = { ...auto, failback: 'manual' };

const counts = (primary: number, secondary: number, total = 3): HealthCounts => ({
  healthy: { primary, secondary },
  total: { primary: total, secondary: total },
});

const onPrimary: DecisionState = { active: 'primary', since: 0, reason: 'start', pinned: false };
const onSecondary: DecisionState = { active: 'secondary', since: 0, reason: 'failover', pinned: false };

/** Runs the rule over a series of (time, counts) observations, returning every decision. */
function run(state: DecisionState, steps: Array<[number, HealthCounts]>, config = auto) {
  const out = [];
  for (const [now, c] of steps) {
    const d = decide(state, c, now, config);
    out.push(d);
    state = d.state;
  }
  return out;
}

describe('decide: the active cluster stays while it has quorum', () => {
  it('everything healthy: stays on the primary, nothing switched', () => {
    const d = decide(onPrimary, counts(3, 3), 1_000, auto);
    expect(d.switched).toBeUndefined();
    expect(d.activeCluster).toBe('primary');
    expect(d.state).toEqual(expect.objectContaining({ active: 'primary', since: 0, reason: 'start', pinned: false }));
    expect(d.reason).toBe('start');
  });

  it('one primary broker down is not a failover', () => {
    const d = decide(onPrimary, counts(2, 3), 1_000, auto);
    expect(d.switched).toBeUndefined();
    expect(d.activeCluster).toBe('primary');
  });

  it('the secondary stays active with one broker down, even with the primary below quorum', () => {
    const d = decide(onSecondary, counts(1, 2), 1_000, auto);
    expect(d.switched).toBeUndefined();
    expect(d.activeCluster).toBe('secondary');
  });

  it('keeps `since` and the reason of the last switch', () => {
    const d = decide({ ...onPrimary, since: 42, reason: 'resumed' }, counts(3, 0), 5_000, auto);
    expect(d.state.since).toBe(42);
    expect(d.state.reason).toBe('resumed');
  });
});

describe('decide: start-up', () => {
  const starting: DecisionState = { ...onPrimary, activeHadQuorum: false };

  it('a primary still starting is no outage: the secondary reaching quorum first moves nothing during the grace', () => {
    const d = decide(starting, counts(0, 2), 5_000, manual);
    expect(d.switched).toBeUndefined();
    expect(d.activeCluster).toBe('primary');
    expect(d.reason).toBe('starting: primary has not had quorum 2 yet (0/3 healthy); failover from it only after 30 s');
  });

  it('fails over after the grace, and at once once the primary had quorum', () => {
    expect(decide(starting, counts(0, 3), 30_000, manual).switched?.to).toBe('secondary');
    const [seen, lost] = run(starting, [[1_000, counts(2, 3)], [2_000, counts(1, 3)]], manual);
    expect(seen!.state.activeHadQuorum).toBe(true);
    expect(lost!.switched?.to).toBe('secondary');
  });
});

describe('decide: failover', () => {
  it('fails over when the active cluster drops below quorum and the other has it', () => {
    const d = decide(onPrimary, counts(1, 3), 7_000, auto);
    expect(d.switched).toEqual({ from: 'primary', to: 'secondary', reason: 'primary has 1/3 healthy, quorum 2; secondary has 3/3' });
    expect(d.activeCluster).toBe('secondary');
    expect(d.state).toEqual({ active: 'secondary', since: 7_000, reason: d.switched!.reason, pinned: false });
    expect(d.reason).toBe(d.switched!.reason);
  });

  it('fails over with the other cluster exactly at quorum', () => {
    expect(decide(onPrimary, counts(0, 2), 1, auto).switched?.to).toBe('secondary');
  });

  it('does not fail over to a cluster below quorum', () => {
    expect(decide(onPrimary, counts(1, 1), 1, auto).switched).toBeUndefined();
  });

  it('fails over from the secondary to the primary the same way (no hold: the secondary is gone)', () => {
    const d = decide(onSecondary, counts(2, 1), 3_000, auto);
    expect(d.switched).toEqual({ from: 'secondary', to: 'primary', reason: 'secondary has 1/3 healthy, quorum 2; primary has 2/3' });
    expect(d.state.since).toBe(3_000);
  });

  it('fails over back to the primary under manual failback too: failover is never manual', () => {
    expect(decide(onSecondary, counts(3, 0), 1, manual).switched?.to).toBe('primary');
  });

  it('a failover clears the pin', () => {
    const d = decide({ ...onSecondary, pinned: true }, counts(3, 1), 1, auto);
    expect(d.switched?.to).toBe('primary');
    expect(d.state.pinned).toBe(false);
  });

  it('clusters of different sizes report their own totals', () => {
    const c: HealthCounts = { healthy: { primary: 1, secondary: 2 }, total: { primary: 5, secondary: 3 } };
    expect(decide(onPrimary, c, 1, auto).switched?.reason).toBe('primary has 1/5 healthy, quorum 2; secondary has 2/3');
  });
});

describe('decide: neither cluster has quorum', () => {
  it('stays (state.active unchanged) but reports activeCluster none, and says why', () => {
    const d = decide(onPrimary, counts(1, 0), 1_000, auto);
    expect(d.switched).toBeUndefined();
    expect(d.activeCluster).toBe('none');
    expect(d.state.active).toBe('primary');
    expect(d.state.since).toBe(0);
    expect(d.reason).toBe('neither cluster has quorum 2 (primary 1/3, secondary 0/3 healthy): listeners stay on primary');
  });

  it('the active cluster getting its quorum back does not switch, and the last switch reason returns', () => {
    const [none, back] = run(onSecondary, [
      [1_000, counts(0, 1)],
      [2_000, counts(0, 2)],
    ]);
    expect(none!.activeCluster).toBe('none');
    expect(back!.activeCluster).toBe('secondary');
    expect(back!.switched).toBeUndefined();
    expect(back!.reason).toBe('failover');
  });

  it('the other cluster getting quorum first is a failover', () => {
    const [, d] = run(onPrimary, [
      [1_000, counts(1, 1)],
      [2_000, counts(1, 2)],
    ]);
    expect(d!.switched).toEqual(expect.objectContaining({ from: 'primary', to: 'secondary' }));
  });
});

describe('decide: auto failback', () => {
  it('switches back once every primary broker has been healthy for the hold', () => {
    const [a, b, c] = run(onSecondary, [
      [1_000, counts(3, 3)],
      [10_999, counts(3, 3)],
      [11_000, counts(3, 3)],
    ]);
    expect(a!.switched).toBeUndefined();
    expect(a!.pendingFailbackSince).toBe(1_000);
    expect(a!.state.primaryHealthySince).toBe(1_000);
    expect(b!.switched).toBeUndefined();
    expect(b!.pendingFailbackSince).toBe(1_000);
    expect(c!.switched).toEqual({ from: 'secondary', to: 'primary', reason: 'every primary broker healthy for 10.0 s (hold 10 s)' });
    expect(c!.state).toEqual(expect.objectContaining({ active: 'primary', since: 11_000, pinned: false }));
    expect(c!.pendingFailbackSince).toBeUndefined();
  });

  it('quorum is not enough: it waits for every primary broker', () => {
    const ds = run(onSecondary, [
      [0, counts(2, 3)],
      [20_000, counts(2, 3)],
      [40_000, counts(2, 3)],
    ]);
    for (const d of ds) {
      expect(d.switched).toBeUndefined();
      expect(d.pendingFailbackSince).toBeUndefined();
      expect(d.state.primaryHealthySince).toBeUndefined();
    }
  });

  it('a primary broker that flaps restarts the hold', () => {
    const ds = run(onSecondary, [
      [0, counts(3, 3)],
      [9_000, counts(2, 3)], // flap: hold reset
      [9_500, counts(3, 3)], // hold starts again here
      [12_000, counts(3, 3)], // 12 s after the first healthy poll, only 2.5 s into the new hold
      [19_499, counts(3, 3)],
      [19_500, counts(3, 3)],
    ]);
    expect(ds[1]!.state.primaryHealthySince).toBeUndefined();
    expect(ds[1]!.pendingFailbackSince).toBeUndefined();
    expect(ds[2]!.pendingFailbackSince).toBe(9_500);
    expect(ds.slice(0, 5).every((d) => !d.switched)).toBe(true);
    expect(ds[5]!.switched?.to).toBe('primary');
  });

  it('tracks the primary even while it is active, so a failback hold cannot start from stale data', () => {
    const d = decide(onPrimary, counts(3, 3), 5_000, auto);
    expect(d.state.primaryHealthySince).toBe(5_000);
    expect(d.pendingFailbackSince).toBeUndefined();
    expect(decide(d.state, counts(2, 3), 6_000, auto).state.primaryHealthySince).toBeUndefined();
  });

  it('hold 0 fails back on the first poll that sees every primary broker healthy', () => {
    const d = decide(onSecondary, counts(3, 3), 5, { ...auto, failbackHoldMs: 0 });
    expect(d.switched?.reason).toBe('every primary broker healthy for 0.0 s (hold 0 s)');
  });

  it('formats a fractional hold', () => {
    const [, d] = run(
      onSecondary,
      [
        [0, counts(3, 3)],
        [2_600, counts(3, 3)],
      ],
      { ...auto, failbackHoldMs: 2_500 },
    );
    expect(d!.switched?.reason).toBe('every primary broker healthy for 2.6 s (hold 2.5 s)');
  });

  it('does not fail back while pinned (a planned switch to the secondary)', () => {
    const ds = run({ ...onSecondary, pinned: true }, [
      [0, counts(3, 3)],
      [60_000, counts(3, 3)],
    ]);
    expect(ds.every((d) => !d.switched && d.pendingFailbackSince === undefined)).toBe(true);
    expect(ds[1]!.state.pinned).toBe(true);
  });

  it('manual failback never switches back by itself', () => {
    const ds = run(
      onSecondary,
      [
        [0, counts(3, 3)],
        [3_600_000, counts(3, 3)],
      ],
      manual,
    );
    expect(ds.every((d) => !d.switched && d.pendingFailbackSince === undefined && d.activeCluster === 'secondary')).toBe(true);
  });

  it('missing data (Envoy unreachable) restarts the hold', () => {
    const a = decide(onSecondary, counts(3, 3), 0, auto);
    const gap = forgetFailbackHold(a.state);
    expect(gap.primaryHealthySince).toBeUndefined();
    const b = decide(gap, counts(3, 3), 10_000, auto);
    expect(b.switched).toBeUndefined();
    expect(b.pendingFailbackSince).toBe(10_000);
  });

  it('forgetFailbackHold returns the same state when there is no hold', () => {
    expect(forgetFailbackHold(onPrimary)).toBe(onPrimary);
  });
});

describe('planSwitch: planned switchover', () => {
  it('switches at once to a cluster with quorum, and pins', () => {
    const o = planSwitch(onPrimary, 'secondary', counts(3, 2), 4_000, auto);
    expect(o.kind).toBe('switched');
    if (o.kind !== 'switched') return;
    expect(o.decision.switched).toEqual({
      from: 'primary',
      to: 'secondary',
      reason: 'planned switchover to secondary: secondary has 2/3 healthy, quorum 2; primary has 3/3',
    });
    expect(o.decision.state).toEqual(expect.objectContaining({ active: 'secondary', since: 4_000, pinned: true }));
    expect(o.decision.activeCluster).toBe('secondary');
  });

  it('auto failback does not undo a planned switch to the secondary', () => {
    const o = planSwitch(onPrimary, 'secondary', counts(3, 3), 0, auto);
    if (o.kind !== 'switched') throw new Error(o.kind);
    const ds = run(o.decision.state, [
      [1_000, counts(3, 3)],
      [100_000, counts(3, 3)],
    ]);
    expect(ds.every((d) => d.activeCluster === 'secondary' && !d.switched)).toBe(true);
  });

  it('…but a failover after it clears the pin, and auto failback works again', () => {
    const o = planSwitch(onPrimary, 'secondary', counts(3, 3), 0, auto);
    if (o.kind !== 'switched') throw new Error(o.kind);
    const ds = run(o.decision.state, [
      [1_000, counts(3, 1)], // secondary lost quorum: failover to primary, pin cleared
      [2_000, counts(1, 3)], // primary lost quorum: failover to secondary
      [3_000, counts(3, 3)],
      [13_000, counts(3, 3)], // hold done: failback (not pinned any more)
    ]);
    expect(ds.map((d) => d.switched?.to)).toEqual(['primary', 'secondary', undefined, 'primary']);
    expect(ds[0]!.state.pinned).toBe(false);
  });

  it('refuses a switch to a cluster without quorum, changing nothing', () => {
    const o = planSwitch(onSecondary, 'primary', counts(1, 3), 0, auto);
    expect(o).toEqual({ kind: 'refused', reason: 'refused: primary has 1/3 healthy brokers, below quorum 2' });
  });

  it('a switch to the cluster already active is not refused: a note, and it pins', () => {
    const o = planSwitch(onSecondary, 'secondary', counts(3, 3), 0, auto);
    expect(o.kind).toBe('already-active');
    if (o.kind !== 'already-active') return;
    expect(o.note).toMatch(/secondary is already active; pinned now/);
    expect(o.decision.switched).toBeUndefined();
    expect(o.decision.state).toEqual(expect.objectContaining({ active: 'secondary', since: 0, pinned: true }));
  });

  it('a switch to the active cluster without quorum is refused too', () => {
    expect(planSwitch(onPrimary, 'primary', counts(1, 3), 0, auto).kind).toBe('refused');
  });

  it('a planned switch back to the primary works under manual failback', () => {
    const o = planSwitch(onSecondary, 'primary', counts(3, 3), 9, manual);
    expect(o.kind).toBe('switched');
    if (o.kind === 'switched') expect(o.decision.state.active).toBe('primary');
  });

  it('keeps tracking the primary hold through a switch', () => {
    const a = decide(onPrimary, counts(3, 3), 100, auto);
    const o = planSwitch(a.state, 'secondary', counts(3, 3), 200, auto);
    if (o.kind !== 'switched') throw new Error(o.kind);
    expect(o.decision.state.primaryHealthySince).toBe(100);
  });
});
