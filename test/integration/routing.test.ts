/**
 * `failover-demo routing` against the local rig's real Envoy and Kafka brokers: the one-shot JSON
 * follows primary → split → secondary → primary as brokers stop and start, and a monitor left running
 * in the background (not a TTY, --json) logs each of those transitions.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect as netConnect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa, type ResultPromise } from 'execa';
import { brokersOf } from '../../src/config/topology.js';
import type { RoutingEvent, RoutingSnapshot } from '../../src/envoy/routing.js';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { waitFor } from '../../src/util/wait.js';
import { FAST_HEALTH_CHECK, startRig, type Rig } from './rig.js';

const PORT_BASE = 22000;
const BIN = join(PACKAGE_ROOT, 'bin', 'failover-demo.js');

let rig: Rig;

beforeAll(async () => {
  rig = await startRig({ name: 'routing', portBase: PORT_BASE, healthCheck: FAST_HEALTH_CHECK });
}, 300_000);

afterAll(async () => {
  await rig?.stop();
}, 60_000);

/** `routing --once --json` through the CLI (admin URL from the rig's state.json). */
async function once(): Promise<RoutingSnapshot> {
  const r = await rig.cli(['routing', '--once', '--json']);
  expect(r.stderr).toBe('');
  expect(r.exitCode).toBe(0);
  const lines = r.stdout.trim().split('\n');
  expect(lines).toHaveLength(1);
  return JSON.parse(lines[0]!) as RoutingSnapshot;
}

async function untilState(state: RoutingSnapshot['activeCluster'], timeoutMs = 90_000): Promise<RoutingSnapshot> {
  return waitFor(async () => {
    const s = await once();
    return s.activeCluster === state ? s : undefined;
  }, { what: `routing --once --json to report ${state}`, timeoutMs, intervalMs: 100 });
}

/** A live monitor in the background: not a TTY, one JSON object per line. */
function startMonitor(args: string[] = []): { proc: ResultPromise; lines: () => string[] } {
  const proc = execa(process.execPath, [BIN, 'routing', '--json', '--interval', '200', ...args], {
    env: { FAILOVER_DEMO_DIR: rig.project, NO_COLOR: '1' },
    reject: false,
    stdin: 'ignore',
    buffer: true,
  });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  return { proc, lines: () => out.split('\n').filter((l) => l.trim() !== '') };
}

const routesTo = (s: RoutingSnapshot) => s.listeners.map((l) => l.routesTo);

function connect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: '127.0.0.1', port }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/** Event-log entries of a JSON monitor's output lines. */
const events = (lines: string[]): RoutingEvent[] => lines.flatMap((l) => (JSON.parse(l) as { events?: RoutingEvent[] }).events ?? []);

/** The overall states the log went through: "routing: primary (…)", "routing: a → b (…)" → [primary, b, …]. */
const states = (log: RoutingEvent[]): string[] =>
  log.filter((e) => e.kind === 'state').map((e) => /^routing: (?:\S+ → )?(\w+)/.exec(e.message)![1]!);

