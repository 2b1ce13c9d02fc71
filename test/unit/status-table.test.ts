/**
 * The broker table of `failover-demo status` (statusTable / formatTable in src/runtime/status-report.ts):
 * columns as wide as their widest cell plus two spaces, so 12-character container ids, pids and long
 * states never run into the next column, and colours never shift one.
 */
import { describe, expect, it } from 'vitest';
import { Chalk } from 'chalk';
import { replicationSection } from '../../src/cli/replication-view.js';
import { COLUMN_GAP, formatTable, statusTable, type Paint, type StatusReport } from '../../src/runtime/status-report.js';
import type { BrokerStatus } from '../../src/runtime/types.js';

function report(brokers: BrokerStatus[], healthy: Record<string, boolean> = {}): StatusReport {
  return {
    runtime: 'docker',
    project: '/tmp/demo',
    envoyRunning: true,
    brokers,
    endpoints: { envoyAdminUrl: 'http://127.0.0.1:9901', bootstrap: ['127.0.0.1:9092'], direct: { primary: [], secondary: [] } },
    envoy: {
      reachable: true,
      endpoints: Object.entries(healthy).map(([host, h]) => ({ listener: 'broker_0_cluster', host, cluster: 'primary', priority: 0, healthy: h, flags: [] })),
    },
  };
}

const broker = (name: string, running: boolean, id?: string, recoveryMode = false): BrokerStatus => ({
  name,
  cluster: name.startsWith('primary') ? 'primary' : 'secondary',
  index: Number(name.at(-1)),
  running,
  recoveryMode,
  ...(id ? { id } : {}),
});

/** Start offset of each column after the first, from the header line. */
function columnStarts(header: string, names: string[]): number[] {
  return names.slice(1).map((n) => header.indexOf(n));
}

/** Every line has each column start at the header's offset, with at least COLUMN_GAP spaces before it. */
function expectAligned(lines: string[], starts: number[]): void {
  for (const line of lines) {
    for (const at of starts) {
      expect(line.slice(at - COLUMN_GAP, at), `${JSON.stringify(line)} at ${at}`).toBe(' '.repeat(COLUMN_GAP));
      expect(line[at], `${JSON.stringify(line)} at ${at}`).not.toBe(' ');
    }
    expect(line).toBe(line.trimEnd());
  }
}

