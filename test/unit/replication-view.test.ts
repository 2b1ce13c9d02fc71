/**
 * The replicator as `status` and `routing` show it (src/cli/replication-view.ts): the status section
 * (phase and flow, lag per topic and partition, MirrorMaker 2, the promotion, the last events), the
 * routing screen's line, a replicator that does not answer, answers that are not a replication view,
 * and the routing monitor reading it at most every 2 s.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Chalk } from 'chalk';
import { describe, expect, it } from 'vitest';
import {
  parseReplicationView,
  readReplication,
  replicationSection,
  replicationSummary,
  ReplicationPoller,
  replicatorUrlFor,
  type ReplicationReading,
  type ReplicationView,
} from '../../src/cli/replication-view.js';
import { screenLines } from '../../src/cli/routing-screen.js';
import { defaultTopology } from '../../src/config/topology.js';

const plain = new Chalk({ level: 0 });
const at = (h: number, m: number, s: number) => new Date(2026, 0, 1, h, m, s).getTime();
const NOW = at(12, 0, 10);

function view(over: Partial<ReplicationView> = {}): ReplicationView {
  return {
    phase: 'forward',
    since: at(11, 58, 0),
    flow: 'primary -> secondary',
    mm2: { pid: 4242, restarts: 0 },
    lag: { at: NOW - 1_500, byTopic: { 'test-topic': [5, 4, 3], other: [0] }, total: 12 },
    cycles: 1,
    events: [
      { at: at(11, 58, 0), text: 'first start: copying the primary to the secondary from its beginning' },
      { at: at(11, 59, 0), text: 'MirrorMaker 2 ended on its own (code 1); starting it again in 2 s' },
    ],
    ...over,
  };
}

describe('status: replication section', () => {
  it('shows the phase and flow, lag in total and per topic and partition, MirrorMaker 2, cycles and the last events', () => {
    const lines = replicationSection({ url: 'http://127.0.0.1:9903', reading: view(), part: { name: 'replicator', running: true, restarts: 0 } }, plain, NOW);
    expect(lines[0]).toBe('Replication running  http://127.0.0.1:9903');
    expect(lines).toContain('  phase     forward (primary -> secondary): the secondary copies the primary since 11:58:00');
    expect(lines).toContain('  lag       lag 12 records (read 1.5 s ago)');
    expect(lines).toContain('            test-topic: 12 records (p0 5, p1 4, p2 3)');
    expect(lines).toContain('            other: 0 records (p0 0)');
    expect(lines).toContain('  MM2       pid 4242, restarts 0');
    expect(lines).toContain('  cycles    1 (failover and failback cycles completed)');
    expect(lines.slice(-3)).toEqual([
      '  events',
      '    11:58:00  first start: copying the primary to the secondary from its beginning',
      '    11:59:00  MirrorMaker 2 ended on its own (code 1); starting it again in 2 s',
    ]);
    expect(lines.join('\n')).not.toContain('promoted');
  });

  it('promoted: no copy runs, when the secondary was promoted and where its own writes start; only the last events', () => {
    const promoted = view({
      phase: 'promoted',
      flow: undefined,
      lag: undefined,
      mm2: { restarts: 2 },
      promotion: { at: at(12, 0, 0), secondaryEnd: { 'test-topic': [100, 100, 34] } },
      events: Array.from({ length: 8 }, (_, i) => ({ at: at(12, 0, i), text: `event ${i}` })),
    });
    const lines = replicationSection({ url: 'http://x:9903', reading: promoted }, plain, NOW, 3);
    expect(lines[0]).toBe('Replication http://x:9903');
    expect(lines[1]).toMatch(/^ {2}phase {5}promoted: secondary promoted: nothing copies; writes since the promotion stay on the secondary until a failback since /);
    expect(lines).toContain('  lag       no lag: no copy runs');
    expect(lines).toContain('  MM2       not running, restarts 2');
    expect(lines).toContain('  promoted  12:00:00 (10.0 s ago; the secondary held 234 records: its own writes start there)');
    expect(lines.filter((l) => l.startsWith('    12:00:0'))).toEqual(['    12:00:05  event 5', '    12:00:06  event 6', '    12:00:07  event 7']);
  });

  it('a lag that could not be read says why; the supervisor restarts of the replicator process show', () => {
    const part = { name: 'replicator', running: true, restarts: 1, lastExit: 'was killed by SIGKILL', lastExitAt: '2026-01-01T11:00:00.000Z' };
    const lines = replicationSection({ url: 'http://x:9903', reading: view({ lag: undefined, lagError: 'timeout reading secondary' }), part }, plain, NOW);
    expect(lines[0]).toMatch(/^Replication running {2}http:\/\/x:9903 {2}restarts 1 \(last: was killed by SIGKILL \d\d:00:00\)$/);
    expect(lines).toContain('  lag       lag not read: timeout reading secondary');
  });

  it('a replicator that does not answer: the error, and that the runtime restarts it', () => {
    const reading: ReplicationReading = { error: 'the replicator at http://x:9903 did not answer (ECONNREFUSED)' };
    const lines = replicationSection({ url: 'http://x:9903', reading, part: { name: 'replicator', running: false, restarts: 0 } }, plain, NOW);
    expect(lines).toEqual([
      'Replication stopped  http://x:9903',
      '  the replicator at http://x:9903 did not answer (ECONNREFUSED)',
      '  the runtime restarts a crashed replicator; its log says why it stopped',
    ]);
  });

  it('colours: lag 0 green, lag above 0 yellow, an unreachable replicator red', () => {
    const c = new Chalk({ level: 1 });
    const caughtUp = replicationSection({ url: 'u', reading: view({ lag: { at: NOW, byTopic: { t: [0] }, total: 0 } }) }, c, NOW).join('\n');
    expect(caughtUp).toContain(c.green('lag 0 records'));
    expect(replicationSection({ url: 'u', reading: view() }, c, NOW).join('\n')).toContain(c.yellow('lag 12 records'));
    expect(replicationSection({ url: 'u', reading: { error: 'down' } }, c, NOW).join('\n')).toContain(c.red('down'));
  });
});

describe('routing: replication line', () => {
  it('phase, flow, lag with its age, per topic [per partition], and MirrorMaker 2 restarts when there were any', () => {
    expect(replicationSummary(view(), plain, NOW)).toBe('Replication forward primary -> secondary · lag 12 records (read 1.5 s ago) · test-topic 12 [5 4 3], other 0 [0]');
    expect(replicationSummary(view({ phase: 'reverse', flow: 'secondary -> primary', mm2: { restarts: 3 } }), plain, NOW)).toMatch(/^Replication reverse secondary -> primary · .* · MirrorMaker 2 restarts 3$/);
    expect(replicationSummary(view({ phase: 'promoted', flow: undefined, lag: undefined }), plain, NOW)).toBe('Replication promoted · no lag: no copy runs');
    expect(replicationSummary({ error: 'the replicator at u did not answer (ECONNREFUSED)' }, plain, NOW)).toBe('Replication replicator not answering: the replicator at u did not answer (ECONNREFUSED)');
  });

  it('the live screen shows the reading under the routing table, before the events', () => {
    const lines = screenLines({ adminUrl: 'http://x', intervalMs: 1000, events: [], replication: view(), now: NOW }, plain);
    const i = lines.findIndex((l) => l.startsWith('Replication forward'));
    expect(i).toBeGreaterThan(0);
    expect(lines.indexOf('Events')).toBeGreaterThan(i);
    expect(screenLines({ adminUrl: 'http://x', intervalMs: 1000, events: [], now: NOW }, plain).some((l) => l.startsWith('Replication'))).toBe(false);
  });

  it("the replicator's address: the Envoy host, replication.replicatorPort; none without replication", () => {
    const t = defaultTopology();
    const shadow = { ...t, replication: { ...t.replication, mode: 'shadow' as const, replicatorPort: 23903 } };
    expect(replicatorUrlFor('http://127.0.0.1:9901', shadow)).toBe('http://127.0.0.1:23903');
    expect(replicatorUrlFor('http://[::1]:9901', shadow)).toBe('http://[::1]:23903');
    expect(replicatorUrlFor('http://127.0.0.1:9901', t)).toBeUndefined();
    expect(replicatorUrlFor('http://127.0.0.1:9901', undefined)).toBeUndefined();
  });

  it('reads at most every 2 s and one read at a time, however often the routing poll pokes it', async () => {
    let now = 0;
    let reads = 0;
    let release: () => void = () => undefined;
    const got: ReplicationReading[] = [];
    const poller = new ReplicationPoller('u', (r) => got.push(r), () => {
      reads++;
      return new Promise((resolve) => (release = () => resolve(view())));
    }, 2_000, () => now);
    poller.poke();
    now = 2_500;
    poller.poke(); // the first read still runs
    expect(reads).toBe(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(got).toHaveLength(1);
    expect(poller.reading).toMatchObject({ phase: 'forward' });
    now = 2_600;
    poller.poke(); // 2.6 s after the first started
    now = 3_000;
    poller.poke();
    expect(reads).toBe(2);
    now = 4_599;
    release();
    await new Promise((r) => setImmediate(r));
    poller.poke();
    expect(reads).toBe(2);
    now = 4_600;
    poller.poke();
    expect(reads).toBe(3);
  });
});

describe('reading the replicator', () => {
  it('accepts its view, refuses what is not one with a clear message', () => {
    expect(parseReplicationView(JSON.parse(JSON.stringify(view())), 'u').phase).toBe('forward');
    expect(parseReplicationView({ phase: 'starting', since: 0, mm2: { restarts: 0 }, cycles: 0, events: [] }, 'u').phase).toBe('starting');
    const cases: [unknown, string][] = [
      ['nope', 'not a JSON object'],
      [{ ...view(), phase: 3 }, 'no phase'],
      [{ ...view(), cycles: undefined }, 'no since or cycles'],
      [{ ...view(), mm2: {} }, 'no mm2.restarts'],
      [{ ...view(), events: {} }, 'no events'],
      [{ ...view(), lag: { total: 1 } }, 'lag without total or byTopic'],
      [{ ...view(), lag: { at: 1, total: 1, byTopic: { t: ['1'] } } }, 'lag of t is not a number per partition'],
    ];
    for (const [body, why] of cases) {
      expect(() => parseReplicationView(body, 'http://x:9903')).toThrow(`the replicator at http://x:9903 answered something that is not a replication view (${why})`);
    }
  });

  it('never rejects: no answer, an HTTP error and a body that is not a view each become an `error`', async () => {
    const bodies: Record<string, [number, string]> = { '/ok': [200, JSON.stringify(view())], '/bad': [500, '{"error":"boom"}'], '/html': [200, '<html>'] };
    const server = createServer((req, res) => {
      const [status, body] = bodies[req.url!.replace('/v1/replication', '')] ?? [404, '{}'];
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
    // Port 0: whatever port is free, so no demo port is taken.
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      // The reader appends /v1/replication: these bases pick the answer.
      expect(await readReplication(`${url}/ok`)).toMatchObject({ phase: 'forward', lag: { total: 12 } });
      expect(await readReplication(`${url}/bad`)).toEqual({ error: `the replicator at ${url}/bad answered HTTP 500: boom` });
      expect(await readReplication(`${url}/html`)).toEqual({ error: `the replicator at ${url}/html answered something that is not a replication view (not a JSON object)` });
    } finally {
      await new Promise((r) => server.close(r));
    }
    // A port that was free a moment ago: nobody listens there.
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const gone = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((r) => closed.close(r));
    expect(await readReplication(gone)).toEqual({ error: `the replicator at ${gone} did not answer (ECONNREFUSED)` });
  });
});
