/**
 * The dashboard's HTTP server (`failover-demo dashboard`): GET / is the page (./dashboard-page.ts),
 * GET /api/events the server-sent events of the same monitor loop `routing` uses (../envoy/monitor.ts):
 * `init` with everything kept so far when a browser connects, a `tick` per poll, `readerror` when Envoy
 * cannot be read. Only with actions (--allow-actions) does POST /api/actions/<id> exist, and it answers
 * only to the loopback address, with the header the page sends (a cross-site form cannot set it).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorRouting, type MonitorUpdate, type SnapshotSource } from '../envoy/monitor.js';
import { dashboardTick, type AckRateSample, type DashboardAction, type DashboardData, type DashboardStep, type DashboardTick } from './dashboard-model.js';
import { dashboardHtml } from './dashboard-page.js';

export interface DashboardActions {
  list: DashboardAction[];
  /** Runs one action; resolves with lines for people; rejects with a message. */
  run(id: string): Promise<string[]>;
}

export interface DashboardServerOptions {
  host: string;
  port: number;
  title: string;
  listenerNames: string[];
  source: SnapshotSource;
  intervalMs: number;
  /** Acks per second per cluster now (the probe producer); undefined without one. */
  ackRate?: () => AckRateSample;
  actions?: DashboardActions;
  /** The last drill's steps (./dashboard-progress.ts), read with every poll. */
  drillSteps?: () => { steps: DashboardStep[]; title: string } | undefined;
  signal: AbortSignal;
}

const KEEP = 2000;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

export interface DashboardServer {
  url: string;
  server: Server;
  /** Resolves when the monitor loop has stopped (the signal aborted) and the server closed. */
  done: Promise<void>;
}

function keep<T>(list: T[], item: T): void {
  list.push(item);
  if (list.length > KEEP) list.splice(0, list.length - KEEP);
}

class DashboardState {
  readonly data: DashboardData;
  private readonly clients = new Set<ServerResponse>();

  constructor(title: string, listenerNames: string[]) {
    this.data = { title, live: true, listenerNames, routing: [], connections: [], acks: [], events: [] };
  }

  subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`retry: 1000\nevent: init\ndata: ${JSON.stringify({ ...this.data, actions: undefined })}\n\n`);
    this.clients.add(res);
    res.on('close', () => this.clients.delete(res));
  }

  private send(event: string, payload: unknown): void {
    const text = `event: ${event}\ndata: ${JSON.stringify(payload)}\n\n`;
    for (const c of this.clients) c.write(text);
  }

  apply(tick: DashboardTick): void {
    const d = this.data;
    keep(d.routing, tick.routing);
    keep(d.connections, tick.connections);
    if (tick.acks) keep(d.acks, tick.acks);
    for (const e of tick.events) keep(d.events, e);
    d.current = tick.current;
    if (tick.steps) [d.steps, d.stepsTitle] = [tick.steps, tick.stepsTitle];
    d.error = undefined;
    this.send('tick', tick);
  }

  readError(at: number, message: string, repeated: boolean): void {
    this.data.error = message;
    if (!repeated) keep(this.data.events, { at, kind: 'error', message });
    this.send('readerror', { at, message });
  }

  closeAll(): void {
    for (const c of this.clients) c.end();
    this.clients.clear();
  }
}

async function handleAction(req: IncomingMessage, res: ServerResponse, actions: DashboardActions, id: string): Promise<void> {
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return json(403, { error: 'actions are allowed only from the loopback address' });
  if (req.method !== 'POST') return json(405, { error: 'POST only' });
  if (req.headers['x-failover-demo'] !== 'action') return json(403, { error: 'missing X-Failover-Demo header (send actions from the dashboard page)' });
  if (!actions.list.some((a) => a.id === id)) return json(404, { error: `no action "${id}"` });
  try {
    json(200, { lines: await actions.run(id) });
  } catch (err) {
    json(500, { error: (err as Error).message ?? String(err) });
  }
}

function handler(o: DashboardServerOptions, state: DashboardState) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      const page = dashboardHtml({ ...state.data, actions: o.actions?.list });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:" });
      res.end(page);
    } else if (path === '/api/events' && req.method === 'GET') {
      state.subscribe(res);
    } else if (path === '/api/state' && req.method === 'GET') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(state.data));
    } else if (o.actions && path.startsWith('/api/actions/')) {
      void handleAction(req, res, o.actions, decodeURIComponent(path.slice('/api/actions/'.length)));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found\n');
    }
  };
}

/** Starts serving; the monitor loop runs until `signal` aborts, then the server closes. */
export async function startDashboardServer(o: DashboardServerOptions): Promise<DashboardServer> {
  const state = new DashboardState(o.title, o.listenerNames);
  const server = createServer(handler(o, state));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const host = o.host.includes(':') ? `[${o.host}]` : o.host;
  let lastSteps = '';
  const onUpdate = (u: MonitorUpdate) => {
    if (u.kind === 'snapshot') {
      const tick = dashboardTick(u.snapshot, u.events, o.ackRate?.());
      const drill = o.drillSteps?.();
      const key = JSON.stringify(drill ?? null);
      if (drill && key !== lastSteps) [tick.steps, tick.stepsTitle] = [drill.steps, drill.title];
      lastSteps = key;
      state.apply(tick);
    } else state.readError(u.at, u.message, u.repeated);
  };
  const done = monitorRouting(o.source, { intervalMs: o.intervalMs, signal: o.signal, onUpdate }).finally(async () => {
    state.closeAll();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://${host}:${port}/`, server, done };
}
