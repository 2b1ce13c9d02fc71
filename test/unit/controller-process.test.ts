/**
 * The controller and its supervisor as real processes: src/controller/ transpiled alone into a temp
 * folder (as it is mounted alone into a container that has only node: this also proves it imports
 * nothing else), run against a fake Envoy admin server whose /clusters document the test changes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../src/util/wait.js';
import { transpileFolder } from '../support/transpile.js';

const ADMIN_PORT = 20584;
const API_PORT = 20585;
const API = `http://127.0.0.1:${API_PORT}`;

let root: string;
let bin: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'controller-proc-'));
  bin = join(root, 'controller');
  transpileFolder(join(import.meta.dirname, '../../src/controller'), bin);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the controller folder is self-contained', () => {
  it('imports only node: built-ins and its own files', () => {
    for (const f of readdirSync(bin)) {
      const text = readFileSync(join(bin, f), 'utf8');
      for (const m of text.matchAll(/\bfrom\s+['"]([^'"]+)['"]|\bimport\s*\(\s*['"]([^'"]+)['"]/g)) {
        const spec = m[1] ?? m[2]!;
        expect(spec.startsWith('node:') || (spec.startsWith('./') && existsSync(join(bin, spec))), `${f} imports ${spec}`).toBe(true);
      }
    }
  });
});

// ---- a fake Envoy admin ----

type Health = Record<string, boolean>; // broker → healthy
let admin: Server | undefined;
let adminMode: 'ok' | 'down' | 'malformed' = 'ok';
let health: Health = {};
const brokerNames = ['primary', 'secondary'].flatMap((c) => [0, 1, 2].map((i) => `${c}-broker-${i}`));
const setHealth = (unhealthy: string[] = []) => {
  health = Object.fromEntries(brokerNames.map((b) => [b, !unhealthy.includes(b)]));
};

function clustersDoc() {
  return {
    cluster_statuses: brokerNames.map((b) => ({
      name: b.replaceAll('-', '_'),
      host_statuses: [
        {
          address: { socket_address: { address: '127.0.0.1', port_value: 9092 } },
          hostname: b,
          health_status: health[b] ? { eds_health_status: 'HEALTHY' } : { failed_active_health_check: true, eds_health_status: 'HEALTHY' },
          stats: [{ type: 'GAUGE', name: 'cx_active', value: b.startsWith('primary') ? '2' : '1' }],
        },
      ],
    })),
  };
}

async function startAdmin(): Promise<void> {
  admin = createServer((req, res) => {
    if (adminMode === 'down') {
      res.writeHead(503).end('no');
    } else if (req.url === '/clusters?format=json') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(adminMode === 'malformed' ? '{"nope":1}' : JSON.stringify(clustersDoc()));
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => admin!.listen(ADMIN_PORT, '127.0.0.1', r));
}

// ---- the controller's files and process ----

interface Rig {
  dir: string;
  config: string;
  lds: string;
  choice: { primary: string; secondary: string };
  events: string;
}

function makeRig(failback: 'auto' | 'manual' = 'manual'): Rig {
  const dir = mkdtempSync(join(root, 'rig-'));
  mkdirSync(join(dir, 'choices'));
  mkdirSync(join(dir, 'lds'));
  const choice = {
    primary: 'resources:\n- name: kafka_0\n  # → primary-broker-0\n',
    secondary: 'resources:\n- name: kafka_0\n  # → secondary-broker-0\n',
  };
  writeFileSync(join(dir, 'choices/primary.yaml'), choice.primary);
  writeFileSync(join(dir, 'choices/secondary.yaml'), choice.secondary);
  const config = join(dir, 'controller.json');
  writeFileSync(
    config,
    JSON.stringify({
      adminUrl: `http://127.0.0.1:${ADMIN_PORT}`,
      listen: { address: '127.0.0.1', port: API_PORT },
      quorum: 2,
      failback,
      failbackHoldMs: 300,
      startupGraceMs: 0,
      pollMs: 50,
      clusters: Object.fromEntries(
        ['primary', 'secondary'].map((c) => [c, [0, 1, 2].map((i) => ({ broker: `${c}-broker-${i}`, envoyClusters: [`${c}_broker_${i}`] }))]),
      ),
      lds: { file: 'lds/listeners.yaml', choices: { primary: 'choices/primary.yaml', secondary: 'choices/secondary.yaml' } },
      eventsFile: 'events.jsonl',
    }),
  );
  return { dir, config, lds: join(dir, 'lds/listeners.yaml'), choice, events: join(dir, 'events.jsonl') };
}

interface Proc {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}
const procs: Proc[] = [];

function run(script: string, args: string[]): Proc {
  const child = spawn(process.execPath, [join(bin, script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (err += c));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const p = { child, stderr: () => err, exited };
  procs.push(p);
  return p;
}

async function stop(p: Proc) {
  if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
  return p.exited;
}

afterEach(async () => {
  for (const p of procs.splice(0)) {
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }
  await new Promise((r) => (admin ? admin.close(r) : r(undefined)));
  admin = undefined;
  adminMode = 'ok';
});

const ldsText = (rig: Rig) => (existsSync(rig.lds) ? readFileSync(rig.lds, 'utf8') : undefined);

async function decision(): Promise<Record<string, any>> {
  const res = await fetch(`${API}/v1/decision`);
  if (res.status !== 200) throw new Error(`GET /v1/decision: ${res.status}`);
  return (await res.json()) as Record<string, any>;
}

/** The next decision whose poll started after now (so it reflects what the fake admin serves now). */
async function freshDecision(): Promise<Record<string, any>> {
  const after = Date.now();
  return waitFor(
    async () => {
      const d = await decision();
      return d.lastPollAt && Date.parse(d.lastPollAt) > after ? d : undefined;
    },
    { what: 'a poll after the change', timeoutMs: 5_000, intervalMs: 20 },
  );
}

