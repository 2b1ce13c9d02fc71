import { afterEach, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { request } from 'undici';
import {
  schemaRegistryMode,
  startAdminApi,
  startResponders,
  startSchemaRegistry,
  type AdminView,
  type StandinResponders,
} from '../../src/standin/schema-registry.js';
import { tcpAccepts } from '../../src/util/net.js';

// Real HTTP servers on loopback, in this helper's port range.
const SR = { address: '127.0.0.1', port: 20571 };
const ADMIN = { address: '127.0.0.1', port: 20572 };
const GATED_SR = { address: '127.0.0.1', port: 20573 };
const GATED_ADMIN = { address: '127.0.0.1', port: 20574 };
const VIEW_ADMIN = { address: '127.0.0.1', port: 20575 };
let running: StandinResponders | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await running?.close();
  running = undefined;
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A promise resolved from outside. */
function controlled<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * A GET that is known to be in the server's handler: it asks `Expect: 100-continue`, and Node's HTTP
 * server answers 100 Continue right before it calls the handler, so `inHandler` resolves once the
 * handler has run (and, for a gated registry, is holding the request).
 */
function heldGet(port: number, path: string): { inHandler: Promise<void>; response: Promise<{ status: number | undefined; body: string }> } {
  const req = httpRequest({ host: '127.0.0.1', port, path, method: 'GET', agent: false, headers: { expect: '100-continue' } });
  const inHandler = new Promise<void>((resolve, reject) => {
    req.once('continue', () => resolve());
    req.once('error', reject);
  });
  const response = new Promise<{ status: number | undefined; body: string }>((resolve, reject) => {
    req.once('error', reject);
    req.once('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.once('end', () => resolve({ status: res.statusCode, body }));
      res.once('error', reject);
    });
  });
  // Both promises may reject (a closed server); callers await the ones they need.
  inHandler.catch(() => {});
  response.catch(() => {});
  req.end();
  return { inHandler, response };
}

const PENDING = Symbol('pending');
/**
 * Whether `p` has settled, judged after one setImmediate tick (no fixed sleep). `p` goes into the race
 * as it is: wrapped in a `.then`, a settled `p` would lose to the already-resolved marker.
 */
async function settled(p: Promise<unknown>): Promise<boolean> {
  await new Promise((r) => setImmediate(r));
  const first = await Promise.race([p, Promise.resolve(PENDING)]).catch(() => 'rejected');
  return first !== PENDING;
}

const get = async (port: number, path: string) => {
  const res = await request(`http://127.0.0.1:${port}${path}`);
  return { status: res.statusCode, body: await res.body.text() };
};

describe('schemaRegistryMode', () => {
  it('serves unless in recovery mode; in recovery mode refuses or answers 503 as configured', () => {
    expect(schemaRegistryMode(false, 'refuse')).toBe('serving');
    expect(schemaRegistryMode(false, 'http-503')).toBe('serving');
    expect(schemaRegistryMode(true, 'refuse')).toBeUndefined();
    expect(schemaRegistryMode(true, 'http-503')).toBe('recovery-503');
  });
});

describe('Schema Registry stand-in', () => {
  it('answers GET /schemas/types like Redpanda while not in recovery mode', async () => {
    running = await startResponders({ schemaRegistry: [SR], admin: [ADMIN], recoveryModeEnabled: false, behaviour: 'refuse' });
    expect(await get(SR.port, '/schemas/types')).toEqual({ status: 200, body: '["JSON","PROTOBUF","AVRO"]' });
    expect((await get(SR.port, '/subjects')).status).toBe(404);
    expect(await get(ADMIN.port, '/v1/status/ready')).toEqual({ status: 200, body: '{"status":"ready"}' });
  });

  it('refuses connections in recovery mode (behaviour refuse), while the admin readiness probe stays up', async () => {
    running = await startResponders({ schemaRegistry: [SR], admin: [ADMIN], recoveryModeEnabled: true, behaviour: 'refuse' });
    expect(await tcpAccepts(SR.address, SR.port)).toBe(false);
    expect((await get(ADMIN.port, '/v1/status/ready')).status).toBe(200);
  });

  it('answers 503 in recovery mode (behaviour http-503)', async () => {
    running = await startResponders({ schemaRegistry: [SR], recoveryModeEnabled: true, behaviour: 'http-503' });
    const r = await get(SR.port, '/schemas/types');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error_code).toBe(50300);
  });

  it('closes its port when stopped, even with a keep-alive connection open', async () => {
    running = await startResponders({ schemaRegistry: [SR], recoveryModeEnabled: false, behaviour: 'refuse' });
    expect((await get(SR.port, '/schemas/types')).status).toBe(200);
    await running.close();
    running = undefined;
    expect(await tcpAccepts(SR.address, SR.port)).toBe(false);
  });
});

