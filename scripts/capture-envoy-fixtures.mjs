// Captures test/fixtures/envoy/*.json: real `/clusters?format=json` documents (and the clusters'
// `/config_dump`) from the project's Envoy, running the rendered local-runtime config, with each broker's
// Schema Registry port in a given state (see ./envoy-sandbox.mjs). Each fixture records the command, the
// topology file and the broker states that produced it.
//
//   npm run build && node scripts/capture-envoy-fixtures.mjs
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { brokersOf, defaultTopology } from '../dist/config/topology.js';
import { envoyBinaryPath } from '../dist/util/installs.js';
import { waitFor } from '../dist/util/wait.js';
import { consoleProgress, runScript } from './lib.mjs';
import { startEnvoySandbox } from './envoy-sandbox.mjs';

const COMMAND = 'npm run build && node scripts/capture-envoy-fixtures.mjs';
const OUT = resolve(import.meta.dirname, '..', 'test', 'fixtures', 'envoy');
const progress = consoleProgress('capture');

/** Port range 22000.. (helper C's); fast health checks so a capture takes seconds. */
function topology(panicThresholdPercent) {
  const t = defaultTopology();
  t.envoy.adminPort = 22001;
  t.envoy.listenerPort = 22010;
  t.local.basePort = 22100;
  t.panicThresholdPercent = panicThresholdPercent;
  t.healthCheck = {
    ...t.healthCheck,
    timeoutMs: 250,
    intervalMs: 300,
    intervalJitterMs: 0,
    unhealthyThreshold: 2,
    healthyThreshold: 1,
    noTrafficIntervalMs: 300,
    unhealthyIntervalMs: 300,
    unhealthyEdgeIntervalMs: 300,
    healthyEdgeIntervalMs: 300,
  };
  return t;
}

const primary = (t) => brokersOf(t, 'primary').map((b) => b.name);
const secondary = (t) => brokersOf(t, 'secondary').map((b) => b.name);

/** host name → health_status object, from a raw /clusters document. */
function hostStatuses(doc) {
  const out = new Map();
  for (const c of doc.cluster_statuses ?? []) for (const h of c.host_statuses ?? []) out.set(h.hostname, h.health_status ?? {});
  return out;
}
const failed = (s) => s?.failed_active_health_check === true;
const clean = (s) => s && Object.entries(s).every(([k, v]) => (k === 'eds_health_status' ? v === 'HEALTHY' : v !== true));

/** Each state: broker modes to set, and the condition on the raw document that says Envoy has seen it. */
const STATES = [
  {
    name: 'healthy',
    description: 'every broker serving: all listeners on the primary cluster',
    modes: () => ({}),
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => clean(s.get(b))),
  },
  {
    name: 'split-primary-0-down',
    description: "primary-broker-0's Schema Registry refuses connections (broker stopped): listener 0 alone fails over",
    modes: () => ({ 'primary-broker-0': 'refuse' }),
    seen: (s, t) => failed(s.get('primary-broker-0')) && [...primary(t).slice(1), ...secondary(t)].every((b) => clean(s.get(b))),
  },
  {
    name: 'primary-0-hung',
    description: "primary-broker-0's Schema Registry accepts but never answers: health checks time out",
    modes: () => ({ 'primary-broker-0': 'hang' }),
    seen: (s) => failed(s.get('primary-broker-0')) && s.get('primary-broker-0')?.active_hc_timeout === true,
  },
  {
    name: 'all-primary-down',
    description: 'every primary broker stopped: all listeners on the secondary cluster',
    modes: (t) => Object.fromEntries(primary(t).map((b) => [b, 'refuse'])),
    seen: (s, t) => primary(t).every((b) => failed(s.get(b))) && secondary(t).every((b) => clean(s.get(b))),
  },
  {
    name: 'recovery-primary-503',
    description: 'every primary broker in recovery mode, Schema Registry answering 503 (stand-in http-503 behaviour)',
    modes: (t) => Object.fromEntries(primary(t).map((b) => [b, 'http-503'])),
    seen: (s, t) => primary(t).every((b) => failed(s.get(b))) && secondary(t).every((b) => clean(s.get(b))),
  },
  {
    name: 'both-down',
    description: 'every broker of both clusters stopped; panic routing disabled (threshold 0)',
    modes: (t) => Object.fromEntries([...primary(t), ...secondary(t)].map((b) => [b, 'refuse'])),
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => failed(s.get(b))),
  },
];

const PANIC_STATES = [
  {
    name: 'panic50-both-down',
    description: 'healthy_panic_threshold 50, every broker stopped: total panic, Envoy spreads connections over all (unhealthy) hosts',
    modes: (t) => Object.fromEntries([...primary(t), ...secondary(t)].map((b) => [b, 'refuse'])),
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => failed(s.get(b))),
  },
  {
    name: 'panic50-primary-recovery-secondary-down',
    description:
      'healthy_panic_threshold 50, primary brokers in recovery mode (Schema Registry 503), secondary brokers stopped: total panic',
    modes: (t) => Object.fromEntries([...primary(t).map((b) => [b, 'http-503']), ...secondary(t).map((b) => [b, 'refuse'])]),
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => failed(s.get(b))),
  },
];

async function captureWith(t, topologyFile, states, envoyVersion) {
  const dir = mkdtempSync(join(tmpdir(), 'failover-demo-capture-'));
  const sandbox = await startEnvoySandbox(t, dir);
  try {
    writeFileSync(join(OUT, `config-dump.${topologyFile.replace(/^topology\.|\.json$/g, '')}.json`), JSON.stringify({
      capture: { command: COMMAND, topologyFile, request: 'GET /config_dump?resource=static_clusters', envoyVersion },
      configDump: await sandbox.admin.configDump('static_clusters'),
    }, null, 1) + '\n');
    for (const state of states) {
      const modes = state.modes(t);
      progress.step(`${state.name}: ${JSON.stringify(modes)}`);
      for (const b of [...primary(t), ...secondary(t)]) await sandbox.set(b, modes[b] ?? 'serving');
      const doc = await waitFor(
        async () => {
          const d = await sandbox.admin.clusters();
          return state.seen(hostStatuses(d), t) ? d : undefined;
        },
        { timeoutMs: 20_000, intervalMs: 100, what: `Envoy to report state ${state.name}` },
      );
      const fixture = {
        capture: {
          command: COMMAND,
          request: 'GET /clusters?format=json',
          state: state.name,
          description: state.description,
          brokerModes: Object.fromEntries([...primary(t), ...secondary(t)].map((b) => [b, modes[b] ?? 'serving'])),
          topologyFile,
          envoyVersion,
        },
        clusters: doc,
      };
      writeFileSync(join(OUT, `${state.name}.json`), JSON.stringify(fixture, null, 1) + '\n');
      progress.done(`${state.name}.json written`);
    }
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runScript(async () => {
  mkdirSync(OUT, { recursive: true });
  const envoyVersion = execFileSync(envoyBinaryPath(), ['--version'], { encoding: 'utf8' }).trim().split('version: ')[1];
  for (const [panic, states] of [[0, STATES], [50, PANIC_STATES]]) {
    const t = topology(panic);
    const topologyFile = `topology.panic${panic}.json`;
    writeFileSync(join(OUT, topologyFile), JSON.stringify(t, null, 1) + '\n');
    await captureWith(t, topologyFile, states, envoyVersion);
  }
});
