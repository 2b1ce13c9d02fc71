/**
 * Topology → docker-compose.yml. Pure: no I/O.
 *
 * - Every published port binds t.bindAddress (127.0.0.1 unless opted in wider), Envoy's admin API too.
 * - No `sudo chown`: each broker mounts its rendered config folder read-only at /config and its
 *   entrypoint copies redpanda.yaml and .bootstrap.yaml into /etc/redpanda (owned by the container's
 *   own user) before handing over to the image's entrypoint. The copy happens on every start, so an
 *   edit on the host (`failover-demo recovery enable`) takes effect when the broker restarts. Data
 *   lives in a named volume, which Docker creates with the image's ownership.
 * - replication: shadow adds the replicator (MirrorMaker 2 and its API, src/replication/) in the broker
 *   image, which must be the Kafka stand-in (the Docker pre-flight checks it): Redpanda's own image has
 *   no MirrorMaker 2; Redpanda Shadowing (./shadow-link.ts) is its path.
 * - Docker supervises every service: `restart: unless-stopped` brings a crashed container back (its
 *   healthcheck still decides readiness), while a stop on purpose (`docker stop`, `broker stop`) stays
 *   stopped. `init: true` puts Docker's init (tini) at PID 1, so a crash can be emulated from inside the
 *   container (src/runtime/docker/crash.ts): every other process killed, the init exits 137, Docker restarts it.
 */
import { stringify } from 'yaml';
import { brokersOf, directHostPort, type BrokerRef, type Topology } from '../config/topology.js';
import { ENVOY_DOCKER_HOST } from './envoy.js';
import { CONTROLLER_CONFIG_FILE } from './controller.js';
import { REDPANDA_DATA_DIRECTORY } from './redpanda.js';
import { REPLICATOR_CONFIG_FILE, REPLICATOR_DOCKER_CONFIG, REPLICATOR_DOCKER_WORK_DIR, REPLICATOR_SERVICE, REPLICATOR_VOLUME, STANDIN_REPLICATOR_MAIN } from './replicator.js';

/** Name of the user-defined network (inside the compose project). */
export const COMPOSE_NETWORK = 'demo';

/** Compose service (and container) name of Envoy. */
export const ENVOY_SERVICE = ENVOY_DOCKER_HOST;

/** Paths of the rendered files, relative to the project folder. */
export const ENVOY_DIR = 'envoy-proxy';
export const ENVOY_CONFIG_PATH = `${ENVOY_DIR}/envoy.yaml`;

/** Compose service (and container) name of the failover controller (coherent policy). */
export const CONTROLLER_SERVICE = 'failover-controller';

/**
 * Where the runtime puts the controller's code for its container (git-ignored): the compiled
 * src/controller/ with a package.json that makes it an ES module. Mounted read-only at /app.
 */
export const CONTROLLER_APP_DIR = '.failover-demo/controller-app';
export function brokerConfigDir(b: Pick<BrokerRef, 'name'>): string {
  return `redpanda-config/${b.name}`;
}

export function brokerVolumeName(b: Pick<BrokerRef, 'name'>): string {
  return `${b.name}-data`;
}

/** Docker's supervision of every service (see the header). */
export const SUPERVISED = { init: true, restart: 'unless-stopped' } as const;

/** Copies the rendered config into /etc/redpanda, then runs the image's entrypoint with the command. */
export const BROKER_ENTRYPOINT = [
  '/bin/sh',
  '-c',
  // `$$` is Compose's escape for a literal `$`: the shell sees "$@" (the service's command).
  'cp /config/redpanda.yaml /config/.bootstrap.yaml /etc/redpanda/ && exec /entrypoint.sh "$$@"',
  'redpanda-entrypoint',
];

interface PublishedPort {
  host_ip: string;
  published: string;
  target: number;
  protocol: 'tcp';
}

export function publish(t: Topology, hostPort: number, containerPort: number): PublishedPort {
  return { host_ip: t.bindAddress, published: String(hostPort), target: containerPort, protocol: 'tcp' };
}

