// @ts-check
// Captures test/fixtures/envoy/*.json: real `/clusters?format=json` documents (and the clusters'
// `/config_dump`) from the project's Envoy. Each fixture records the command, the topology file and the
// broker states that produced it.
//  - rig: the local runtime (real Kafka brokers, Schema Registry stand-ins, Envoy), brokers stopped /
//    started / put in recovery mode through the Runtime interface: healthy, split, all-primary-down,
//    both-down, recovery-primary-503.
//  - sandbox (./envoy-sandbox.mjs): the same rendered Envoy config in front of bare Schema Registry
//    responders, for what the runtime cannot do: a hung Schema Registry, and panic-threshold topologies.
//
//   npm run build && node scripts/capture-envoy-fixtures.mjs [rig|sandbox]   (default: both)
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { brokersOf, defaultTopology } from '#dist/config/topology.js';
import { createLocalRuntime } from '#dist/runtime/local/index.js';
import { EnvoyAdmin } from '#dist/envoy/admin.js';
import { envoyBinaryPath } from '#dist/util/installs.js';
import { PACKAGE_ROOT } from '#dist/util/paths.js';
import { waitFor } from '#dist/util/wait.js';
import { consoleProgress, onPortRange, runScript } from './lib.mjs';
import { applyKafkajsFixes } from '#dist/kafka/kafkajs-fixes.js';
import { startEnvoySandbox } from './envoy-sandbox.mjs';

const COMMAND = 'npm run build && node scripts/capture-envoy-fixtures.mjs';
const ONLY = process.argv[2];
const OUT = join(PACKAGE_ROOT, 'test', 'fixtures', 'envoy');
const progress = consoleProgress('capture');

/** @typedef {import('#dist/config/topology.js').Topology} Topology */
/** @typedef {import('#dist/runtime/types.js').Runtime} Runtime */
/** @typedef {import('./envoy-sandbox.mjs').Mode} Mode */
/** @typedef {Map<string, Record<string, unknown>>} Statuses host name → health_status */
/**
 * @typedef {object} RigState
 * @property {string} name
 * @property {string} description
 * @property {string[]} actions
 * @property {(rt: Runtime, t: Topology) => Promise<unknown>} apply
 * @property {(s: Statuses, t: Topology) => boolean} seen
 */
/**
 * @typedef {object} SandboxState
 * @property {string} name
 * @property {string} description
 * @property {(t: Topology) => Record<string, Mode>} modes
 * @property {(s: Statuses, t: Topology) => boolean} seen
 */

/** Port range 22000.. (helper C's); fast health checks so a capture takes seconds. @param {number} panicThresholdPercent */
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

/** The rig: same layout as test/integration/rig.ts (onPortRange) with port base 22000, fast checks, 503 in recovery mode. */
function rigTopology() {
  const t = topology(0);
  t.project = 'failover-demo-capture';
  onPortRange(t, 22000);
  t.local.recoveryBehaviour = 'http-503';
  t.healthCheck = { ...t.healthCheck, timeoutMs: 500, intervalMs: 500, unhealthyThreshold: 2, healthyThreshold: 2,
    noTrafficIntervalMs: 500, unhealthyIntervalMs: 500, unhealthyEdgeIntervalMs: 500, healthyEdgeIntervalMs: 500 };
  return t;
}

const primary = (/** @type {Topology} */ t) => brokersOf(t, 'primary').map((b) => b.name);
const secondary = (/** @type {Topology} */ t) => brokersOf(t, 'secondary').map((b) => b.name);

/**
 * host name → health_status object, from a raw /clusters document.
 * @param {any} doc
 * @returns {Statuses}
 */
function hostStatuses(doc) {
  const out = new Map();
  for (const c of doc.cluster_statuses ?? []) for (const h of c.host_statuses ?? []) out.set(h.hostname, h.health_status ?? {});
  return out;
}
const failed = (/** @type {Record<string, unknown> | undefined} */ s) => s?.failed_active_health_check === true;
const clean = (/** @type {Record<string, unknown> | undefined} */ s) => s && Object.entries(s).every(([k, v]) => (k === 'eds_health_status' ? v === 'HEALTHY' : v !== true));

