/**
 * The failover controller (the built dist/controller/main.js) driving a real Envoy through file-based
 * LDS, with a hand-written Envoy bootstrap so this test depends only on the controller: six tiny TCP
 * "brokers" (each greets with its name), one single-host Envoy cluster per broker with a fast TCP
 * health check, and three listeners loaded from a watched folder. It checks what the coherent policy
 * rests on: a rename into the watched folder moves every listener at once, and Envoy closes the client
 * connections to the old cluster so clients reconnect to the new one.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/util/paths.js';
import { ensureEnvoy } from '../../src/util/installs.js';
import { waitFor } from '../../src/util/wait.js';

const BASE = 28500;
const ADMIN = BASE; // Envoy admin
const API = BASE + 1; // controller
const LISTENER = (i: number) => BASE + 10 + i;
const BROKER_PORT = (c: Cluster, i: number) => BASE + (c === 'primary' ? 20 : 30) + i;
const POSITIONS = [0, 1, 2];
type Cluster = 'primary' | 'secondary';
const CLUSTERS: Cluster[] = ['primary', 'secondary'];

const dir = mkdtempSync(join(tmpdir(), 'fd-controller-'));
const procs: ChildProcess[] = [];
const brokers = new Map<string, { server?: Server; sockets: Set<Socket> }>();

/** A stand-in broker: greets every connection with its name, keeps it open. */
async function startBroker(c: Cluster, i: number): Promise<void> {
  const name = `${c}-broker-${i}`;
  const entry = brokers.get(name) ?? { sockets: new Set<Socket>() };
  brokers.set(name, entry);
  const server = createServer((s) => {
    entry.sockets.add(s);
    s.on('close', () => entry.sockets.delete(s));
    s.on('error', () => undefined);
    s.write(`${name}\n`);
  });
  await new Promise<void>((r) => server.listen(BROKER_PORT(c, i), '127.0.0.1', r));
  entry.server = server;
}

async function stopBroker(name: string): Promise<void> {
  const entry = brokers.get(name)!;
  for (const s of entry.sockets) s.destroy();
  await new Promise((r) => (entry.server ? entry.server.close(r) : r(undefined)));
  entry.server = undefined;
}

function ldsChoice(c: Cluster): string {
  return JSON.stringify({
    version_info: c,
    resources: POSITIONS.map((i) => ({
      '@type': 'type.googleapis.com/envoy.config.listener.v3.Listener',
      name: `kafka_${i}`,
      address: { socket_address: { address: '127.0.0.1', port_value: LISTENER(i) } },
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.tcp_proxy',
              typed_config: {
                '@type': 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy',
                stat_prefix: `kafka_${i}`,
                cluster: `${c}_broker_${i}`,
              },
            },
          ],
        },
      ],
    })),
  });
}

function bootstrap(): string {
  return JSON.stringify({
    node: { id: 'controller-test', cluster: 'controller-test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: ADMIN } } },
    dynamic_resources: {
      lds_config: {
        resource_api_version: 'V3',
        path_config_source: { path: join(dir, 'lds/listeners.yaml'), watched_directory: { path: join(dir, 'lds') } },
      },
    },
    static_resources: {
      clusters: CLUSTERS.flatMap((c) =>
        POSITIONS.map((i) => ({
          name: `${c}_broker_${i}`,
          type: 'STATIC',
          connect_timeout: '0.25s',
          common_lb_config: { healthy_panic_threshold: { value: 0 } },
          load_assignment: {
            cluster_name: `${c}_broker_${i}`,
            endpoints: [
              {
                lb_endpoints: [
                  {
                    endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: BROKER_PORT(c, i) } }, hostname: `${c}-broker-${i}` },
                  },
                ],
              },
            ],
          },
          health_checks: [
            {
              timeout: '0.2s',
              interval: '0.1s',
              no_traffic_interval: '0.1s',
              unhealthy_threshold: 1,
              healthy_threshold: 1,
              tcp_health_check: {},
            },
          ],
        })),
      ),
    },
  });
}

function controllerConfig(): string {
  return JSON.stringify({
    adminUrl: `http://127.0.0.1:${ADMIN}`,
    listen: { address: '127.0.0.1', port: API },
    quorum: 2,
    failback: 'auto',
    failbackHoldMs: 1_000,
    pollMs: 100,
    clusters: Object.fromEntries(CLUSTERS.map((c) => [c, POSITIONS.map((i) => ({ broker: `${c}-broker-${i}`, envoyClusters: [`${c}_broker_${i}`] }))])),
    lds: { file: 'lds/listeners.yaml', choices: { primary: 'choices/primary.yaml', secondary: 'choices/secondary.yaml' } },
    eventsFile: 'events.jsonl',
  });
}

function start(cmd: string, args: string[], log: string): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let text = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    text += d;
    writeFileSync(join(dir, log), text);
  });
  procs.push(child);
  return child;
}

/** Connects to a listener and resolves with the greeting and the socket (whose close we watch). */
function client(i: number): Promise<{ greeting: string; socket: Socket; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: LISTENER(i) });
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('error', reject);
    socket.on('data', (d: string) => {
      data += d;
      if (data.includes('\n')) resolve({ greeting: data.trim(), socket, closed });
    });
    closed.then(() => reject(new Error(`listener ${i} closed before a greeting`)));
  });
}