describe('status table', () => {
  it('12-character container ids keep two spaces before the recovery column (was "running 57d5d66604f1on")', () => {
    const text = statusTable(
      report(
        [
          broker('primary-broker-0', true, '57d5d66604f1', true),
          broker('primary-broker-1', false),
          broker('secondary-broker-0', true, 'a1b2c3d4e5f6'),
        ],
        { 'primary-broker-0': true, 'secondary-broker-0': false },
      ),
    );
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(text).not.toContain('57d5d66604f1on');
    expect(lines[1]).toMatch(/^primary-broker-0 {2,}running 57d5d66604f1 {2,}on {2,}healthy$/);
    expect(lines[2]).toMatch(/^primary-broker-1 {2,}stopped {2,}off {2,}not an endpoint$/);
    expect(lines[3]).toMatch(/^secondary-broker-0 {2,}running a1b2c3d4e5f6 {2,}off {2,}unhealthy$/);
    expectAligned(lines, columnStarts(lines[0]!, ['broker', 'process', 'recovery', 'envoy']));
  });

  it('pids (local runtime) align the same way, and "running" alone without an id', () => {
    const lines = statusTable(report([broker('primary-broker-0', true, '4194301'), broker('primary-broker-1', true)])).trimEnd().split('\n');
    expect(lines[2]).toMatch(/^primary-broker-1 {2,}running {2,}off/);
    expectAligned(lines, columnStarts(lines[0]!, ['broker', 'process', 'recovery', 'envoy']));
  });

  it('long states ("running, health unhealthy") keep the columns apart and aligned', () => {
    const lines = formatTable([
      [{ text: 'broker' }, { text: 'state' }, { text: 'id' }, { text: 'envoy' }],
      [{ text: 'primary-broker-0' }, { text: 'running, health unhealthy' }, { text: '57d5d66604f1' }, { text: 'unhealthy' }],
      [{ text: 'secondary-broker-12' }, { text: 'exited, exit code 137' }, { text: '1234' }, { text: 'healthy' }],
      [{ text: 'b' }, { text: 'up' }, { text: '7' }, { text: '?' }],
    ]);
    expectAligned(lines, columnStarts(lines[0]!, ['broker', 'state', 'id', 'envoy']));
    // Exactly the widest cell plus the gap.
    expect(lines[1]).toBe(`primary-broker-0     running, health unhealthy  57d5d66604f1  unhealthy`);
  });

  it('colours wrap the text but the padding comes from the plain text', () => {
    const ansi: Paint = (text, tone) => (tone === 'plain' ? text : `\u001b[3${tone.length}m${text}\u001b[39m`);
    const r = report([broker('primary-broker-0', true, '57d5d66604f1', true), broker('secondary-broker-0', false)], { 'primary-broker-0': true });
    const painted = statusTable(r, ansi);
    expect(painted).toContain('\u001b[');
    expect(painted.replace(/\u001b\[\d+m/g, '')).toBe(statusTable(r));
  });
});

describe('status table: restarts', () => {
  it('adds a restarts column when the runtime reports its parts: count, last exit and its time, or why the supervisor gave up', () => {
    const base = report([broker('primary-broker-0', true, '101'), broker('primary-broker-1', true, '102'), broker('primary-broker-2', false)]);
    const parts = [
      { name: 'primary-broker-0', running: true, restarts: 0 },
      { name: 'primary-broker-1', running: true, restarts: 2, lastExit: 'was killed by SIGKILL', lastExitAt: '2026-11-29T12:01:02.345Z' },
      { name: 'primary-broker-2', running: false, restarts: 4, lastExit: 'exited with code 1', gaveUp: { reason: 'exited with code 1; 5 crashes within 60 s', logTail: 'boom' } },
    ];
    const lines = statusTable({ ...base, parts }).trimEnd().split('\n');
    expect(lines[0]).toMatch(/^broker {2,}process {2,}recovery {2,}envoy {2,}restarts$/);
    expect(lines[1]).toMatch(/ {2}0$/);
    expect(lines[2]).toMatch(/ {2}2 \(last: was killed by SIGKILL 12:01:02\)$/);
    expect(lines[3]).toMatch(/ {2}gave up: exited with code 1; 5 crashes within 60 s$/);
    expectAligned(lines, columnStarts(lines[0]!, ['broker', 'process', 'recovery', 'envoy', 'restarts']));
  });
});

describe('status: the replicator part (replication.mode: shadow)', () => {
  it('is no broker row, and its supervisor restarts show in the replication section (test/unit/replication-view.test.ts has the rest)', () => {
    const base = report([broker('primary-broker-0', true, '101')]);
    const replicator = { name: 'replicator', running: true, restarts: 3, lastExit: 'exited with code 1', lastExitAt: '2026-11-29T12:01:02.345Z' };
    const parts = [{ name: 'envoy', running: true, restarts: 0 }, replicator, { name: 'primary-broker-0', running: true, restarts: 0 }];
    const lines = statusTable({ ...base, parts }).trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines.join('\n')).not.toContain('replicator');
    const reading = { phase: 'forward', since: 0, mm2: { restarts: 0 }, cycles: 0, events: [] } as const;
    const section = replicationSection({ url: 'http://127.0.0.1:9903', reading: { ...reading, events: [] }, part: replicator }, new Chalk({ level: 0 }), 0);
    expect(section[0]).toBe('Replication running  http://127.0.0.1:9903  restarts 3 (last: exited with code 1 12:01:02)');
  });
});
