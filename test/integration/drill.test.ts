/**
 * The drill end to end on the local rig (real Kafka brokers, Schema Registry stand-ins, real Envoy), through
 * the CLI, with shortened health checks:
 * - the `coherent` policy (the failover controller): `recovery-mode` (the PoC walkthrough), `cluster-outage`
 *   (with the controller killed in the middle of it) and `broker-loss`: never split, no client left on the
 *   cluster Envoy no longer routes to, clients back on the primary within the failback hold + 2 s, and
 *   clients started afterwards land where the others are; and the crash drills `proxy-restart` (Envoy
 *   killed) and `broker-crash` (a leader's JVM killed), each part brought back by its supervisor;
 * - the `per-broker` policy (the PoC's layout): `broker-loss` shows the split it causes, and after
 *   `cluster-outage` the clients that ran through it stay on the secondary while fresh ones land on the primary.
 * Each drill runs once (beforeAll) with --restore, so a failure in one does not break the next.
 */
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAST_HEALTH_CHECK, startRig, type CliResult, type Rig } from './rig.js';
import { parseSvg } from '../unit/drill-xml.js';
import type { DrillReport } from '../../src/drill/report.js';
import { waitFor } from '../../src/util/wait.js';

const FAILBACK_HOLD_MS = 2_000;

