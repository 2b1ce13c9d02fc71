/**
 * Shared pieces of the Docker tests: the test topology (stand-in images, `advertised` strategy, ports in
 * the 32000 range, below the ephemeral ports, short health-check intervals), a project folder per file, the CLI as a child process,
 * and a Kafka client container inside the compose network.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadTopology } from '../../src/config/load.js';
import type { Topology } from '../../src/config/topology.js';
import type { Progress } from '../../src/runtime/types.js';
import type { TEST_PROJECTS } from './leftovers.js';

/** A project name the global setup cleans up after an interrupted run. */
export type TestProjectName = (typeof TEST_PROJECTS)[number];


export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));

export interface DockerInfra {
  startedEngine: boolean;
  composeVersion: string;
  images: { base: string; envoy: string; broker: string };
  seconds: Record<string, number>;
}

declare module 'vitest' {
  export interface ProvidedContext {
    dockerInfra: DockerInfra;
  }
}

/**
 * Ports of the Docker tests: below Linux's ephemeral range (32768–60999), where a client socket of an
 * earlier test may hold a port for a moment (a CI run once found 40294 taken at the suite's start).
 */
export const TEST_PORTS = { envoyAdmin: 32701, controller: 32702, replicator: 32703, envoyListener: 32092, directBase: 32192, localBase: 32500 } as const;

/**
 * The published ports of the test topology (3 brokers per cluster), as a ip_local_reserved_ports list.
 * They sit inside Linux's ephemeral range (32768-60999), so any client's outgoing connection may take
 * one as its source port, and then the pre-flight check finds the port in use. Reserving them keeps
 * new outgoing connections off them.
 */
export const TEST_PORT_RANGES = [
  `${TEST_PORTS.envoyListener}-${TEST_PORTS.envoyListener + 2}`,
  `${TEST_PORTS.directBase}-${TEST_PORTS.directBase + 2}`,
  `${TEST_PORTS.directBase + 100}-${TEST_PORTS.directBase + 102}`,
  String(TEST_PORTS.envoyAdmin),
  String(TEST_PORTS.controller),
  String(TEST_PORTS.replicator),
];

/** What a test file asks of its demo beyond the broker count and health checks. */
export interface TestConfigOptions {
  /** replication.mode: shadow (the replicator runs MirrorMaker 2 in the broker stand-in image). */
  replication?: boolean;
}

/** The test config file: same format users write (durations as strings, keys without Ms). */
export function testConfigYaml(infra: DockerInfra, project: string, brokers = 3, healthCheck: 'fast' | 'default' = 'fast', options: TestConfigOptions = {}): string {
  return [
    `project: ${project}`,
    `brokers: ${brokers}`,
    'rewrite: advertised',
    'bindAddress: 127.0.0.1',
    // `default`: the PoC's health-check settings, as a user gets them.
    ...(healthCheck === 'fast'
      ? [
          'healthCheck:',
          '  timeout: 1s',
          '  interval: 1s',
          '  intervalJitter: 100ms',
          '  unhealthyThreshold: 2',
          '  healthyThreshold: 2',
          '  noTrafficInterval: 1s',
          '  unhealthyInterval: 1s',
          '  unhealthyEdgeInterval: 1s',
          '  healthyEdgeInterval: 1s',
        ]
      : []),
    'envoy:',
    `  image: ${infra.images.envoy}`,
    `  adminPort: ${TEST_PORTS.envoyAdmin}`,
    `  listenerPort: ${TEST_PORTS.envoyListener}`,
    'redpanda:',
    `  image: ${infra.images.broker}`,
    `  directPortBase: ${TEST_PORTS.directBase}`,
    '  memory: 512M',
    'local:',
    `  basePort: ${TEST_PORTS.localBase}`,
    // The failover controller runs on node: the broker stand-in image has it (no registry to pull node from).
    'failover:',
    `  controllerImage: ${infra.images.broker}`,
    `  controllerPort: ${TEST_PORTS.controller}`,
    ...(healthCheck === 'fast' ? ['  failbackHold: 2s'] : []),
    ...(options.replication ? ['replication:', '  mode: shadow', `  replicatorPort: ${TEST_PORTS.replicator}`] : []),
    '',
  ].join('\n');
}

