#!/usr/bin/env node
/**
 * The replicator process: `node dist/replication/main.js --config replicator.json`. Runs MirrorMaker 2
 * between the demo's clusters (./replicator.ts) and answers a small HTTP API on the configured address:
 *
 *   GET  /v1/replication           phase, flow, lag per topic and partition, the promotion, recent events
 *   POST /v1/promote               stop copying to the secondary and record where its own writes begin
 *   POST /v1/reverse               start copying the secondary's new writes back to the primary
 *   POST /v1/failback?timeoutMs=N  (writers fenced) wait for lag 0, then copy primary -> secondary again
 *   GET  /healthz
 * SIGTERM/SIGINT stop MirrorMaker 2 and the API.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { applyKafkajsFixes } from '../kafka/kafkajs-fixes.js';
import { loadReplicatorConfig } from './config.js';
import { Replicator } from './replicator.js';

const ROUTES: Record<string, string> = { '/healthz': 'GET', '/v1/replication': 'GET', '/v1/promote': 'POST', '/v1/reverse': 'POST', '/v1/failback': 'POST' };

async function handle(r: Replicator, req: IncomingMessage, res: ServerResponse): Promise<void> {
  req.resume();
  const url = new URL(req.url ?? '/', 'http://replicator');
  const send = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(`${JSON.stringify(body, null, 2)}\n`);
  };
  const method = ROUTES[url.pathname];
  if (!method) return send(404, { error: `no such path: ${url.pathname} (try GET /v1/replication)` });
  if (req.method !== method) return send(405, { error: `${url.pathname} takes ${method}` });
  try {
    if (url.pathname === '/healthz') return send(200, { ok: true });
    if (url.pathname === '/v1/replication') return send(200, r.view());
    if (url.pathname === '/v1/promote') return send(200, { promotion: await r.promote(), view: r.view() });
    if (url.pathname === '/v1/reverse') return send(200, await r.reverse());
    const timeoutMs = Number(url.searchParams.get('timeoutMs') ?? 30_000);
    return send(200, await r.failback(Number.isFinite(timeoutMs) ? timeoutMs : 30_000));
  } catch (err) {
    return send(409, { error: (err as Error).message });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: 'string' } } });
  if (!values.config) throw new Error('--config FILE is required');
  applyKafkajsFixes();
  const config = loadReplicatorConfig(resolve(values.config));
  const replicator = new Replicator(config);
  const server = createServer((req, res) => void handle(replicator, req, res));
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(config.listen.port, config.listen.address, () => ok());
  });
  await replicator.start();
  let stopping = false;
  const stop = async (sig: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`[replicator] ${sig}: stopping\n`);
    server.close();
    server.closeAllConnections();
    await replicator.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

main().catch((err) => {
  process.stderr.write(`[replicator] error: ${(err as Error).message}\n`);
  process.exit(1);
});
