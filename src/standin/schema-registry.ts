/**
 * Schema Registry stand-in: the one Redpanda behaviour Envoy's health checks rely on.
 *
 *  - broker running, not in recovery mode: `GET /schemas/types` → 200 ["JSON","PROTOBUF","AVRO"]
 *  - recovery mode: Redpanda disables its Schema Registry. How that looks to a client is explicit here:
 *    `refuse` (nothing listens: connection refused) or `http-503` (answers 503 to everything).
 *
 * Optionally it also serves Redpanda's Admin API readiness probe, `GET /v1/status/ready` → 200, which
 * (like Redpanda's Admin API) stays up in recovery mode.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { RecoveryBehaviour } from '../config/topology.js';
import type { SocketAddress } from './kafka-config.js';

export const SCHEMA_TYPES = ['JSON', 'PROTOBUF', 'AVRO'] as const;

export type ResponderMode = 'serving' | 'recovery-503';

/** What the Schema Registry port does for a broker state, or undefined when nothing should listen. */
export function schemaRegistryMode(recoveryModeEnabled: boolean, behaviour: RecoveryBehaviour): ResponderMode | undefined {
  if (!recoveryModeEnabled) return 'serving';
  return behaviour === 'http-503' ? 'recovery-503' : undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

export function schemaRegistryHandler(mode: ResponderMode) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (mode === 'recovery-503') {
      sendJson(res, 503, { error_code: 50300, message: 'Schema Registry is disabled: broker is in recovery mode (stand-in)' });
      return;
    }
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && (path === '/schemas/types' || path === '/schemas/types/')) {
      sendJson(res, 200, SCHEMA_TYPES);
      return;
    }
    sendJson(res, 404, { error_code: 40401, message: `not served by the Schema Registry stand-in: ${req.method} ${path}` });
  };
}

export function adminReadyHandler() {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/v1/status/ready') {
      const text = JSON.stringify({ status: 'ready' });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
      return;
    }
    res.writeHead(404).end();
  };
}

/** Listens on one address; rejects with the listen error (e.g. EADDRINUSE). */
export function listen(handler: (req: IncomingMessage, res: ServerResponse) => void, at: SocketAddress): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.keepAliveTimeout = 1000;
    server.once('error', reject);
    server.listen(at.port, at.address, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

/** Closes servers and drops their open connections (so Envoy's next check sees the port closed). */
export async function closeAll(servers: readonly Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (s) =>
        new Promise<void>((resolve) => {
          s.close(() => resolve());
          s.closeAllConnections();
        }),
    ),
  );
}

export interface StandinResponders {
  mode: ResponderMode | undefined;
  close(): Promise<void>;
}

/** Starts the Schema Registry stand-in (per recovery mode and behaviour) and the Admin readiness probe. */
export async function startResponders(opts: {
  schemaRegistry: readonly SocketAddress[];
  admin?: readonly SocketAddress[];
  recoveryModeEnabled: boolean;
  behaviour: RecoveryBehaviour;
}): Promise<StandinResponders> {
  const mode = schemaRegistryMode(opts.recoveryModeEnabled, opts.behaviour);
  const servers: Server[] = [];
  try {
    if (mode) for (const at of opts.schemaRegistry) servers.push(await listen(schemaRegistryHandler(mode), at));
    for (const at of opts.admin ?? []) servers.push(await listen(adminReadyHandler(), at));
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
  return { mode, close: () => closeAll(servers) };
}
