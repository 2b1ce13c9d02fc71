import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { schemaRegistryMode, startResponders, type StandinResponders } from '../../src/standin/schema-registry.js';
import { tcpAccepts } from '../../src/standin/net.js';

// Real HTTP servers on loopback, in this helper's port range.
const SR = { address: '127.0.0.1', port: 20571 };
const ADMIN = { address: '127.0.0.1', port: 20572 };
let running: StandinResponders | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

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