function brokerService(t: Topology, b: BrokerRef): Record<string, unknown> {
  return {
    image: t.redpanda.image,
    container_name: b.name,
    hostname: b.name,
    entrypoint: BROKER_ENTRYPOINT,
    command: [
      'redpanda',
      'start',
      '--mode',
      'dev-container',
      '--smp',
      String(t.redpanda.smp),
      '--memory',
      t.redpanda.memory,
      '--default-log-level=info',
    ],
    volumes: [`${brokerVolumeName(b)}:${REDPANDA_DATA_DIRECTORY}`, `./${brokerConfigDir(b)}:/config:ro`],
    ports: [publish(t, directHostPort(t, b), t.redpanda.directPortBase)],
    networks: [COMPOSE_NETWORK],
    ...SUPERVISED,
    healthcheck: brokerHealthcheck(t),
  };
}

/**
 * Ready only when Redpanda says so: its Admin API starts before the Kafka API and `/v1/status/ready`
 * answers 200 while booting too, with the state in the body ({"status":"booting"} → {"status":"ready"}).
 */
export function brokerHealthcheck(t: Topology): Record<string, unknown> {
  return {
    test: ['CMD-SHELL', `curl -sf http://localhost:${t.redpanda.adminPort}/v1/status/ready | grep -Eq '"status" *: *"ready"'`],
    interval: '2s',
    timeout: '2s',
    retries: 60,
    start_period: '5s',
  };
}

/**
 * Envoy is ready once its admin `/ready` answers LIVE (200; other states answer 503): listeners and
 * clusters initialised. The Envoy images have bash and grep but no curl, so bash's /dev/tcp asks (HTTP/1.1:
 * the admin API answers HTTP/1.0 with 426).
 */
export function envoyHealthcheck(t: Topology): Record<string, unknown> {
  const ask = `exec 3<>/dev/tcp/127.0.0.1/${t.envoy.adminPort} && printf 'GET /ready HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && grep -q '^LIVE' <&3`;
  return {
    test: ['CMD', 'bash', '-c', ask],
    interval: '2s',
    timeout: '2s',
    retries: 30,
  };
}

function envoyService(t: Topology): Record<string, unknown> {
  const positions = Array.from({ length: t.brokers }, (_, i) => i);
  const coherent = t.failover.policy === 'coherent';
  return {
    image: t.envoy.image,
    container_name: ENVOY_SERVICE,
    hostname: ENVOY_DOCKER_HOST,
    // coherent: a listener update (the controller's switch) closes its connections at once, so no client
    // stays on the old cluster.
    command: ['envoy', '-c', '/etc/envoy/envoy.yaml', ...(coherent ? ['--drain-time-s', '0', '--drain-strategy', 'immediate'] : [])],
    // coherent: the whole folder, so Envoy sees the controller's rename of lds/listeners.yaml.
    volumes: [coherent ? `./${ENVOY_DIR}:/etc/envoy:ro` : `./${ENVOY_CONFIG_PATH}:/etc/envoy/envoy.yaml:ro`],
    ports: [
      ...positions.map((i) => publish(t, t.envoy.listenerPort + i, t.envoy.hostListenerPort + i)),
      publish(t, t.envoy.adminPort, t.envoy.adminPort),
    ],
    networks: [COMPOSE_NETWORK],
    ...SUPERVISED,
    healthcheck: envoyHealthcheck(t),
    depends_on: Object.fromEntries(brokersOf(t).map((b) => [b.name, { condition: 'service_healthy' }])),
  };
}

