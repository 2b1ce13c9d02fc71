/**
 * The dashboard's server (src/drill/dashboard-server.ts) on a loopback port with a scripted snapshot
 * source: the page, `init` then `tick` server-sent events from the monitor loop, a read error as an
 * event, and the action endpoint: absent (404) without actions; with them, POST only, the page's header
 * required, unknown ids 404, and a known one runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SnapshotSource } from '../../src/envoy/monitor.js';
import type { RoutingSnapshot } from '../../src/envoy/routing-types.js';
import { startDashboardServer, type DashboardActions, type DashboardServer } from '../../src/drill/dashboard-server.js';

function snapshot(active: RoutingSnapshot['activeCluster']): RoutingSnapshot {
  return { at: Date.now(), activeCluster: active, listeners: [], clusters: [], policy: 'per-broker', connectionsByCluster: { primary: 2 } } as unknown as RoutingSnapshot;
}

const running: { server: DashboardServer; stop: AbortController }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.server.done;
  }
});

async function start(reads: (() => RoutingSnapshot)[], actions?: DashboardActions): Promise<string> {
  let i = 0;
  const source: SnapshotSource = { read: async () => reads[Math.min(i++, reads.length - 1)]!() };
  const stop = new AbortController();
  const server = await startDashboardServer({ host: '127.0.0.1', port: 0, title: 't', listenerNames: [], source, intervalMs: 20, actions, signal: stop.signal, ackRate: () => ({ at: 1, byCluster: { primary: 20 } }) });
  running.push({ server, stop });
  return server.url;
}

/** The first `count` events of /api/events, as [event, data]. */
async function events(url: string, count: number): Promise<[string, unknown][]> {
  const res = await fetch(`${url}api/events`);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const reader = res.body!.getReader();
  let text = '';
  const out: [string, unknown][] = [];
  while (out.length < count) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    let end: number;
    while ((end = text.indexOf('\n\n')) >= 0 && out.length < count) {
      const block = text.slice(0, end);
      text = text.slice(end + 2);
      const ev = /^event: (.*)$/m.exec(block)?.[1];
      const data = /^data: (.*)$/m.exec(block)?.[1];
      if (ev && data) out.push([ev, JSON.parse(data)]);
    }
  }
  await reader.cancel();
  return out;
}

describe('dashboard server', () => {
  it('serves the page and streams init, then a tick per read, and read errors', async () => {
    const url = await start([() => snapshot('primary'), () => { throw new Error('boom'); }, () => snapshot('split')]);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script id="dashboard-data"');
    const got = await events(url, 4);
    expect(got[0]![0]).toBe('init');
    const kinds = got.slice(1).map(([e]) => e);
    expect(kinds).toContain('tick');
    const tick = got.find(([e]) => e === 'tick')![1] as { current: { activeCluster: string }; acks: { byCluster: Record<string, number> } };
    expect(['primary', 'split']).toContain(tick.current.activeCluster);
    expect(tick.acks.byCluster.primary).toBe(20);
  });

  it('has no action endpoint without actions', async () => {
    const url = await start([() => snapshot('primary')]);
    const res = await fetch(`${url}api/actions/fail-primary`, { method: 'POST', headers: { 'X-Failover-Demo': 'action' } });
    expect(res.status).toBe(404);
    expect(await (await fetch(url)).text()).not.toContain('data-action=');
  });

  it('with actions: POST with the page header only, unknown ids 404, known ones run', async () => {
    const ran: string[] = [];
    const url = await start([() => snapshot('primary')], {
      list: [{ id: 'fail-primary', label: 'fail primary', confirm: 'sure?' }],
      run: async (id) => (ran.push(id), [`did ${id}`]),
    });
    expect((await fetch(`${url}api/actions/fail-primary`)).status).toBe(405);
    expect((await fetch(`${url}api/actions/fail-primary`, { method: 'POST' })).status).toBe(403);
    const h = { 'X-Failover-Demo': 'action' };
    expect((await fetch(`${url}api/actions/nope`, { method: 'POST', headers: h })).status).toBe(404);
    const res = await fetch(`${url}api/actions/fail-primary`, { method: 'POST', headers: h });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ lines: ['did fail-primary'] });
    expect(ran).toEqual(['fail-primary']);
  });
});