describe('routing on the local rig', () => {
  it('follows primary → split → secondary → primary, and the running monitor logs every transition', async () => {
    const monitor = startMonitor();
    try {
      await waitFor(() => monitor.lines().length > 0, { what: 'first monitor line', timeoutMs: 30_000 });

      // healthy: the JSON contract of the design notes
      const healthy = await untilState('primary');
      expect(routesTo(healthy)).toEqual(['primary', 'primary', 'primary']);
      expect(healthy.listeners.map((l) => l.name)).toEqual(['broker_0_cluster', 'broker_1_cluster', 'broker_2_cluster']);
      for (const h of healthy.listeners.flatMap((l) => l.hosts)) {
        expect(h).toEqual(expect.objectContaining({ host: expect.any(String), cluster: expect.any(String), priority: expect.any(Number), healthy: true, flags: [] }));
      }
      expect(healthy.listeners[0]!.hosts.map((h) => [h.host, h.cluster, h.priority])).toEqual([
        ['primary-broker-0', 'primary', 0],
        ['secondary-broker-0', 'secondary', 1],
      ]);

      // one primary broker stopped: its listener alone moves
      await rig.runtime.stopBroker('primary-broker-0');
      const split = await untilState('split');
      expect(routesTo(split)).toEqual(['secondary', 'primary', 'primary']);
      expect(split.listeners[0]!.routesToHost).toBe('secondary-broker-0');
      expect(split.listeners[0]!.hosts[0]!.flags).toContain('failed_active_hc');
      expect(split.clusters.find((c) => c.name === 'primary')).toEqual({ name: 'primary', healthy: 2, total: 3 });
      // ... and that is where Envoy really sends new connections: a TCP connection to listener 0 lands on
      // secondary-broker-0, one to listener 1 on primary-broker-1 (Envoy's cx_active per host).
      const sockets = await Promise.all([0, 1].map((i) => connect(rig.topology.envoy.listenerPort + i)));
      try {
        const seen = await waitFor(async () => {
          const s = await once();
          const cx = (l: number, h: number) => s.listeners[l]!.hosts[h]!.activeConnections ?? 0;
          return cx(0, 1) >= 1 && cx(1, 0) >= 1 ? s : undefined;
        }, { what: 'the two connections to show up on secondary-broker-0 and primary-broker-1', timeoutMs: 30_000 });
        expect(seen.listeners[0]!.hosts[0]!.activeConnections).toBe(0);
        expect(seen.listeners[1]!.hosts[1]!.activeConnections).toBe(0);
        expect(seen.listeners[0]!.hosts[1]!.totalConnections).toBeGreaterThanOrEqual(1);
      } finally {
        for (const s of sockets) s.destroy();
      }

      // the other primary brokers stopped too: everything on the secondary cluster
      await Promise.all(['primary-broker-1', 'primary-broker-2'].map((b) => rig.runtime.stopBroker(b)));
      const secondary = await untilState('secondary');
      expect(routesTo(secondary)).toEqual(['secondary', 'secondary', 'secondary']);

      // restarted one by one through the CLI, as a person would (the first broker waits for its peers
      // instead of blocking the command): back to primary
      for (const b of brokersOf(rig.topology, 'primary')) {
        const started = await rig.cli(['broker', 'start', b.name]);
        expect(started.exitCode, started.stderr).toBe(0);
      }
      const back = await untilState('primary');
      expect(back.listeners.flatMap((l) => l.hosts).every((h) => h.healthy)).toBe(true);

      // the monitor saw the failback too (brokers come back one by one: possibly via split)
      await waitFor(() => states(events(monitor.lines())).at(-1) === 'primary' && states(events(monitor.lines())).length > 1, {
        what: 'the monitor to log the failback to primary',
        timeoutMs: 30_000,
      });
    } finally {
      monitor.proc.kill('SIGINT');
    }
    const result = await monitor.proc;
    expect(result.exitCode).toBe(0);
    const objects = monitor.lines().map((l) => JSON.parse(l) as { error?: string });
    expect(objects.filter((o) => o.error)).toEqual([]);
    const log = events(monitor.lines());
    // each transition, in order: primary → split → secondary → (split while brokers return) → primary
    expect(states(log).join(' ')).toMatch(/^primary split secondary (split )?primary$/);
    expect(log.map((e) => e.message)).toContain('listener 0: primary-broker-0 failed active health check → routing to secondary-broker-0');
    expect(log.filter((e) => e.kind === 'routing' && e.listener === 'broker_0_cluster').at(-1)!.message).toBe(
      'listener 0: primary-broker-0 healthy again → routing to primary-broker-0',
    );
    // event timestamps are real, increasing epoch ms
    const times = log.map((e) => e.at);
    expect([...times].sort((a, b) => a - b)).toEqual(times);
    expect(times[0]).toBeGreaterThan(Date.now() - 600_000);
  }, 360_000);

  it('keeps polling through a malformed answer (one error line) until Envoy answers, and Ctrl+C exits 0', async () => {
    // A stand-in "admin API": the first reads get a truncated document, later ones a captured real one.
    const healthyDoc = JSON.stringify(JSON.parse(readFileSync(join(PACKAGE_ROOT, 'test', 'fixtures', 'envoy', 'healthy.json'), 'utf8')).clusters);
    let clusterReads = 0;
    const server = createServer((req, res) => {
      if (!req.url?.startsWith('/clusters')) return void res.writeHead(404).end();
      clusterReads++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(clusterReads <= 5 ? healthyDoc.slice(0, 200) : healthyDoc);
    });
    await new Promise<void>((resolve) => server.listen(PORT_BASE + 998, '127.0.0.1', resolve));
    const monitor = startMonitor(['--admin', `http://127.0.0.1:${PORT_BASE + 998}`, '--interval', '100']);
    try {
      await waitFor(() => monitor.lines().some((l) => JSON.parse(l).activeCluster), { what: 'a snapshot after the errors', timeoutMs: 30_000 });
    } finally {
      monitor.proc.kill('SIGINT');
    }
    const result = await monitor.proc;
    server.close();
    expect(result.exitCode).toBe(0);
    expect(clusterReads).toBeGreaterThan(5);
    const [first, second] = monitor.lines().map((l) => JSON.parse(l));
    expect(first.error).toMatch(/^Envoy admin unreachable at http:\/\/127\.0\.0\.1:\d+\/clusters \(malformed JSON: .*\), retrying$/);
    expect(second.activeCluster).toBe('primary');
  }, 60_000);

  it('--once fails with a clear message when nothing answers', async () => {
    const url = `http://127.0.0.1:${PORT_BASE + 999}`; // nothing listens there
    const r = await rig.cli(['routing', '--once', '--admin', url]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`error: Envoy admin unreachable at ${url}/clusters (connection refused)`);
    expect(r.stdout).toBe('');
  });

  it('rejects a bad --interval or --admin with a clear error', async () => {
    const bad = await rig.cli(['routing', '--interval', '1s']);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('--interval must be a whole number of milliseconds');
    const badUrl = await rig.cli(['routing', '--once', '--admin', 'http://envoy:99999']);
    expect(badUrl.exitCode).toBe(1);
    expect(badUrl.stderr).toContain('--admin:');
  });
});