const post = async (to: string) => {
  const res = await fetch(`${API}/v1/switch?to=${to}`, { method: 'POST' });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
};

describe('controller process', () => {
  it('fails over, reports it, refuses a switch to a cluster without quorum, and resumes from the file after a restart', async () => {
    await startAdmin();
    setHealth();
    const rig = makeRig('manual');

    const first = run('main.js', ['--config', rig.config]);
    // No listener file yet: the primary choice is written.
    await waitFor(() => ldsText(rig) === rig.choice.primary, { what: 'the primary choice written', timeoutMs: 10_000, intervalMs: 20 });
    const d0 = await waitFor(async () => ((await decision()).envoyReachable ? decision() : undefined), {
      what: 'the first poll',
      timeoutMs: 10_000,
      intervalMs: 20,
    });
    expect(d0).toEqual(
      expect.objectContaining({
        policy: 'coherent',
        active: 'primary',
        activeCluster: 'primary',
        quorum: 2,
        failback: 'manual',
        failbackHoldMs: 300,
        pendingFailbackSince: null,
        healthy: { primary: 3, secondary: 3 },
        total: { primary: 3, secondary: 3 },
        connections: { primary: 6, secondary: 3 },
        envoyReachable: true,
      }),
    );
    expect(await (await fetch(`${API}/healthz`)).text()).toBe('ok\n');

    // One primary broker down: not a failover.
    setHealth(['primary-broker-0']);
    const d1 = await freshDecision();
    expect(d1.healthy).toEqual({ primary: 2, secondary: 3 });
    expect(d1.active).toBe('primary');
    expect(ldsText(rig)).toBe(rig.choice.primary);

    // Primary below quorum: every listener moves to the secondary.
    setHealth(['primary-broker-0', 'primary-broker-2']);
    await waitFor(() => ldsText(rig) === rig.choice.secondary, { what: 'the secondary choice written', timeoutMs: 5_000, intervalMs: 20 });
    const d2 = await decision();
    expect(d2).toEqual(
      expect.objectContaining({
        active: 'secondary',
        activeCluster: 'secondary',
        reason: 'primary has 1/3 healthy, quorum 2; secondary has 3/3',
        pinned: false,
      }),
    );
    expect(d2.events.at(-1)).toEqual(expect.objectContaining({ kind: 'decision', from: 'primary', to: 'secondary' }));
    expect(readdirSync(join(rig.dir, 'lds'))).toEqual(['listeners.yaml']); // no temp file left behind

    // A planned switch back to a primary without quorum is refused; bad requests are 400/404/405.
    const refused = await post('primary');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toBe('refused: primary has 1/3 healthy brokers, below quorum 2');
    expect(ldsText(rig)).toBe(rig.choice.secondary);
    expect((await post('tertiary')).status).toBe(400);
    expect((await fetch(`${API}/v1/nope`)).status).toBe(404);
    expect((await fetch(`${API}/v1/switch?to=primary`)).status).toBe(405);

    // Envoy unreachable / malformed: the decision stays, reported once per change.
    adminMode = 'down';
    await waitFor(async () => (await decision()).envoyReachable === false, { what: 'envoyReachable false', timeoutMs: 5_000, intervalMs: 20 });
    setHealth(['secondary-broker-0', 'secondary-broker-1']); // would be a failover, but it cannot be seen
    adminMode = 'malformed';
    const d3 = await freshDecision();
    expect(d3.envoyReachable).toBe(false);
    expect(d3.active).toBe('secondary');
    expect(d3.events.filter((e: { kind: string }) => e.kind === 'envoy-unreachable')).toHaveLength(1);
    expect(ldsText(rig)).toBe(rig.choice.secondary);
    setHealth(['primary-broker-0', 'primary-broker-2']);
    adminMode = 'ok';
    await waitFor(async () => (await decision()).envoyReachable === true, { what: 'envoyReachable true', timeoutMs: 5_000, intervalMs: 20 });

    expect(await stop(first)).toEqual({ code: 0, signal: null });
    const kinds = readFileSync(rig.events, 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { kind: string }).kind);
    expect(kinds).toEqual(['start', 'envoy-reachable', 'decision', 'envoy-unreachable', 'envoy-reachable']);

    // Restarted with every broker healthy (manual failback): it resumes on the secondary, from the file.
    setHealth();
    const second = run('main.js', ['--config', rig.config]);
    const d4 = await waitFor(
      async () => {
        const d = await decision();
        return d.envoyReachable ? d : undefined;
      },
      { what: 'the restarted controller to poll', timeoutMs: 10_000, intervalMs: 20 },
    );
    expect(d4.active).toBe('secondary');
    expect(d4.events[0]).toEqual(expect.objectContaining({ kind: 'start', to: 'secondary' }));
    expect(d4.events[0].reason).toMatch(/^resumed: /);
    await freshDecision();
    expect(ldsText(rig)).toBe(rig.choice.secondary);

    // Now the planned switch to the primary goes through.
    const ok = await post('primary');
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual(expect.objectContaining({ active: 'primary', activeCluster: 'primary', pinned: true }));
    expect(ldsText(rig)).toBe(rig.choice.primary);
    const again = await post('primary');
    expect(again.status).toBe(200);
    expect(again.body.note).toContain('already active');

    expect(await stop(second)).toEqual({ code: 0, signal: null });
  });

  it('fails back automatically after the hold, and leaves an unknown listener file alone until it has seen Envoy', async () => {
    const rig = makeRig('auto');
    writeFileSync(rig.lds, 'stale render\n');
    setHealth(['primary-broker-0', 'primary-broker-1']);
    const p = run('main.js', ['--config', rig.config]);
    // Envoy not up yet: the file is not touched.
    await waitFor(async () => (await decision()).lastPollAt !== null, { what: 'a poll', timeoutMs: 10_000, intervalMs: 20 });
    await freshDecision();
    expect(ldsText(rig)).toBe('stale render\n');

    // Envoy answers with the primary below quorum: the first decision fails over and writes the file.
    await startAdmin();
    await waitFor(() => ldsText(rig) === rig.choice.secondary, { what: 'the secondary choice written', timeoutMs: 5_000, intervalMs: 20 });

    // The primary recovers: after the 300 ms hold, back to the primary.
    setHealth();
    const pending = await waitFor(async () => (await decision()).pendingFailbackSince ?? undefined, {
      what: 'a pending failback',
      timeoutMs: 5_000,
      intervalMs: 10,
    });
    expect(typeof pending).toBe('string');
    await waitFor(() => ldsText(rig) === rig.choice.primary, { what: 'failback to the primary', timeoutMs: 5_000, intervalMs: 20 });
    // The file is renamed during the poll; the decision view is published when the poll finishes.
    const d = await waitFor(async () => {
      const x = await decision();
      return x.active === 'primary' ? x : undefined;
    }, { what: 'the decision to show the failback', timeoutMs: 5_000, intervalMs: 20 });
    expect(d.reason).toMatch(/^every primary broker healthy for \d+\.\d s \(hold 0\.3 s\)$/);
    expect(await stop(p)).toEqual({ code: 0, signal: null });
  });

  it('a bad config exits 2 with one line naming the key', async () => {
    const rig = makeRig();
    const cfg = JSON.parse(readFileSync(rig.config, 'utf8')) as Record<string, unknown>;
    cfg.quorum = 7;
    writeFileSync(rig.config, JSON.stringify(cfg));
    const p = run('main.js', ['--config', rig.config]);
    expect(await p.exited).toEqual({ code: 2, signal: null });
    expect(p.stderr()).toBe('controller: bad config: quorum: must be from 1 to 3, got 7\n');
  });
});
