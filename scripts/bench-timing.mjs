#!/usr/bin/env node
// @ts-check
// Measures how long the real Envoy takes to mark a health-checked host unhealthy / healthy, and compares
// each measurement with predictTiming() (src/envoy/timing.ts). Needs `npm run build` and Envoy installed.
//
//   node scripts/bench-timing.mjs [--rounds N] [--defaults] [--no-traffic] [--fixture FILE]
//
// One Envoy (loopback only, ports 26050-26053), one cluster with one host whose health check goes to a
// small HTTP responder in this process. Faults: `refused` (responder closed), `hung` (accepts, never
// answers), `errorStatus` (answers 503); after each, `recovered` (answers 200 again). Every fault happens at
// a random phase of the check cycle. Times are taken by polling Envoy's /clusters every 10 ms.
// --fixture writes the samples as JSON (test/fixtures/envoy-timing-samples.json is made this way and
// checked by test/unit/timing.test.ts).
import http from 'node:http';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { predictTiming, formatWindow } from '#dist/envoy/timing.js';
import { envoyBinaryPath } from '#dist/util/installs.js';
import { defaultTopology } from '#dist/config/topology.js';
import { waitFor, delay } from '#dist/util/wait.js';
import { runScript } from './lib.mjs';

const PORTS = { admin: 26050, listener: 26051, upstream: 26052, health: 26053 };

/** Distinct values, so a wrong interval shows in the numbers. */
const SHORT = {
  path: '/schemas/types',
  port: PORTS.health,
  timeoutMs: 500,
  intervalMs: 1000,
  intervalJitterMs: 200,
  unhealthyThreshold: 3,
  healthyThreshold: 2,
  noTrafficIntervalMs: 1300,
  unhealthyIntervalMs: 1600,
  unhealthyEdgeIntervalMs: 1200,
  healthyEdgeIntervalMs: 700,
};

/** @typedef {import('#dist/config/topology.js').HealthCheckSettings} HealthCheckSettings */
/** @typedef {'refused' | 'hung' | 'errorStatus' | 'recovered'} Case */

const s = (/** @type {number} */ ms) => `${ms / 1000}s`;

/** @param {HealthCheckSettings} hc */
function envoyConfig(hc) {
  return `admin:
  address: {socket_address: {address: 127.0.0.1, port_value: ${PORTS.admin}}}
static_resources:
  listeners:
  - name: l0
    address: {socket_address: {address: 127.0.0.1, port_value: ${PORTS.listener}}}
    filter_chains:
    - filters:
      - name: envoy.filters.network.tcp_proxy
        typed_config:
          "@type": type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy
          stat_prefix: l0
          cluster: c
  clusters:
  - name: c
    connect_timeout: 1s
    type: STATIC
    common_lb_config: {healthy_panic_threshold: {value: 0}}
    load_assignment:
      cluster_name: c
      endpoints:
      - lb_endpoints:
        - endpoint:
            address: {socket_address: {address: 127.0.0.1, port_value: ${PORTS.upstream}}}
            health_check_config: {port_value: ${PORTS.health}}
    health_checks:
    - timeout: ${s(hc.timeoutMs)}
      interval: ${s(hc.intervalMs)}
      interval_jitter: ${s(hc.intervalJitterMs)}
      unhealthy_threshold: ${hc.unhealthyThreshold}
      healthy_threshold: ${hc.healthyThreshold}
      unhealthy_interval: ${s(hc.unhealthyIntervalMs)}
      unhealthy_edge_interval: ${s(hc.unhealthyEdgeIntervalMs)}
      healthy_edge_interval: ${s(hc.healthyEdgeIntervalMs)}
      no_traffic_interval: ${s(hc.noTrafficIntervalMs)}
      http_health_check: {path: ${hc.path}}
`;
}

/** The Schema Registry stand-in of this bench: answers 200, 503, hangs, or is closed (refused). */
function responder() {
  let mode = 'ok';
  /** @type {import('node:http').ServerResponse[]} */
  const hung = [];
  const server = http.createServer((_req, res) => {
    if (mode === 'hang') return void hung.push(res);
    res.writeHead(mode === '503' ? 503 : 200, { 'content-type': 'application/json' });
    res.end('["JSON","PROTOBUF","AVRO"]');
  });
  const listen = () => new Promise((resolve, reject) => server.once('error', reject).listen(PORTS.health, '127.0.0.1', () => resolve(undefined)));
  return {
    listen,
    /** @param {'ok' | '503' | 'hang' | 'refused'} next */
    async set(next) {
      if (next === 'refused') {
        await new Promise((resolve) => {
          server.close(() => resolve(undefined));
          server.closeAllConnections();
        });
        return;
      }
      if (mode === 'hang') hung.splice(0).forEach((res) => res.destroy());
      mode = next;
      if (!server.listening) await listen();
    },
    async close() {
      hung.splice(0).forEach((res) => res.destroy());
      if (server.listening) await new Promise((resolve) => (server.close(() => resolve(undefined)), server.closeAllConnections()));
    },
  };
}