/** Each state: broker modes to set, and the condition on the raw document that says Envoy has seen it. */
/** Rig states, in order: `apply(runtime, t)` moves the rig there from the previous state. */
/** @type {RigState[]} */
const RIG_STATES = [
  {
    name: 'healthy',
    description: 'local runtime, every broker running: all listeners on the primary cluster',
    actions: [],
    apply: async () => {},
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => clean(s.get(b))),
  },
  {
    name: 'split-primary-0-down',
    description: 'local runtime, primary-broker-0 stopped: listener 0 alone fails over',
    actions: ['stopBroker(primary-broker-0)'],
    apply: (rt) => rt.stopBroker('primary-broker-0'),
    seen: (s, t) => failed(s.get('primary-broker-0')) && [...primary(t).slice(1), ...secondary(t)].every((b) => clean(s.get(b))),
  },
  {
    name: 'all-primary-down',
    description: 'local runtime, every primary broker stopped: all listeners on the secondary cluster',
    actions: ['stopBroker(primary-broker-1)', 'stopBroker(primary-broker-2)'],
    apply: (rt) => Promise.all(['primary-broker-1', 'primary-broker-2'].map((b) => rt.stopBroker(b))),
    seen: (s, t) => primary(t).every((b) => failed(s.get(b))) && secondary(t).every((b) => clean(s.get(b))),
  },
  {
    name: 'both-down',
    description: 'local runtime, every broker of both clusters stopped; panic routing disabled (threshold 0)',
    actions: ['stopBroker(secondary-broker-0..2)'],
    apply: (rt, t) => Promise.all(secondary(t).map((b) => rt.stopBroker(b))),
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => failed(s.get(b))),
  },
  {
    name: 'recovery-primary-503',
    description:
      'local runtime, secondary brokers started again, every primary broker started in recovery mode (Schema Registry stand-in answers 503: local.recoveryBehaviour http-503)',
    actions: ['startBroker(secondary-broker-0..2)', 'setRecoveryMode(primary-broker-0..2, true)'],
    apply: (rt, t) => Promise.all([...secondary(t).map((b) => rt.startBroker(b)), ...primary(t).map((b) => rt.setRecoveryMode(b, true))]),
    seen: (s, t) => primary(t).every((b) => failed(s.get(b))) && secondary(t).every((b) => clean(s.get(b))),
  },
];

/** @type {SandboxState[]} */
const STATES = [
  {
    name: 'sandbox-primary-0-refused',
    description: "sandbox, primary-broker-0's Schema Registry refuses connections (the step before primary-0-hung)",
    modes: () => ({ 'primary-broker-0': 'refuse' }),
    seen: (s, t) => failed(s.get('primary-broker-0')) && [...primary(t).slice(1), ...secondary(t)].every((b) => clean(s.get(b))),
  },
  {
    name: 'primary-0-hung',
    description: "sandbox, primary-broker-0's Schema Registry accepts but never answers: health checks time out",
    modes: () => ({ 'primary-broker-0': 'hang' }),
    seen: (s) => failed(s.get('primary-broker-0')) && s.get('primary-broker-0')?.active_hc_timeout === true,
  },
];

/** @type {SandboxState[]} */
const PANIC_STATES = [
  {
    name: 'panic50-both-down',
    description: 'sandbox, healthy_panic_threshold 50, every broker stopped: total panic, Envoy spreads connections over all (unhealthy) hosts',
    modes: (t) => Object.fromEntries([...primary(t), ...secondary(t)].map((b) => [b, 'refuse'])),
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => failed(s.get(b))),
  },
  {
    name: 'panic50-primary-recovery-secondary-down',
    description:
      'sandbox, healthy_panic_threshold 50, primary brokers in recovery mode (Schema Registry 503), secondary brokers stopped: total panic',
    modes: (t) => Object.fromEntries([...primary(t).map((b) => [b, 'http-503']), ...secondary(t).map((b) => [b, 'refuse'])]),
    seen: (s, t) => [...primary(t), ...secondary(t)].every((b) => failed(s.get(b))),
  },
];