async function drill(rig: Rig, scenario: string, during?: (proc: ReturnType<typeof execa>) => Promise<void>): Promise<{ run: CliResult; report: DrillReport; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), `drill-report-${scenario}-`));
  let run: CliResult;
  if (during) {
    const proc = execa(process.execPath, [join(process.cwd(), 'bin', 'failover-demo.js'), 'drill', '--scenario', scenario, '--report', dir, '--restore'], {
      env: { FAILOVER_DEMO_DIR: rig.project, FORCE_COLOR: '0', NO_COLOR: '1' },
      reject: false,
      timeout: 400_000,
    });
    await during(proc);
    const r = await proc;
    run = { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
  } else {
    run = await rig.cli(['drill', '--scenario', scenario, '--report', dir, '--restore'], { timeoutMs: 400_000 });
  }
  if (!existsSync(join(dir, 'report.json'))) throw new Error(`the drill wrote no report (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
  return { run, report: JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as DrillReport, dir };
}

function expectPassed(run: CliResult, report: DrillReport, stepCount: number): void {
  expect(report.steps, run.stdout + run.stderr).toHaveLength(stepCount);
  for (const step of report.steps) {
    expect(step.passed, `${step.name}: ${step.error ?? ''}`).toBe(true);
    expect(step.observed, step.name).toEqual(step.expected);
  }
  expect(report.ledger?.checked).toBeGreaterThan(0);
  expect(report.ackedMissing, JSON.stringify(report.ledger)).toBe(0);
  expect(report.passed).toBe(true);
  expect(run.exitCode, run.stdout + run.stderr).toBe(0);
  expect(run.stdout).toContain('drill passed');
}

/** Coherent: one cluster at a time, nobody left behind, fresh clients where the running ones are. */
function expectCoherent(report: DrillReport, failsOver: boolean): void {
  expect(report.policy).toBe('coherent');
  expect(report.splitMs).toBe(0);
  expect(report.acksOnInactiveCluster, JSON.stringify(report.inactiveAcks)).toBe(0);
  const late = report.lateClients!;
  expect(late, 'fresh clients after the last step').toBeDefined();
  const lateProducerClusters = Object.entries(late.producerAckedBy).filter(([, n]) => n > 0).map(([c]) => c);
  expect(lateProducerClusters).toEqual([late.runningProducerCluster]);
  expect(late.consumerCluster).toBe(late.runningProducerCluster);
  expect(late.runningProducerCluster).toBe('primary');
  if (failsOver) {
    expect(report.clients.ackedBy.secondary).toBeGreaterThan(0);
    // Back on the primary within the failback hold + 2 s of the primary serving again.
    expect(report.clientFailbackMs).not.toBeNull();
    expect(report.clientFailbackMs!).toBeLessThanOrEqual(FAILBACK_HOLD_MS + 2_000);
  } else {
    expect(report.clients.ackedBy.secondary ?? 0).toBe(0);
  }
}

/** PID of the failover controller (the supervised child, not its supervisor, whose command line names it too) of a rig. */
async function controllerPid(rig: Rig): Promise<number | undefined> {
  const r = await execa('pgrep', ['-f', `controller/main.js --config ${rig.project}`], { reject: false });
  for (const line of r.stdout.trim().split('\n')) {
    const pid = Number(line);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv[1]?.endsWith('controller/main.js')) return pid;
  }
  return undefined;
}

describe('drills under the coherent policy', () => {
  let rig: Rig | undefined;
  beforeAll(async () => {
    rig = await startRig({ name: 'drill', portBase: 26000, healthCheck: FAST_HEALTH_CHECK, failover: { policy: 'coherent', failbackHoldMs: FAILBACK_HOLD_MS } });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  describe('recovery-mode: the PoC walkthrough as its README describes it, with the controller killed mid-drill', () => {
    let r: Awaited<ReturnType<typeof drill>>;
    const seen: {
      killed?: number;
      statusDown?: boolean;
      routingWhileDown?: string;
      routingJson?: { connectionsByCluster: Record<string, number>; decision?: { reachable: boolean } };
      restarted?: number;
    } = {};
    beforeAll(async () => {
      r = await drill(rig!, 'recovery-mode', async (proc) => {
        // During step 1 (one primary broker stopped: the routing must hold on the primary), kill the
        // controller with its supervisor paused, so "down" lasts as long as the checks need.
        let out = '';
        for (const s of [proc.stdout, proc.stderr]) s?.on('data', (b: Buffer) => (out += b.toString()));
        await waitFor(() => out.includes('1. stop primary-broker-0'), { timeoutMs: 120_000, what: 'the drill to reach step 1' });
        const supervisor = (JSON.parse(readFileSync(join(rig!.project, '.failover-demo', 'local', 'controller', 'controller.pid'), 'utf8')) as { pid: number }).pid;
        seen.killed = await controllerPid(rig!);
        process.kill(supervisor, 'SIGSTOP');
        try {
          if (seen.killed) process.kill(seen.killed, 'SIGKILL');
          const status = JSON.parse((await rig!.cli(['status', '--json'])).stdout) as { controller?: { decision: { reachable: boolean } } };
          seen.statusDown = status.controller?.decision.reachable === false;
          const routing = JSON.parse((await rig!.cli(['routing', '--once', '--json'])).stdout) as { activeCluster: string; connectionsByCluster: Record<string, number>; decision?: { reachable: boolean } };
          seen.routingWhileDown = routing.activeCluster;
          seen.routingJson = routing;
        } finally {
          process.kill(supervisor, 'SIGCONT');
        }
        await waitFor(async () => (seen.restarted = await controllerPid(rig!)) !== undefined, { timeoutMs: 30_000, what: 'the supervisor to restart the controller' });
      });
    }, 420_000);

    it('step 5 stays on primary, step 6 fails over, steps 7–10 stay on the secondary, steps 11–12 return', () => {
      expectPassed(r.run, r.report, 5);
      expect(r.report.steps.map((s) => s.observed.activeCluster)).toEqual(['primary', 'secondary', 'secondary', 'secondary', 'primary']);
      expectCoherent(r.report, true);
    });

    it('with the controller killed: routing stayed, status said it was down, the runtime brought it back, the next fault was handled', async () => {
      const now = JSON.parse((await rig!.cli(['routing', '--once', '--json'])).stdout) as {
        activeCluster: string;
        policy: string;
        decision: { reachable: boolean; activeCluster: string; reason: string };
        connectionsByCluster: Record<string, number>;
      };
      expect(now).toMatchObject({ policy: 'coherent', activeCluster: 'primary', decision: { reachable: true, activeCluster: 'primary' } });
      expect(now.decision.reason).toMatch(/every primary broker healthy/);
      expect(now.connectionsByCluster).toEqual(expect.objectContaining({ primary: expect.any(Number), secondary: 0 }));
      expect(seen.killed).toBeGreaterThan(0);
      expect(seen.statusDown).toBe(true);
      expect(seen.routingWhileDown).toBe('primary');
      // routing --once --json: the controller's state and where clients are.
      expect(seen.routingJson?.decision?.reachable).toBe(false);
      expect(seen.routingJson?.connectionsByCluster.primary).toBeGreaterThan(0);
      expect(seen.restarted).toBeGreaterThan(0);
      expect(seen.restarted).not.toBe(seen.killed);
      // Step 6 (the failover) came after the restart and was handled.
      expect(r.report.steps[1]!.passed).toBe(true);
      const events = readFileSync(join(rig!.project, '.failover-demo', 'local', 'envoy', 'controller-events.jsonl'), 'utf8');
      expect(events).toMatch(/resumed/);
    });

    it('writes report.md and a timeline SVG that parses, with lanes in both clusters\' colours', async () => {
      const md = readFileSync(join(r.dir, 'report.md'), 'utf8');
      expect(md).toMatch(/^# Drill `recovery-mode`: /);
      for (const step of r.report.steps) expect(md).toContain(step.name);
      const svg = await parseSvg(readFileSync(join(r.dir, 'timeline.svg'), 'utf8'));
      expect(svg.root).toBe('svg');
      expect(svg.segmentFills).toContain('#2563eb');
      expect(svg.segmentFills).toContain('#f59e0b');
    });
  });

  describe('cluster-outage: every primary broker stops, then returns', () => {
    let r: Awaited<ReturnType<typeof drill>>;
    beforeAll(async () => {
      r = await drill(rig!, 'cluster-outage');
    }, 420_000);

    it('every listener moves at once, and back after the failback hold; nobody left behind', () => {
      expectPassed(r.run, r.report, 2);
      expect(r.report.steps.map((s) => s.observed.activeCluster)).toEqual(['secondary', 'primary']);
      expectCoherent(r.report, true);
      // Clients really were on the secondary, and once the failback settled no connection to it remained
      // (the secondary brokers still run: the switch closed those connections).
      const cx = r.report.timeline.connections ?? [];
      const back = r.report.steps[1]!;
      const settled = back.effectAt + (back.settleMs ?? 0) + 2_000;
      expect(cx.some((c) => (c.byCluster.secondary ?? 0) > 0)).toBe(true);
      // Samples are taken when the counts change: the one in force at `settled`, and every later one.
      const inForce = cx.filter((c) => c.at <= settled).at(-1);
      const after = [...(inForce ? [inForce] : []), ...cx.filter((c) => c.at > settled)];
      expect(after.length).toBeGreaterThan(0);
      for (const c of after) expect(c.byCluster.secondary ?? 0, JSON.stringify(c)).toBe(0);
      expect(after.at(-1)!.byCluster.primary).toBeGreaterThan(0);
    });
  });

  describe('broker-loss: one broker down is not a failover', () => {
    let r: Awaited<ReturnType<typeof drill>>;
    beforeAll(async () => {
      r = await drill(rig!, 'broker-loss');
    }, 420_000);

    it('every listener stays on the primary, none goes to the secondary', () => {
      expectPassed(r.run, r.report, 2);
      expect(r.report.steps.map((s) => s.observed.activeCluster)).toEqual(['primary', 'primary']);
      expectCoherent(r.report, false);
    });
  });
  describe('proxy-restart: Envoy killed with SIGKILL while clients run', () => {
    let r: Awaited<ReturnType<typeof drill>>;
    beforeAll(async () => {
      r = await drill(rig!, 'proxy-restart');
    }, 300_000);

    it('Envoy comes back on its own, the clients reconnect to the primary, no acknowledged message is missing', () => {
      expectPassed(r.run, r.report, 1);
      expectCoherent(r.report, false);
      const c = r.report.crash!;
      expect(c.part).toBe('envoy');
      expect(c.killed).toMatch(/^Envoy \(pid \d+\)$/);
      expect(c.restarts).toBe(1);
      expect(c.backMs).not.toBeNull();
      expect(c.servingMs!).toBeGreaterThanOrEqual(c.backMs!);
      // Every partition acknowledged and received again after the kill: the clients reconnected.
      expect(c.producerRecoveryMs).not.toBeNull();
      expect(c.consumerRecoveryMs).not.toBeNull();
      expect(r.report.clients.ackedBy.secondary ?? 0).toBe(0);
      const md = readFileSync(join(r.dir, 'report.md'), 'utf8');
      expect(md).toContain('## Crash');
      expect(md).toMatch(/\| producer recovery \(kill → every partition acknowledged again\) \| \d+\.\d s \|/);
      expect(r.run.stdout).toMatch(/killed Envoy \(pid \d+\): running again after \d+\.\d s/);
    });
  });

  describe('broker-crash: the JVM of the broker leading partition 0 killed with SIGKILL', () => {
    let r: Awaited<ReturnType<typeof drill>>;
    beforeAll(async () => {
      r = await drill(rig!, 'broker-crash');
    }, 300_000);

    it('Kafka elects new leaders or the broker returns first, the clients recover on the primary, nothing acknowledged is lost', () => {
      expectPassed(r.run, r.report, 1);
      expectCoherent(r.report, false);
      const c = r.report.crash!;
      expect(c.part).toMatch(/^primary-broker-\d$/);
      expect(c.killed).toMatch(/^primary-broker-\d's JVM \(pid \d+\)$/);
      expect(c.ledPartitions).toContain(0);
      expect(c.restarts).toBe(1);
      // Measured: when the leadership moved, or null when the broker was back before the controller moved it.
      expect(c).toHaveProperty('leaderElectionMs');
      expect(c.producerRecoveryMs).not.toBeNull();
      expect(c.consumerRecoveryMs).not.toBeNull();
    });
  });
});

describe('the per-broker policy (the PoC layout): what the coherent policy fixes', () => {
  let rig: Rig | undefined;
  let loss: Awaited<ReturnType<typeof drill>>;
  let outage: Awaited<ReturnType<typeof drill>>;
  beforeAll(async () => {
    rig = await startRig({ name: 'drill-per-broker', portBase: 26000, healthCheck: FAST_HEALTH_CHECK, failover: { policy: 'per-broker' } });
    loss = await drill(rig, 'broker-loss');
    outage = await drill(rig, 'cluster-outage');
  }, 600_000);
  afterAll(async () => {
    await rig?.stop();
  });

  it('broker-loss: one listener moves on its own, a split, reported as the known behaviour of that layout', () => {
    expectPassed(loss.run, loss.report, 2);
    expect(loss.report.policy).toBe('per-broker');
    expect(loss.report.steps[0]!.observed.activeCluster).toBe('split');
    expect(loss.report.splitMs).toBeGreaterThan(0);
  });

  it('cluster-outage: after Envoy routes every listener back to the primary, the running producer stays on the secondary', () => {
    expectPassed(outage.run, outage.report, 2);
    expect(outage.report.steps[1]!.observed.activeCluster).toBe('primary');
    // Nothing closed its connections to the (healthy) secondary: a client left behind.
    expect(outage.report.lateClients?.runningProducerCluster).toBe('secondary');
    expect(outage.report.clientFailbackMs).toBeNull();
  });
});