export interface TestProject {
  dir: string;
  configFile: string;
  topology: Topology;
}

/** A fresh project folder with the test config file, and the topology loaded from it. */
export function makeTestProject(
  infra: DockerInfra,
  project: TestProjectName = 'fdtest',
  brokers = 3,
  healthCheck: 'fast' | 'default' = 'fast',
  options: TestConfigOptions = {},
): TestProject {
  const dir = mkdtempSync(join(tmpdir(), 'failover-demo-docker-'));
  const configFile = join(dir, 'failover-demo.yaml');
  writeFileSync(configFile, testConfigYaml(infra, project, brokers, healthCheck, options));
  return { dir, configFile, topology: loadTopology({ configFile }) };
}

/** Progress lines into the test log (so a slow start shows where it is). */
export function logProgress(prefix: string): Progress {
  const t0 = Date.now();
  const at = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
  return {
    step: (text) => process.stderr.write(`[${prefix} ${at()}] … ${text}\n`),
    done: (text) => text && process.stderr.write(`[${prefix} ${at()}] ✔ ${text}\n`),
    info: (text) => process.stderr.write(`[${prefix} ${at()}] ${text}\n`),
  };
}

/** Runs the built CLI (bin/failover-demo.js) in `cwd`; never rejects. */
export async function runCli(args: string[], { cwd, env = {}, timeoutMs = 120_000 }: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }) {
  const r = await execa('node', [join(REPO_ROOT, 'bin', 'failover-demo.js'), ...args], {
    cwd,
    env: { ...env, FAILOVER_DEMO_DIR: cwd, FORCE_COLOR: '0' },
    reject: false,
    timeout: timeoutMs,
  });
  return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Docker network of the compose project (what in-network clients join). */
export function composeNetwork(t: Topology): string {
  return `${t.project}_demo`;
}

export interface InNetworkClientResult {
  /** Broker addresses the client got in metadata (host:port). */
  metadataBrokers: string[];
  produced: number;
  consumed: number;
  missing: number;
}

/**
 * A Kafka client inside the compose network: a throw-away container from the broker stand-in image
 * running node + kafkajs (this repository's node_modules, mounted read-only) against envoy:<listener>.
 */
export async function runInNetworkClient(t: Topology, image: string, topic: string, count: number): Promise<InNetworkClientResult> {
  const script = `
import kafkajs from '/opt/nm/kafkajs/index.js';
const { Kafka, logLevel } = kafkajs;
const [bootstrap, topic, count] = process.argv.slice(1);
const kafka = new Kafka({ clientId: 'in-network-client', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
const admin = kafka.admin();
await admin.connect();
const { brokers } = await admin.describeCluster();
await admin.disconnect();
const run = Date.now() + '-' + Math.random().toString(36).slice(2);
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
const values = Array.from({ length: Number(count) }, (_, i) => run + ':' + i);
await producer.send({ topic, acks: -1, messages: values.map((value) => ({ value })) });
await producer.disconnect();
const consumer = kafka.consumer({ groupId: 'in-network-' + run });
await consumer.connect();
await consumer.subscribe({ topic, fromBeginning: true });
const seen = new Set();
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('consumed ' + seen.size + '/' + count + ' within 60 s')), 60000);
  consumer.run({ eachMessage: async ({ message }) => {
    const v = message.value.toString();
    if (v.startsWith(run + ':')) seen.add(v);
    if (seen.size === values.length) { clearTimeout(timer); resolve(); }
  } }).catch(reject);
});
await consumer.disconnect();
console.log(JSON.stringify({ metadataBrokers: brokers.map((b) => b.host + ':' + b.port), produced: values.length, consumed: seen.size, missing: values.filter((v) => !seen.has(v)).length }));
`;
  const r = await execa(
    'docker',
    [
      'run', '--rm', '--network', composeNetwork(t),
      '-v', `${join(REPO_ROOT, 'node_modules')}:/opt/nm:ro`,
      '--entrypoint', 'node', image,
      '--input-type=module', '-e', script, '--', `envoy:${t.envoy.listenerPort}`, topic, String(count),
    ],
    { timeout: 180_000 },
  );
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as InNetworkClientResult;
}

