/**
 * Topology → the replicator's configuration (replication.mode: shadow), and the controller's hook to it.
 * Pure: no I/O. The replicator (src/replication/) parses and checks the file itself.
 */
import { brokersOf, localPorts, type ClusterName, type Topology } from '../config/topology.js';

export const REPLICATOR_CONFIG_FILE = 'replicator.json';

/** Where the replicator runs and what it needs there. */
export interface ReplicatorPlace {
  target: 'local' | 'docker';
  kafkaLibs: string;
  workDir: string;
}

function bootstrap(t: Topology, c: ClusterName, target: ReplicatorPlace['target']): string[] {
  return brokersOf(t, c).map((b) => (target === 'local' ? `127.0.0.1:${localPorts(t, b).direct}` : `${b.name}:${t.redpanda.kafkaPort}`));
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