async function hostFlags() {
  const res = await fetch(`http://127.0.0.1:${PORTS.admin}/clusters`);
  const text = await res.text();
  return /^c::[^:]+:\d+::health_flags::(\S+)$/m.exec(text)?.[1];
}

/**
 * ms from now until the host's health flags satisfy `pred`, polling every 10 ms.
 * @param {(flags: string | undefined) => boolean} pred
 * @param {number} timeoutMs
 */
async function timeUntil(pred, timeoutMs) {
  const t0 = performance.now();
  await waitFor(async () => pred(await hostFlags()), { timeoutMs, intervalMs: 10, what: 'Envoy to change the host health' });
  return Math.round(performance.now() - t0);
}

const isHealthy = (/** @type {string | undefined} */ f) => f === 'healthy';
const isUnhealthy = (/** @type {string | undefined} */ f) => f !== undefined && f.includes('failed_active_hc');

await runScript(async () => {
  const { values } = parseArgs({
    options: {
      rounds: { type: 'string', default: '3' },
      defaults: { type: 'boolean', default: false },
      'no-traffic': { type: 'boolean', default: false },
      fixture: { type: 'string' },
    },
  });
  const hc = values.defaults ? { ...defaultTopology().healthCheck, port: PORTS.health } : SHORT;
  const traffic = !values['no-traffic'];
  const rounds = Number(values.rounds);
  const prediction = predictTiming(hc, { traffic });
  const bin = envoyBinaryPath();
  const version = (await execa(bin, ['--version'])).stdout.match(/\/(\d+\.\d+\.\d+)\//)?.[1] ?? 'unknown';

  const dir = mkdtempSync(join(tmpdir(), 'bench-timing-'));
  writeFileSync(join(dir, 'envoy.yaml'), envoyConfig(hc));
  const upstream = net.createServer((c) => c.on('error', () => {}));
  await new Promise((resolve) => upstream.listen(PORTS.upstream, '127.0.0.1', () => resolve(undefined)));
  const sr = responder();
  await sr.listen();
  const envoy = spawn(bin, ['-c', join(dir, 'envoy.yaml'), '--use-dynamic-base-id', '-l', 'error'], { stdio: ['ignore', 'ignore', 'inherit'] });
  /** @type {import('node:net').Socket | undefined} */
  let conn;
  const cleanup = async () => {
    conn?.destroy();
    envoy.kill();
    upstream.close();
    await sr.close();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));
  /** @type {{ case: Case, after?: string, ms: number }[]} */
  const samples = [];
  try {
    await timeUntil(isHealthy, 20_000);
    if (traffic) {
      // One connection through the listener: from now on the cluster "has traffic".
      const c = (conn = net.connect(PORTS.listener, '127.0.0.1'));
      c.on('error', () => {});
      await new Promise((resolve) => c.once('connect', resolve));
      // Let a check run at the with-traffic interval before the first fault.
      await delay(hc.noTrafficIntervalMs + hc.intervalJitterMs + 100);
    }
    /** @type {['refused' | 'errorStatus' | 'hung', 'refused' | '503' | 'hang'][]} */
    const faults = [
      ['refused', 'refused'],
      ['errorStatus', '503'],
      ['hung', 'hang'],
    ];
    for (let round = 1; round <= rounds; round++) {
      for (const [name, mode] of faults) {
        // A random phase of the check cycle.
        await delay(Math.random() * (hc.intervalMs + hc.intervalJitterMs));
        await sr.set(mode);
        const ms = await timeUntil(isUnhealthy, prediction[name].latestMs + 10_000);
        samples.push({ case: name, ms });
        console.error(`round ${round}: ${name.padEnd(12)} ${String(ms).padStart(6)} ms   predicted ${formatWindow(prediction[name])}`);
        await delay(Math.random() * (hc.unhealthyIntervalMs + hc.intervalJitterMs));
        await sr.set('ok');
        const back = await timeUntil(isHealthy, prediction.recovered.latestMs + 10_000);
        samples.push({ case: 'recovered', after: name, ms: back });
        console.error(`round ${round}: ${'recovered'.padEnd(12)} ${String(back).padStart(6)} ms   predicted ${formatWindow(prediction.recovered)}`);
      }
    }
  } finally {
    await cleanup();
  }
  const outside = samples.filter((x) => x.ms < prediction[x.case].earliestMs - 50 || x.ms > prediction[x.case].latestMs + 50);
  const result = { envoyVersion: version, capturedAt: new Date().toISOString(), traffic, healthCheck: hc, samples };
  if (values.fixture) writeFileSync(values.fixture, JSON.stringify(result, null, 2) + '\n');
  console.log(JSON.stringify({ ...result, outsidePrediction: outside }, null, 2));
  if (outside.length > 0) process.exitCode = 1;
});