describe('Schema Registry stand-in: gate (its internal Kafka client has read _schemas)', () => {
  it('(the check itself) sees an ungated answer as settled one tick after the handler ran', async () => {
    running = await startSchemaRegistry({ schemaRegistry: [GATED_SR], recoveryModeEnabled: false, behaviour: 'refuse' });
    const r = heldGet(GATED_SR.port, '/schemas/types');
    await r.inHandler;
    expect(await settled(r.response)).toBe(true);
    expect(await r.response).toEqual({ status: 200, body: '["JSON","PROTOBUF","AVRO"]' });
  });

  it('holds GET /schemas/types until the gate resolves, then answers 200; the Admin API is not held', async () => {
    const gate = controlled<boolean>();
    running = await startResponders({ schemaRegistry: [GATED_SR], admin: [GATED_ADMIN], recoveryModeEnabled: false, behaviour: 'refuse', gate: gate.promise });
    expect(running.mode).toBe('serving');
    const held = heldGet(GATED_SR.port, '/schemas/types');
    await held.inHandler;
    expect(await settled(held.response)).toBe(false);
    // A whole request/answer on another port while the first is held.
    expect(await get(GATED_ADMIN.port, '/v1/status/ready')).toEqual({ status: 200, body: '{"status":"ready"}' });
    expect(await settled(held.response)).toBe(false);
    gate.resolve(true);
    expect(await held.response).toEqual({ status: 200, body: '["JSON","PROTOBUF","AVRO"]' });
    // once open, requests are answered directly
    expect(await get(GATED_SR.port, '/schemas/types')).toEqual({ status: 200, body: '["JSON","PROTOBUF","AVRO"]' });
  });

  it('startSchemaRegistry: every held request answers once the gate resolves', async () => {
    const gate = controlled<boolean>();
    running = await startSchemaRegistry({ schemaRegistry: [GATED_SR], recoveryModeEnabled: false, behaviour: 'http-503', gate: gate.promise });
    const held = [heldGet(GATED_SR.port, '/schemas/types'), heldGet(GATED_SR.port, '/subjects')];
    await Promise.all(held.map((h) => h.inHandler));
    expect(await settled(Promise.race(held.map((h) => h.response)))).toBe(false);
    gate.resolve(true);
    const [types, subjects] = await Promise.all(held.map((h) => h.response));
    expect(types).toEqual({ status: 200, body: '["JSON","PROTOBUF","AVRO"]' });
    expect(subjects!.status).toBe(404);
  });

  it('answers 503 to held requests when the gate resolves false (stopped before it was ready)', async () => {
    const gate = controlled<boolean>();
    running = await startSchemaRegistry({ schemaRegistry: [GATED_SR], recoveryModeEnabled: false, behaviour: 'refuse', gate: gate.promise });
    const held = heldGet(GATED_SR.port, '/schemas/types');
    await held.inHandler;
    expect(await settled(held.response)).toBe(false);
    gate.resolve(false);
    const r = await held.response;
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body).error_code).toBe(50300);
  });

  it('does not hold in recovery mode: the gate is for the serving registry only', async () => {
    const gate = controlled<boolean>();
    running = await startSchemaRegistry({ schemaRegistry: [GATED_SR], recoveryModeEnabled: true, behaviour: 'http-503', gate: gate.promise });
    expect(running.mode).toBe('recovery-503');
    expect((await get(GATED_SR.port, '/schemas/types')).status).toBe(503);
    await running.close();
    running = await startSchemaRegistry({ schemaRegistry: [GATED_SR], recoveryModeEnabled: true, behaviour: 'refuse', gate: gate.promise });
    expect(running.mode).toBeUndefined();
    expect(await tcpAccepts(GATED_SR.address, GATED_SR.port)).toBe(false);
  });

  it('closes with a request still held', async () => {
    const gate = controlled<boolean>();
    running = await startSchemaRegistry({ schemaRegistry: [GATED_SR], recoveryModeEnabled: false, behaviour: 'refuse', gate: gate.promise });
    const held = heldGet(GATED_SR.port, '/schemas/types');
    await held.inHandler;
    await running.close();
    running = undefined;
    await expect(held.response).rejects.toThrow();
    expect(await tcpAccepts(GATED_SR.address, GATED_SR.port)).toBe(false);
    gate.resolve(true);
  });
});

