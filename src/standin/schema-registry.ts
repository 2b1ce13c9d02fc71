/**
 * Schema Registry stand-in: the one Redpanda behaviour Envoy's health checks rely on.
 *
 *  - broker running, not in recovery mode: `GET /schemas/types` → 200 ["JSON","PROTOBUF","AVRO"]
 *  - recovery mode: Redpanda disables its Schema Registry. How that looks to a client is explicit here:
 *    `refuse` (nothing listens: connection refused) or `http-503` (answers 503 to everything).
 *
 * Like Redpanda's, the registry answers only once its internal Kafka client has written and read back
 * its internal topic (`gate`, see ./internal-client.ts); until then requests wait (at most HOLD_MS,
 * then 503), so a health check times out as it would against Redpanda.
 *
 * Optionally it also serves Redpanda's Admin API readiness probe, `GET /v1/status/ready`, which (like
 * Redpanda's) answers 200 while booting too, with the state in the body ({"status":"booting"} until the
 * Kafka API is up, then {"status":"ready"}), and stays up in recovery mode. `GET /v1/failover-demo/standin`
 * there tells what the stand-in is waiting for (for tests and people, not a Redpanda endpoint).
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

/** How long a request waits for the internal client before it gets a 503. */
export const HOLD_MS = 10_000;

export function schemaRegistryHandler(mode: ResponderMode, gate?: Promise<unknown>) {
  let open = gate === undefined;
  let closed = false;
  void gate?.then((ok) => (ok === false ? (closed = true) : (open = true)));
  return (req: IncomingMessage, res: ServerResponse): void => {
    if (closed && mode === 'serving') {
      sendJson(res, 503, { error_code: 50300, message: 'Schema Registry is stopping (stand-in)' });
      return;
    }
    if (!open && mode === 'serving') {
      const timer = setTimeout(() => {
        if (!res.writableEnded) sendJson(res, 503, { error_code: 50300, message: 'Schema Registry is starting: its internal Kafka client has not read _schemas yet (stand-in)' });
      }, HOLD_MS);
      res.once('close', () => clearTimeout(timer));
      void gate!.then((ok) => {
        clearTimeout(timer);
        if (res.writableEnded || res.destroyed) return;
        if (ok) schemaRegistryHandler(mode)(req, res);
        else sendJson(res, 503, { error_code: 50300, message: 'Schema Registry is stopping (stand-in)' });
      });
      return;
    }
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

export interface AdminView {
  status: 'booting' | 'ready';
  /** What the stand-in is doing, for GET /v1/failover-demo/standin. */
  standin?: Record<string, unknown>;
}

export function adminReadyHandler(view: () => AdminView = () => ({ status: 'ready' })) {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    const body = req.method !== 'GET' ? undefined : path === '/v1/status/ready' ? { status: view().status } : path === '/v1/failover-demo/standin' ? { status: view().status, ...view().standin } : undefined;
    if (body) {
      const text = JSON.stringify(body);
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

async function listenAll(handler: (req: IncomingMessage, res: ServerResponse) => void, at: readonly SocketAddress[]): Promise<Server[]> {
  const servers: Server[] = [];
  try {
    for (const a of at) servers.push(await listen(handler, a));
  } catch (err) {
    await closeAll(servers);
    throw err;
  }
  return servers;
}

/** The Admin API's readiness probe (and the stand-in's own status), on every admin address. */
export async function startAdminApi(at: readonly SocketAddress[], view?: () => AdminView): Promise<{ close(): Promise<void> }> {
  const servers = await listenAll(adminReadyHandler(view), at);
  return { close: () => closeAll(servers) };
}

/** The Schema Registry stand-in, per recovery mode and behaviour; `gate` holds requests until it resolves. */
export async function startSchemaRegistry(opts: {
  schemaRegistry: readonly SocketAddress[];
  recoveryModeEnabled: boolean;
  behaviour: RecoveryBehaviour;
  gate?: Promise<unknown>;
}): Promise<StandinResponders> {
  const mode = schemaRegistryMode(opts.recoveryModeEnabled, opts.behaviour);
  const servers = mode ? await listenAll(schemaRegistryHandler(mode, opts.gate), opts.schemaRegistry) : [];
  return { mode, close: () => closeAll(servers) };
}

/** Starts the Schema Registry stand-in and the Admin readiness probe (ready) together. */
export async function startResponders(opts: {
  schemaRegistry: readonly SocketAddress[];
  admin?: readonly SocketAddress[];
  recoveryModeEnabled: boolean;
  behaviour: RecoveryBehaviour;
  gate?: Promise<unknown>;
}): Promise<StandinResponders> {
  const sr = await startSchemaRegistry(opts);
  const admin = await startAdminApi(opts.admin ?? []).catch(async (err: unknown) => {
    await sr.close();
    throw err;
  });
  return { mode: sr.mode, close: async () => void (await Promise.all([sr.close(), admin.close()])) };
}