/** A container healthcheck by node (the controller's and the replicator's images have node, no curl): GET /healthz. */
export function nodeHealthcheck(port: number): Record<string, unknown> {
  return {
    test: ['CMD', 'node', '-e', `fetch('http://127.0.0.1:${port}/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
    interval: '2s',
    timeout: '2s',
    retries: 15,
  };
}

/**
 * The failover controller (coherent policy): reads Envoy's health, swaps Envoy's listener file. Runs as
 * the invoking user (FAILOVER_DEMO_UID/GID, set by the runtime) so the file it writes on the host is
 * theirs. Docker restarts it when it crashes; Envoy keeps routing as last decided meanwhile. Docker's
 * init runs at PID 1 as for the other services, so a crash is emulated the same way.
 */
export function controllerService(t: Topology): Record<string, unknown> {
  const port = t.failover.controllerPort;
  return {
    image: t.failover.controllerImage,
    container_name: CONTROLLER_SERVICE,
    hostname: CONTROLLER_SERVICE,
    user: '${FAILOVER_DEMO_UID:-0}:${FAILOVER_DEMO_GID:-0}',
    entrypoint: ['node'],
    command: ['/app/dist/controller/main.js', '--config', `/etc/envoy/${CONTROLLER_CONFIG_FILE}`],
    volumes: [`./${ENVOY_DIR}:/etc/envoy`, `./${CONTROLLER_APP_DIR}:/app:ro`],
    ports: [publish(t, port, port)],
    networks: [COMPOSE_NETWORK],
    ...SUPERVISED,
    healthcheck: nodeHealthcheck(port),
    depends_on: { [ENVOY_SERVICE]: { condition: 'service_started' } },
  };
}

/**
 * The replicator (replication: shadow): `node <stand-in dist>/replication/main.js` in the Kafka stand-in
 * broker image, which has node, the built dist/ and Kafka's jars with MirrorMaker 2. It reaches the
 * brokers on the compose network, its state lives in a named volume (it survives a container restart),
 * and its API is published on bindAddress (the CLI and the drill read it; the controller calls it
 * inside the network, at replicator:<port>).
 */
function replicatorService(t: Topology): Record<string, unknown> {
  const port = t.replication.replicatorPort;
  return {
    image: t.redpanda.image,
    container_name: REPLICATOR_SERVICE,
    hostname: REPLICATOR_SERVICE,
    entrypoint: ['node'],
    command: [STANDIN_REPLICATOR_MAIN, '--config', REPLICATOR_DOCKER_CONFIG],
    volumes: [`${REPLICATOR_VOLUME}:${REPLICATOR_DOCKER_WORK_DIR}`, `./${ENVOY_DIR}/${REPLICATOR_CONFIG_FILE}:${REPLICATOR_DOCKER_CONFIG}:ro`],
    ports: [publish(t, port, port)],
    networks: [COMPOSE_NETWORK],
    ...SUPERVISED,
    healthcheck: nodeHealthcheck(port),
    depends_on: Object.fromEntries(brokersOf(t).map((b) => [b.name, { condition: 'service_healthy' }])),
  };
}

/** docker-compose.yml as a plain object. */
export function buildCompose(t: Topology): Record<string, unknown> {
  const brokers = brokersOf(t);
  const replicated = t.replication.mode === 'shadow';
  return {
    name: t.project,
    services: {
      ...Object.fromEntries(brokers.map((b) => [b.name, brokerService(t, b)])),
      [ENVOY_SERVICE]: envoyService(t),
      ...(t.failover.policy === 'coherent' ? { [CONTROLLER_SERVICE]: controllerService(t) } : {}),
      ...(replicated ? { [REPLICATOR_SERVICE]: replicatorService(t) } : {}),
    },
    networks: { [COMPOSE_NETWORK]: { driver: 'bridge' } },
    volumes: Object.fromEntries([...brokers.map((b) => [brokerVolumeName(b), {}]), ...(replicated ? [[REPLICATOR_VOLUME, {}]] : [])]),
  };
}

export function renderCompose(t: Topology): string {
  const head = [
    '# Rendered by `failover-demo render` from the topology; edit the config file and re-render instead.',
    `# ${t.brokers} broker(s) per cluster, metadata rewrite strategy: ${t.rewrite}. Published ports bind ${t.bindAddress}.`,
    '',
    '',
  ].join('\n');
  return head + stringify(buildCompose(t), { lineWidth: 0, aliasDuplicateObjects: false });
}