/**
 * @param {RigState | SandboxState} state
 * @param {object} extra
 * @param {string} topologyFile
 * @param {string | undefined} envoyVersion
 * @param {unknown} doc
 */
function writeFixture(state, extra, topologyFile, envoyVersion, doc) {
  const fixture = {
    capture: { command: COMMAND, request: 'GET /clusters?format=json', state: state.name, description: state.description, ...extra, topologyFile, envoyVersion },
    clusters: doc,
  };
  writeFileSync(join(OUT, `${state.name}.json`), JSON.stringify(fixture, null, 1) + '\n');
  progress.done(`${state.name}.json written`);
}

/** @param {import('#dist/envoy/admin.js').EnvoyAdmin} admin @param {RigState | SandboxState} state @param {Topology} t */
async function waitForState(admin, state, t) {
  return waitFor(
    async () => {
      const d = await admin.clusters();
      return state.seen(hostStatuses(d), t) ? d : undefined;
    },
    { timeoutMs: 90_000, intervalMs: 100, what: `Envoy to report state ${state.name}` },
  );
}

/** @param {string | undefined} envoyVersion */
async function captureRig(envoyVersion) {
  const t = rigTopology();
  const topologyFile = 'topology.rig.json';
  writeFileSync(join(OUT, topologyFile), JSON.stringify(t, null, 1) + '\n');
  const project = mkdtempSync(join(tmpdir(), 'failover-demo-capture-rig-'));
  const runtime = createLocalRuntime(t, { projectDir: project });
  const admin = new EnvoyAdmin(`http://127.0.0.1:${t.envoy.adminPort}`, { timeoutMs: 2000 });
  const onSignal = async () => {
    progress.info('interrupted: stopping the rig');
    await runtime.stop().catch(() => undefined);
    rmSync(project, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  try {
    progress.step(`starting the local runtime in ${project}`);
    await runtime.start({ progress });
    writeFileSync(join(OUT, 'config-dump.rig.json'), JSON.stringify({
      capture: { command: COMMAND, topologyFile, request: 'GET /config_dump?resource=static_clusters', envoyVersion },
      configDump: await admin.configDump('static_clusters'),
    }, null, 1) + '\n');
    for (const state of RIG_STATES) {
      progress.step(`${state.name}: ${state.actions.join(', ') || 'as started'}`);
      await state.apply(runtime, t);
      writeFixture(state, { runtimeActions: state.actions }, topologyFile, envoyVersion, await waitForState(admin, state, t));
    }
  } finally {
    await admin.close();
    await runtime.stop();
    rmSync(project, { recursive: true, force: true });
    process.off('SIGINT', onSignal);
  }
}

/** @param {Topology} t @param {string} topologyFile @param {SandboxState[]} states @param {string | undefined} envoyVersion */
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
      const doc = await waitForState(sandbox.admin, state, t);
      const brokerModes = Object.fromEntries([...primary(t), ...secondary(t)].map((b) => [b, modes[b] ?? 'serving']));
      writeFixture(state, { brokerModes }, topologyFile, envoyVersion, doc);
    }
  } finally {
    await sandbox.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await runScript(async () => {
  // Kafka clients are created in this process (by the dist/ modules it drives): the kafkajs fixes go in first.
  applyKafkajsFixes();
  mkdirSync(OUT, { recursive: true });
  const envoyVersion = execFileSync(envoyBinaryPath(), ['--version'], { encoding: 'utf8' }).trim().split('version: ')[1];
  if (ONLY !== 'sandbox') await captureRig(envoyVersion);
  if (ONLY === 'rig') return;
  for (const [panic, states] of /** @type {[number, SandboxState[]][]} */ ([[0, STATES], [50, PANIC_STATES]])) {
    const t = topology(panic);
    const topologyFile = `topology.panic${panic}.json`;
    writeFileSync(join(OUT, topologyFile), JSON.stringify(t, null, 1) + '\n');
    await captureWith(t, topologyFile, states, envoyVersion);
  }
});
