/**
 * The controller's small HTTP API: GET /v1/decision, POST /v1/switch?to=primary|secondary, GET /healthz.
 * It only routes and answers; what a switch does is the controller's (service.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { CLUSTER_NAMES, type ClusterName } from './config.js';
import { errorText } from './events.js';
import type { DecisionView, SwitchResult } from './view.js';

/** What the API answers from. */
export interface ApiTarget {
  /** The view as of the last finished step; undefined while starting. */
  published(): DecisionView | undefined;
  /** False until the controller has taken over the listener file. */
  ready(): boolean;
  requestSwitch(to: ClusterName): Promise<SwitchResult>;
}

const ROUTES: Record<string, string> = { '/healthz': 'GET', '/v1/decision': 'GET', '/v1/switch': 'POST' };

/** Binds the API; rejects when the port is taken (before anything else happens). */
export async function listenApi(target: ApiTarget, port: number, address: string): Promise<Server> {
  const server = createServer((req, res) => void handle(target, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

/** Closes the API and drops open connections. */
export async function closeApi(server: Server | undefined): Promise<void> {
  if (!server?.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

async function handle(target: ApiTarget, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const url = new URL(req.url ?? '/', 'http://controller');
  const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
    const text = typeof body === 'string' ? body : `${JSON.stringify(body, null, 2)}\n`;
    res.writeHead(status, {
      'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
      'cache-control': 'no-store',
      ...headers,
    });
    res.end(text);
  };
  try {
    const route = `${url.pathname}`;
    const method = ROUTES[route];
    if (!method) return send(404, { error: `no such path: ${route} (try GET /v1/decision, POST /v1/switch?to=primary|secondary, GET /healthz)` });
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      return send(405, { error: `${route} takes ${method}` }, { allow: method });
    }
    if (route === '/healthz') return send(200, 'ok\n');
    const published = target.published();
    if (route === '/v1/decision') return published ? send(200, published) : send(503, { error: 'starting' });
    if (!target.ready()) return send(503, { error: 'starting' });
    const to = url.searchParams.get('to');
    if (to === null || !(CLUSTER_NAMES as readonly string[]).includes(to)) {
      return send(400, { error: `to must be primary or secondary, got ${to === null ? 'nothing' : JSON.stringify(to)}` });
    }
    const result = await target.requestSwitch(to as ClusterName);
    return send(result.status, result.body);
  } catch (err) {
    if (!res.headersSent) send(500, { error: errorText(err) });
    else res.destroy();
  }
}
