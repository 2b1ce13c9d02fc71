/**
 * Topology → the replicator's configuration (replication.mode: shadow), and the controller's hook to it.
 * Pure: no I/O. The replicator (src/replication/) parses and checks the file itself.
 */
import { brokersOf, localPorts, type ClusterName, type Topology } from '../config/topology.js';

export const REPLICATOR_CONFIG_FILE = 'replicator.json';

/** Docker runtime: compose service, container and host name of the replicator (the controller calls it there). */
export const REPLICATOR_SERVICE = 'replicator';

/**
 * Where the Kafka stand-in broker image (scripts/docker/images.mjs, broker-image/Dockerfile) keeps what the
 * replicator needs: the built dist/ (dist/replication and the modules it imports), Kafka's jars with
 * connect-mirror (MirrorMaker 2). The image announces the replicator in its environment
 * (STANDIN_REPLICATOR_ENV=<main.js>), which the Docker pre-flight checks.
 */
export const STANDIN_DIST = '/opt/standin/dist';
export const STANDIN_REPLICATOR_MAIN = `${STANDIN_DIST}/replication/main.js`;
export const STANDIN_KAFKA_LIBS = '/opt/kafka/libs';
export const STANDIN_REPLICATOR_ENV = 'FAILOVER_DEMO_REPLICATOR';

/**
 * The replicator container's workDir (MM2's properties, its state): a named volume mounted on the
 * image's data folder, which the image's user owns (Docker gives a fresh volume that ownership), so the
 * state survives a container restart and `stop --volumes` removes it.
 */
export const REPLICATOR_DOCKER_WORK_DIR = '/var/lib/redpanda/data';
export const REPLICATOR_VOLUME = 'replicator-data';
/** Where the replicator container reads its rendered config (a read-only bind of the host file). */
export const REPLICATOR_DOCKER_CONFIG = `/etc/replicator/${REPLICATOR_CONFIG_FILE}`;

/** The replicator's place in the Docker runtime (inside the stand-in broker image). */
export const DOCKER_REPLICATOR_PLACE: ReplicatorPlace = { target: 'docker', kafkaLibs: STANDIN_KAFKA_LIBS, workDir: REPLICATOR_DOCKER_WORK_DIR };

/** Where the replicator runs and what it needs there. */
export interface ReplicatorPlace {
  target: 'local' | 'docker';
  kafkaLibs: string;
  workDir: string;
}

function bootstrap(t: Topology, c: ClusterName, target: ReplicatorPlace['target']): string[] {
  return brokersOf(t, c).map((b) => (target === 'local' ? `127.0.0.1:${localPorts(t, b).direct}` : `${b.name}:${t.redpanda.kafkaPort}`));
}

/** A broker image that is Redpanda itself (its name says so), not a Kafka stand-in: it cannot run MirrorMaker 2. */
export function looksLikeRedpandaImage(image: string): boolean {
  const repo = image.replace(/@.*$/, '').replace(/:[^/]*$/, '');
  return /(^|\/)redpanda[^/]*$/.test(repo) || repo.includes('redpandadata/');
}

export function buildReplicatorConfig(t: Topology, place: ReplicatorPlace): Record<string, unknown> {
  const rf = Math.min(3, t.brokers);
  return {
    listen: { address: place.target === 'local' ? '127.0.0.1' : '0.0.0.0', port: t.replication.replicatorPort },
    clusters: {
      primary: { bootstrap: bootstrap(t, 'primary', place.target), replicationFactor: rf },
      secondary: { bootstrap: bootstrap(t, 'secondary', place.target), replicationFactor: rf },
    },
    topics: t.topics.map((x) => x.name),
    kafkaLibs: place.kafkaLibs,
    heapMb: t.replication.heapMb,
    workDir: place.workDir,
    syncIntervalMs: t.replication.syncIntervalMs,
    lagPollMs: 500,
  };
}

export function renderReplicatorConfig(t: Topology, place: ReplicatorPlace): string {
  return `${JSON.stringify(buildReplicatorConfig(t, place), null, 2)}\n`;
}

export function renderFencedListenerFile(): string {
  return [
    "# No listeners: the failover controller's fence while the primary catches up before a failback (replication: shadow).",
    '# Clients cannot connect anywhere for those seconds, so nothing is written that the primary would miss.',
    '',
    'resources: []',
    '',
  ].join('\n');
}
