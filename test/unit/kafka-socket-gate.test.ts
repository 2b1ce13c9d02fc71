/**
 * socketGate: the switch that retires a consumer's connections after a cluster switch, checked on real
 * loopback sockets.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { socketGate } from '../../src/kafka/client.js';
import { waitFor } from '../../src/util/wait.js';

let server: Server;
let port: number;
const accepted: Socket[] = [];

beforeEach(async () => {
  server = createServer((s) => {
    accepted.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterEach(async () => {
  for (const s of accepted.splice(0)) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function open(factory: ReturnType<typeof socketGate>['factory']): Promise<{ socket: Socket; outcome: 'connected' | Error }> {
  return new Promise((resolve) => {
    const socket = factory({ host: '127.0.0.1', port, ssl: undefined as never, onConnect: () => resolve({ socket, outcome: 'connected' }) });
    socket.once('error', (err) => resolve({ socket, outcome: err }));
  });
}

describe('socketGate', () => {
  it('connects normally until blocked; then every new connection fails at once, naming the reason', async () => {
    const gate = socketGate('consumer retired after a cluster switch');
    const first = await open(gate.factory);
    expect(first.outcome).toBe('connected');

    gate.block();
    const refused = await open(gate.factory);
    expect(refused.outcome).toBeInstanceOf(Error);
    expect((refused.outcome as Error).message).toBe('consumer retired after a cluster switch');
    expect(accepted).toHaveLength(1);

    // Blocking keeps what is open (a clean LeaveGroup can still use it).
    expect(first.socket.destroyed).toBe(false);
    first.socket.destroy();
  });

  it('close() destroys the connections already open, and blocks new ones', async () => {
    const gate = socketGate('closed');
    const a = await open(gate.factory);
    const b = await open(gate.factory);
    await waitFor(() => accepted.length === 2, { timeoutMs: 5_000, what: 'two accepted connections' });
    const closedByPeer = accepted.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));

    gate.close();
    expect(a.socket.destroyed).toBe(true);
    expect(b.socket.destroyed).toBe(true);
    await Promise.all(closedByPeer);
    expect((await open(gate.factory)).outcome).toBeInstanceOf(Error);
  });
});