describe('startAdminApi', () => {
  it('answers /v1/status/ready with 200 and the state from the view: booting, then ready', async () => {
    let view: AdminView = { status: 'booting', standin: { recoveryMode: false, schemaRegistry: 'not started' } };
    const admin = await startAdminApi([VIEW_ADMIN], () => view);
    closers.push(() => admin.close());
    expect(await get(VIEW_ADMIN.port, '/v1/status/ready')).toEqual({ status: 200, body: '{"status":"booting"}' });
    view = { status: 'ready', standin: { recoveryMode: false, schemaRegistry: 'serving' } };
    expect(await get(VIEW_ADMIN.port, '/v1/status/ready')).toEqual({ status: 200, body: '{"status":"ready"}' });
  });

  it('/v1/failover-demo/standin returns the status and the view\'s standin fields', async () => {
    let view: AdminView = {
      status: 'booting',
      standin: { recoveryMode: true, schemaRegistry: 'not started' },
    };
    const admin = await startAdminApi([VIEW_ADMIN], () => view);
    closers.push(() => admin.close());
    const booting = await get(VIEW_ADMIN.port, '/v1/failover-demo/standin');
    expect(booting.status).toBe(200);
    expect(JSON.parse(booting.body)).toEqual({ status: 'booting', recoveryMode: true, schemaRegistry: 'not started' });
    const internalClient = { state: 'waiting', bootstrap: ['127.0.0.1:9092'], advertised: [], attempts: 2, lastError: 'boom' };
    view = { status: 'ready', standin: { recoveryMode: false, schemaRegistry: 'serving', internalClient } };
    expect(JSON.parse((await get(VIEW_ADMIN.port, '/v1/failover-demo/standin')).body)).toEqual({
      status: 'ready',
      recoveryMode: false,
      schemaRegistry: 'serving',
      internalClient,
    });
  });

  it('without a view it says ready; other paths and methods get 404', async () => {
    const admin = await startAdminApi([VIEW_ADMIN]);
    closers.push(() => admin.close());
    expect(await get(VIEW_ADMIN.port, '/v1/status/ready')).toEqual({ status: 200, body: '{"status":"ready"}' });
    expect(JSON.parse((await get(VIEW_ADMIN.port, '/v1/failover-demo/standin')).body)).toEqual({ status: 'ready' });
    expect((await get(VIEW_ADMIN.port, '/v1/brokers')).status).toBe(404);
    const post = await request(`http://127.0.0.1:${VIEW_ADMIN.port}/v1/status/ready`, { method: 'POST' });
    await post.body.text();
    expect(post.statusCode).toBe(404);
  });

  it('closes its port', async () => {
    const admin = await startAdminApi([VIEW_ADMIN], () => ({ status: 'ready' }));
    expect((await get(VIEW_ADMIN.port, '/v1/status/ready')).status).toBe(200);
    await admin.close();
    expect(await tcpAccepts(VIEW_ADMIN.address, VIEW_ADMIN.port)).toBe(false);
  });
});