const greetings = async () => {
  const cs = await Promise.all(POSITIONS.map((i) => client(i)));
  for (const c of cs) c.socket.destroy();
  return cs.map((c) => c.greeting);
};

async function decision(): Promise<Record<string, any>> {
  const res = await fetch(`http://127.0.0.1:${API}/v1/decision`);
  if (!res.ok) throw new Error(`GET /v1/decision: ${res.status}`);
  return (await res.json()) as Record<string, any>;
}

beforeAll(async () => {
  const envoy = await ensureEnvoy();
  mkdirSync(join(dir, 'lds'));
  mkdirSync(join(dir, 'choices'));
  for (const c of CLUSTERS) writeFileSync(join(dir, `choices/${c}.yaml`), ldsChoice(c));
  // Envoy needs the listener file at start: the renderer writes the primary choice first.
  writeFileSync(join(dir, 'lds/listeners.yaml'), ldsChoice('primary'));
  writeFileSync(join(dir, 'envoy.json'), bootstrap());
  writeFileSync(join(dir, 'controller.json'), controllerConfig());
  for (const c of CLUSTERS) for (const i of POSITIONS) await startBroker(c, i);

  start(
    envoy,
    ['-c', join(dir, 'envoy.json'), '--drain-time-s', '0', '--drain-strategy', 'immediate', '--log-level', 'warn', '--base-id', String(BASE)],
    'envoy.log',
  );
  const main = join(PACKAGE_ROOT, 'dist/controller/main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build first`);
  start(process.execPath, [main, '--config', join(dir, 'controller.json')], 'controller.log');

  await waitFor(
    async () => {
      const d = await decision();
      return d.envoyReachable && d.healthy.primary === 3 && d.healthy.secondary === 3;
    },
    { what: 'Envoy up, every broker healthy, as the controller sees it', timeoutMs: 30_000 },
  );
}, 120_000);

afterAll(async () => {
  for (const p of procs) {
    if (p.exitCode === null && p.signalCode === null) {
      p.kill('SIGTERM');
      await waitFor(() => p.exitCode !== null || p.signalCode !== null, { what: 'a child to exit', timeoutMs: 10_000 }).catch(() => p.kill('SIGKILL'));
    }
  }
  for (const name of brokers.keys()) await stopBroker(name);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

describe('controller with a real Envoy', () => {
  it('moves every listener to the secondary when the primary loses quorum, closing the connections to the primary, and fails back after the hold', async () => {
    expect(await greetings()).toEqual(['primary-broker-0', 'primary-broker-1', 'primary-broker-2']);

    // A client connected through listener 0 to primary-broker-0, which stays up.
    const held = await client(0);
    expect(held.greeting).toBe('primary-broker-0');

    // One primary broker down: no failover.
    await stopBroker('primary-broker-2');
    await waitFor(async () => (await decision()).healthy.primary === 2, { what: 'primary 2/3 healthy', timeoutMs: 10_000 });
    expect((await decision()).active).toBe('primary');

    // A second one down: every listener moves to the secondary at once ...
    await stopBroker('primary-broker-1');
    await waitFor(async () => (await decision()).active === 'secondary', { what: 'failover to the secondary', timeoutMs: 10_000 });
    expect(readFileSync(join(dir, 'lds/listeners.yaml'), 'utf8')).toBe(ldsChoice('secondary'));
    await waitFor(async () => (await greetings()).every((g) => g.startsWith('secondary-')), {
      what: 'every listener to reach the secondary',
      timeoutMs: 10_000,
    });
    expect(await greetings()).toEqual(['secondary-broker-0', 'secondary-broker-1', 'secondary-broker-2']);

    // ... and Envoy closed the connection that still went to a running primary broker.
    let heldClosed = false;
    void held.closed.then(() => (heldClosed = true));
    await waitFor(() => heldClosed, {
      what: 'Envoy to close the client connection to primary-broker-0',
      timeoutMs: 10_000,
    });

    // Planned switch back while the primary lacks quorum: refused.
    const refused = await fetch(`http://127.0.0.1:${API}/v1/switch?to=primary`, { method: 'POST' });
    expect(refused.status).toBe(409);

    // The primary recovers: after the 1 s hold, back to the primary.
    await startBroker('primary', 1);
    await startBroker('primary', 2);
    await waitFor(async () => (await decision()).active === 'primary', { what: 'auto failback to the primary', timeoutMs: 15_000 });
    await waitFor(async () => (await greetings()).every((g) => g.startsWith('primary-')), {
      what: 'every listener back on the primary',
      timeoutMs: 10_000,
    });
    const d = await decision();
    expect(d.reason).toMatch(/^every primary broker healthy for \d+\.\d s \(hold 1 s\)$/);
    expect(d.events.map((e: { kind: string; to?: string }) => `${e.kind}${e.to ? `→${e.to}` : ''}`)).toEqual(
      expect.arrayContaining(['decision→secondary', 'decision→primary']),
    );
  });
});
